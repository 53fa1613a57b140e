package withsecure

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"xsoc/integrations"
	"xsoc/integrations/withsecure/sim"
)

const (
	testClientID = "ws-client"
	testSecret   = "ws-secret"
)

func connection(url, clientID, secret string) integrations.Connection {
	return integrations.Connection{Vendor: Vendor, URL: url,
		Secrets: map[integrations.Credential]string{integrations.ClientID: clientID, integrations.Secret: secret}}
}

// newSimClient starts a simulator and a client for it.
func newSimClient(t *testing.T) (*sim.Server, *Client) {
	t.Helper()
	s := sim.New(testClientID, testSecret)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := New(connection(srv.URL, testClientID, testSecret))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, c
}

func callsTo(s *sim.Server, method, path string) []sim.Call {
	var out []sim.Call
	for _, c := range s.Calls() {
		if c.Method == method && c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

func vendorError(t *testing.T, err error) *integrations.VendorError {
	t.Helper()
	var ve *integrations.VendorError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *integrations.VendorError", err, err)
	}
	return ve
}

func TestConnectRefusesIncompleteConfig(t *testing.T) {
	t.Parallel()
	vendor, ok := integrations.LookupVendor(Vendor)
	if !ok {
		t.Fatal("withsecure is not registered")
	}
	cases := []struct {
		name       string
		connection integrations.Connection
		wantErr    []string
	}{
		{"other vendor", integrations.Connection{Vendor: "cybereason", URL: "https://x.example", Secrets: connection("", "id", "secret").Secrets}, []string{`platform vendor is "cybereason"`}},
		{"no url", connection("", "id", "secret"), []string{"url"}},
		{"relative url", connection("api.connect.withsecure.com", "id", "secret"), []string{"not an absolute URL"}},
		{"no credentials", connection("https://api.connect.withsecure.com", "", ""), []string{"no client_id given", "no secret given"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := vendor.Connect(tc.connection)
			if err == nil {
				t.Fatal("Connect accepted it")
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q should contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "secret\"") || strings.Contains(err.Error(), ": secret") {
				t.Errorf("error %q leaks the secret", err)
			}
		})
	}
}

func TestTokenIsRequestedOnceAndCached(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	ctx := context.Background()
	for range 3 {
		if _, err := c.Poll(ctx, "", time.Now().Add(-time.Hour)); err != nil {
			t.Fatalf("Poll: %v", err)
		}
	}
	tokens := callsTo(s, http.MethodPost, "/as/token.oauth2")
	if len(tokens) != 1 {
		t.Fatalf("%d token requests, want 1 for three polls", len(tokens))
	}
	form, err := url.ParseQuery(tokens[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	if form.Get("grant_type") != "client_credentials" || form.Get("scope") != "connect.api.read connect.api.write" {
		t.Errorf("token request form = %v", form)
	}
	if strings.Contains(tokens[0].Body, testSecret) {
		t.Error("the secret travels in the form; it belongs in the basic auth header")
	}
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	s.SetTokenTTL(100 * time.Second)
	clock := time.Now()
	c.now = func() time.Time { return clock }
	ctx := context.Background()
	if _, err := c.Poll(ctx, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(85 * time.Second) // inside the lifetime
	if _, err := c.Poll(ctx, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if n := len(callsTo(s, http.MethodPost, "/as/token.oauth2")); n != 1 {
		t.Fatalf("%d token requests inside the token's lifetime, want 1", n)
	}
	clock = clock.Add(10 * time.Second) // within the renewal margin before expiry
	if _, err := c.Poll(ctx, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if n := len(callsTo(s, http.MethodPost, "/as/token.oauth2")); n != 2 {
		t.Fatalf("%d token requests, want a renewal shortly before expiry", n)
	}
}

func TestExpiredTokenIsRenewedOnce(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	ctx := context.Background()
	if _, err := c.Poll(ctx, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	s.ExpireTokens()
	if _, err := c.Poll(ctx, "", time.Time{}); err != nil {
		t.Fatalf("Poll after the vendor expired the token: %v", err)
	}
	if n := len(callsTo(s, http.MethodPost, "/as/token.oauth2")); n != 2 {
		t.Errorf("%d token requests, want 2 (first, then one renewal)", n)
	}
	if n := len(callsTo(s, http.MethodGet, "/incidents/v1/incidents")); n != 3 {
		t.Errorf("%d incident listings, want 3 (ok, refused, retried)", n)
	}
}

func TestRepeated401IsReturned(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	s.FailNext("/incidents/v1/incidents", http.StatusUnauthorized, 2, "")
	_, err := c.Poll(context.Background(), "", time.Time{})
	ve := vendorError(t, err)
	if ve.StatusCode != http.StatusUnauthorized || ve.Retryable() {
		t.Errorf("error = %v, want a non-retryable 401", ve)
	}
	if n := len(callsTo(s, http.MethodGet, "/incidents/v1/incidents")); n != 2 {
		t.Errorf("%d listings, want exactly one retry", n)
	}
}

func TestBadCredentials(t *testing.T) {
	t.Parallel()
	s := sim.New(testClientID, testSecret)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := New(connection(srv.URL, testClientID, "wrong"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Poll(context.Background(), "", time.Time{})
	ve := vendorError(t, err)
	if ve.StatusCode != http.StatusUnauthorized || ve.Operation != "authenticate" || ve.Message != "Invalid credentials" || ve.Retryable() {
		t.Errorf("error = %+v, want the vendor's non-retryable 401 Invalid credentials", ve)
	}
}

func TestVendorFailuresBecomeVendorErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		path       string
		status     int
		retryAfter string
		wantRetry  bool
		wantAfter  time.Duration
	}{
		{"rate limited", "/incidents/v1/incidents", http.StatusTooManyRequests, "7", true, 7 * time.Second},
		{"server error", "/incidents/v1/incidents", http.StatusBadGateway, "", true, 0},
		{"unavailable with retry-after", "/incidents/v1/incidents", http.StatusServiceUnavailable, "3", true, 3 * time.Second},
		{"token endpoint down", "/as/token.oauth2", http.StatusInternalServerError, "", true, 0},
		{"forbidden", "/incidents/v1/incidents", http.StatusForbidden, "", false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, c := newSimClient(t)
			s.FailNext(tc.path, tc.status, 1, tc.retryAfter)
			_, err := c.Poll(context.Background(), "", time.Time{})
			ve := vendorError(t, err)
			if ve.StatusCode != tc.status || ve.Retryable() != tc.wantRetry || ve.RetryAfter != tc.wantAfter {
				t.Errorf("error = %+v, want status %d retryable %v after %v", ve, tc.status, tc.wantRetry, tc.wantAfter)
			}
			if !strings.Contains(ve.Message, "injected by the WithSecure simulator") {
				t.Errorf("message %q is not the vendor's", ve.Message)
			}
			if _, err := c.Poll(context.Background(), "", time.Time{}); err != nil {
				t.Errorf("the next poll should succeed: %v", err)
			}
		})
	}
}

// A 4xx carries the vendor's own words, here a refused incident update.
func TestVendor4xxCarriesMessage(t *testing.T) {
	t.Parallel()
	_, c := newSimClient(t)
	err := c.WriteBack(context.Background(), integrations.Conclusion{AlertID: "no-such-incident", Verdict: "true_positive", By: "alice"})
	ve := vendorError(t, err)
	if ve.StatusCode != http.StatusNotFound || ve.Retryable() || !strings.Contains(ve.Message, "Incident not found") {
		t.Errorf("error = %+v, want the vendor's 404 Incident not found", ve)
	}
}

func TestRegistration(t *testing.T) {
	t.Parallel()
	vendor, ok := integrations.LookupVendor(Vendor)
	if !ok || !vendor.Polled {
		t.Fatalf("withsecure must be registered as polled: %+v", vendor)
	}
	caps := integrations.CapabilitiesOf(Vendor)
	if !caps.IsolateHost || caps.BlockIndicators || !caps.Investigate || !caps.WriteBackVerdict {
		t.Errorf("capabilities = %+v", caps)
	}
}
