package integrations

import (
	"context"
	"strings"
	"testing"
)

// fakePlatform does nothing: the registry only builds it.
type fakePlatform struct{ Connection }

func (fakePlatform) Isolate(context.Context, Host) (ActionResult, error) { return ActionResult{}, nil }
func (fakePlatform) Release(context.Context, Host) (ActionResult, error) { return ActionResult{}, nil }
func (fakePlatform) Block(context.Context, []Indicator) (ActionResult, error) {
	return ActionResult{}, nil
}
func (fakePlatform) Unblock(context.Context, []Indicator) (ActionResult, error) {
	return ActionResult{}, nil
}
func (fakePlatform) Investigate(context.Context, Alert) (Findings, error) { return Findings{}, nil }
func (fakePlatform) WriteBack(context.Context, Conclusion) error          { return nil }

func TestRegistryDerivesEveryList(t *testing.T) {
	fake := Vendor{
		Name: "fakevendor", Capabilities: Capabilities{BlockIndicators: true},
		Credentials: []Credential{APIKey, Username},
		NewClient:   func(c Connection) (Platform, error) { return fakePlatform{c}, nil },
		Parse:       func([]byte, map[string]string) ([]Alert, int, error) { return nil, 0, nil },
	}
	Register(fake)
	t.Cleanup(func() { delete(registry, fake.Name) })

	if got, ok := LookupVendor("fakevendor"); !ok || got.Name != "fakevendor" {
		t.Fatalf("LookupVendor = %+v, %v", got, ok)
	}
	if names := VendorNames(); len(names) != 1 || names[0] != "fakevendor" || len(Vendors()) != 1 {
		t.Fatalf("names %v", names)
	}
	if !CapabilitiesOf("fakevendor").BlockIndicators || CapabilitiesOf("generic") != (Capabilities{}) {
		t.Fatal("capabilities come from the registry; an unregistered vendor has none")
	}
	_, err := fake.Connect(Connection{Vendor: "other", Secrets: map[Credential]string{Username: "u"}})
	for _, want := range []string{`platform vendor is "other"`, "no api_key given"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Connect error %v does not say %q", err, want)
		}
	}
	p, err := fake.Connect(Connection{URL: "https://x.example", Secrets: map[Credential]string{APIKey: "k", Username: "u"}})
	if err != nil || p.(fakePlatform).URL != "https://x.example" {
		t.Fatalf("Connect = %+v, %v", p, err)
	}
}

func TestRegisterRefusesAVendorTwiceOrIncomplete(t *testing.T) {
	complete := Vendor{Name: "twice",
		NewClient: func(Connection) (Platform, error) { return fakePlatform{}, nil },
		Parse:     func([]byte, map[string]string) ([]Alert, int, error) { return nil, 0, nil }}
	Register(complete)
	t.Cleanup(func() { delete(registry, complete.Name) })
	for name, v := range map[string]Vendor{"twice": complete, "no name": {Parse: complete.Parse, NewClient: complete.NewClient},
		"no parser": {Name: "noparser", NewClient: complete.NewClient}} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("Register accepted it")
				}
			}()
			Register(v)
		})
	}
}

func TestTruncateCountsCharactersNotBytes(t *testing.T) {
	cases := []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"longer text", 5, "long…"},
		{"受領する場合は", 4, "受領す…"},
		{"anything", 0, ""},
	}
	for _, tc := range cases {
		if got := Truncate(tc.in, tc.limit); got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}
