package withsecure

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"xsoc/integrations"
	"xsoc/integrations/withsecure/sim"
)

func TestIsolateAndReleaseAreIdempotent(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	dev, err := s.AddDevice(sim.DeviceRef{Name: "osk-pc-17"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cases := []struct {
		name        string
		act         func(context.Context, integrations.Host) (integrations.ActionResult, error)
		host        integrations.Host
		wantInPlace bool
		wantIso     bool
		wantPosts   int
	}{
		{"isolate by name", c.Isolate, integrations.Host{Name: "osk-pc-17"}, false, true, 1},
		{"isolate again", c.Isolate, integrations.Host{Name: "OSK-PC-17"}, true, true, 1},
		{"release by id", c.Release, integrations.Host{ID: dev.ID}, false, false, 2},
		{"release again", c.Release, integrations.Host{Name: "osk-pc-17", ID: dev.ID}, true, false, 2},
		{"isolate by id", c.Isolate, integrations.Host{Name: "stale name", ID: dev.ID}, false, true, 3},
	}
	for _, tc := range cases { // in order: each step starts from the state the last one left
		res, err := tc.act(ctx, tc.host)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if res.AlreadyInPlace != tc.wantInPlace || len(res.Targets) != 1 || res.Targets[0] != "osk-pc-17" || res.VendorAnswer == "" {
			t.Errorf("%s: result = %+v", tc.name, res)
		}
		if s.IsIsolated("osk-pc-17") != tc.wantIso {
			t.Errorf("%s: isolated = %v, want %v", tc.name, !tc.wantIso, tc.wantIso)
		}
		if n := len(callsTo(s, http.MethodPost, "/devices/v1/operations")); n != tc.wantPosts {
			t.Errorf("%s: %d operations sent, want %d", tc.name, n, tc.wantPosts)
		}
	}

	var sent struct {
		Operation  string            `json:"operation"`
		Targets    []string          `json:"targets"`
		Parameters map[string]string `json:"parameters"`
	}
	posts := callsTo(s, http.MethodPost, "/devices/v1/operations")
	if err := json.Unmarshal([]byte(posts[0].Body), &sent); err != nil {
		t.Fatal(err)
	}
	if sent.Operation != "isolateFromNetwork" || len(sent.Targets) != 1 || sent.Targets[0] != dev.ID || sent.Parameters["message"] == "" {
		t.Errorf("isolation request = %+v", sent)
	}
	if err := json.Unmarshal([]byte(posts[1].Body), &sent); err != nil || sent.Operation != "releaseFromNetworkIsolation" {
		t.Errorf("release request = %s (%v)", posts[1].Body, err)
	}
}

func TestIsolateUnknownOrAmbiguousHost(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	for _, id := range []string{"11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"} {
		if _, err := s.AddDevice(sim.DeviceRef{Name: "twin", ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name       string
		host       integrations.Host
		wantStatus int
		wantText   string
	}{
		{"unknown name", integrations.Host{Name: "ghost"}, http.StatusNotFound, `no device named "ghost"`},
		{"unknown id", integrations.Host{ID: "33333333-3333-4333-8333-333333333333"}, http.StatusNotFound, "no device with id"},
		{"two devices of that name", integrations.Host{Name: "twin"}, http.StatusConflict, "2 devices are named"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Isolate(context.Background(), tc.host)
			ve := vendorError(t, err)
			if ve.StatusCode != tc.wantStatus || ve.Retryable() || !strings.Contains(ve.Message, tc.wantText) {
				t.Errorf("error = %+v, want non-retryable %d %q", ve, tc.wantStatus, tc.wantText)
			}
		})
	}
	if n := len(callsTo(s, http.MethodPost, "/devices/v1/operations")); n != 0 {
		t.Errorf("%d operations sent for hosts that could not be found", n)
	}
	if _, err := c.Isolate(context.Background(), integrations.Host{Name: "twin", ID: "22222222-2222-4222-8222-222222222222"}); err != nil {
		t.Errorf("the device id settles which twin: %v", err)
	}
}

func TestIsolateVendorRefusals(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	if _, err := s.AddDevice(sim.DeviceRef{Name: "pc"}); err != nil {
		t.Fatal(err)
	}
	s.FailNext("/devices/v1/operations", http.StatusTooManyRequests, 1, "30")
	_, err := c.Isolate(context.Background(), integrations.Host{Name: "pc"})
	ve := vendorError(t, err)
	if ve.StatusCode != http.StatusTooManyRequests || !ve.Retryable() || ve.RetryAfter.Seconds() != 30 || !strings.Contains(err.Error(), "pc") {
		t.Errorf("error = %v, want a retryable 429 after 30s naming the device", err)
	}
	if s.IsIsolated("pc") {
		t.Error("a refused operation isolated the device")
	}
	if _, err := c.Isolate(context.Background(), integrations.Host{Name: "pc"}); err != nil || !s.IsIsolated("pc") {
		t.Errorf("retry: %v, isolated %v", err, s.IsIsolated("pc"))
	}
}

// The recorded 207 answers accept their target; any other per-target status is the
// vendor's refusal with its own words.
func TestMultistatus(t *testing.T) {
	t.Parallel()
	const target = "e297cbf5-ba53-4e66-909c-6d87527c4e98"
	for _, name := range []string{"device_operation_isolate.json", "device_operation_release.json", "incidents_update_status.json"} {
		var m multistatus
		if err := json.Unmarshal(readFixture(t, name), &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		item, err := m.accepted(opIsolate, target)
		if err != nil || item.Status != http.StatusAccepted || item.OperationID == "" || m.TransactionID == "" {
			t.Errorf("%s: %+v, %v", name, item, err)
		}
	}
	cases := []struct {
		name       string
		body       string
		wantStatus int
		wantText   string
	}{
		{"refused", `{"multistatus": [{"target": "d1", "status": 403, "details": "Device is not a Windows computer"}], "transactionId": "t1"}`,
			http.StatusForbidden, "Device is not a Windows computer"},
		{"no details", `{"multistatus": [{"target": "d1", "status": 404}]}`, http.StatusNotFound, "Not Found"},
		{"target missing", `{"multistatus": [{"target": "other", "status": 202}]}`, http.StatusMultiStatus, "no status for target d1"},
		{"empty", `{}`, http.StatusMultiStatus, "no status for target d1"},
	}
	for _, tc := range cases {
		var m multistatus
		if err := json.Unmarshal([]byte(tc.body), &m); err != nil {
			t.Fatal(err)
		}
		_, err := m.accepted(opIsolate, "d1")
		var ve *integrations.VendorError
		if !errors.As(err, &ve) || ve.StatusCode != tc.wantStatus || !strings.Contains(ve.Message, tc.wantText) {
			t.Errorf("%s: error = %v, want %d %q", tc.name, err, tc.wantStatus, tc.wantText)
		}
	}
}

func TestRecordedDeviceIsNotIsolated(t *testing.T) {
	t.Parallel()
	var p page[deviceInfo]
	if err := json.Unmarshal(readFixture(t, "devices_list.json"), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 {
		t.Fatalf("%d devices", len(p.Items))
	}
	d := p.Items[0]
	h, ok := d.host()
	if d.isolated() || !ok || h.Name != "EC2AMAZ-BOG9C6F" || h.IP != "172.31.40.211" || h.ID != "e297cbf5-ba53-4e66-909c-000000000000" {
		t.Errorf("device = %+v, host = %+v", d, h)
	}
	d.ProtectionStatusOverview = "isolated"
	if !d.isolated() {
		t.Error("protectionStatusOverview isolated should read as isolated")
	}
}

func TestBlockIsUnsupported(t *testing.T) {
	t.Parallel()
	_, c := newSimClient(t)
	ind := []integrations.Indicator{{Type: "domain", Value: "evil.example"}}
	if _, err := c.Block(context.Background(), ind); !errors.Is(err, integrations.ErrUnsupported) {
		t.Errorf("Block: %v", err)
	}
	if _, err := c.Unblock(context.Background(), ind); !errors.Is(err, integrations.ErrUnsupported) {
		t.Errorf("Unblock: %v", err)
	}
}
