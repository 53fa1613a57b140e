package activities

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"xsoc/config"
	"xsoc/integrations"
	cybereasonsim "xsoc/integrations/cybereason/sim"
	withsecuresim "xsoc/integrations/withsecure/sim"
)

// vendorsOf answers activities whose customer acme runs the Cybereason and WithSecure
// simulators, and a Zscaler that cannot count endpoints.
func vendorsOf(t *testing.T) (*Activities, *cybereasonsim.Server, *withsecuresim.Server) {
	t.Helper()
	console := cybereasonsim.New("soc", "pw")
	elements := withsecuresim.New("ws-id", "ws-secret")
	urls := map[string]string{"zscaler": "https://zsapi.zscaler.net"}
	for vendor, handler := range map[string]http.Handler{"cybereason": console, "withsecure": elements} {
		srv := httptest.NewServer(handler)
		t.Cleanup(srv.Close)
		urls[vendor] = srv.URL
	}
	secrets := map[string]string{"CR_USER": "soc", "CR_PASSWORD": "pw", "WS_ID": "ws-id", "WS_SECRET": "ws-secret",
		"ZS_KEY": "0123456789abcdef", "ZS_USER": "user", "ZS_PASSWORD": "pw"}
	getenv := func(name string) string { return secrets[name] }
	customers := &config.Customers{Customers: []config.Customer{{ID: "acme", Platforms: []config.Platform{
		{Vendor: "cybereason", URL: urls["cybereason"], UsernameEnv: "CR_USER", PasswordEnv: "CR_PASSWORD"},
		{Vendor: "withsecure", URL: urls["withsecure"], ClientIDEnv: "WS_ID", SecretEnv: "WS_SECRET"},
		{Vendor: "zscaler", URL: urls["zscaler"], APIKeyEnv: "ZS_KEY", UsernameEnv: "ZS_USER", PasswordEnv: "ZS_PASSWORD"},
	}}}}
	newPlatform := func(p config.Platform) (integrations.Platform, error) { return p.Connect(getenv) }
	return &Activities{Platforms: &Platforms{Customers: customers, New: newPlatform}}, console, elements
}

func TestCountActiveEndpointsByVendor(t *testing.T) {
	a, console, elements := vendorsOf(t)
	for _, s := range []cybereasonsim.Sensor{{Name: "osk-pc-1"}, {Name: "osk-pc-2", Status: "Offline"}, {Name: "old-pc", Status: "Archived"}} {
		if _, err := console.AddSensor(s); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []withsecuresim.DeviceRef{{Name: "tky-pc-1"}, {Name: "tky-pc-2"}, {Name: "tky-pc-3"}, {Name: "gone", State: "inactive"}} {
		if _, err := elements.AddDevice(d); err != nil {
			t.Fatal(err)
		}
	}
	counts, err := a.CountActiveEndpoints(context.Background(), "acme")
	if err != nil {
		t.Fatalf("CountActiveEndpoints: %v", err)
	}
	want := map[string]int{"cybereason": 2, "withsecure": 3}
	if len(counts) != len(want) || counts["cybereason"] != 2 || counts["withsecure"] != 3 {
		t.Errorf("counts = %v, want %v (zscaler cannot count and is left out)", counts, want)
	}
}

func TestCountActiveEndpointsFailure(t *testing.T) {
	cases := []struct {
		name      string
		customer  string
		fail      func(*cybereasonsim.Server)
		retryable bool
		words     []string
	}{
		{"refused by the vendor", "acme", func(c *cybereasonsim.Server) {
			c.FailNextWith("/rest/sensors/query", http.StatusForbidden, 1, "", "user lacks the Sensor Viewer role")
		}, false, []string{"customer acme", "cybereason", "403", "Sensor Viewer role"}},
		{"vendor down", "acme", func(c *cybereasonsim.Server) {
			c.FailNext("/rest/sensors/query", http.StatusBadGateway, 1, "")
		}, true, []string{"customer acme", "cybereason", "502"}},
		{"unknown customer", "initech", func(*cybereasonsim.Server) {}, false, []string{"unknown customer initech"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, console, _ := vendorsOf(t)
			tc.fail(console)
			_, err := a.CountActiveEndpoints(context.Background(), tc.customer)
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) {
				t.Fatalf("error %v is not an application error", err)
			}
			if appErr.NonRetryable() == tc.retryable {
				t.Errorf("retryable = %v, want %v", !appErr.NonRetryable(), tc.retryable)
			}
			for _, word := range tc.words {
				if !strings.Contains(appErr.Error(), word) {
					t.Errorf("error %q does not say %q", appErr, word)
				}
			}
		})
	}
}
