package cybereason

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xsoc/integrations"
	"xsoc/integrations/cybereason/sim"
)

const (
	testUser     = "soc@acme.example"
	testPassword = "s3cret"
)

// newTestClient answers a client logged in to a fresh simulated console.
func newTestClient(t *testing.T, severityMap map[string]string) (*Client, *sim.Server) {
	t.Helper()
	console := sim.New(testUser, testPassword)
	srv := httptest.NewServer(console)
	t.Cleanup(srv.Close)
	c, err := New(testConnection(srv.URL, severityMap, testUser, testPassword))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, console
}

func testConnection(url string, severityMap map[string]string, user, password string) integrations.Connection {
	return integrations.Connection{Vendor: Vendor, URL: url, SeverityMap: severityMap,
		Secrets: map[integrations.Credential]string{integrations.Username: user, integrations.Password: password}}
}

func countCalls(console *sim.Server, method, path string) int {
	n := 0
	for _, call := range console.Calls() {
		if call.Method == method && call.Path == path {
			n++
		}
	}
	return n
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
		t.Fatal("cybereason is not registered")
	}
	good := testConnection("https://acme.cybereason.net", nil, "u", "p")
	tests := []struct {
		name   string
		modify func(*integrations.Connection)
		want   string
	}{
		{"empty username", func(c *integrations.Connection) {
			c.Secrets = map[integrations.Credential]string{integrations.Password: "p"}
		}, "no username given"},
		{"empty password", func(c *integrations.Connection) {
			c.Secrets = map[integrations.Credential]string{integrations.Username: "u"}
		}, "no password given"},
		{"no url", func(c *integrations.Connection) { c.URL = "" }, "url is required"},
		{"url without scheme", func(c *integrations.Connection) { c.URL = "acme.cybereason.net" }, "not an http(s) URL"},
		{"other vendor", func(c *integrations.Connection) { c.Vendor = "withsecure" }, `vendor is "withsecure"`},
		{"bad severity map", func(c *integrations.Connection) { c.SeverityMap = map[string]string{"High": "urgent"} }, `severity_map["High"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := good
			tt.modify(&c)
			_, err := vendor.Connect(c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := vendor.Connect(good); err != nil {
		t.Fatal(err)
	}
	if caps := integrations.CapabilitiesOf(Vendor); !caps.IsolateHost || caps.BlockIndicators || !caps.Investigate || !caps.WriteBackVerdict {
		t.Errorf("capabilities = %+v", caps)
	}
	if !vendor.Polled {
		t.Error("cybereason does not push MalOps: it must be polled")
	}
}

func TestLoginRefused(t *testing.T) {
	t.Parallel()
	console := sim.New(testUser, testPassword)
	srv := httptest.NewServer(console)
	t.Cleanup(srv.Close)
	c, err := New(testConnection(srv.URL, nil, testUser, "wrong"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Poll(context.Background(), "", time.Time{})
	ve := vendorError(t, err)
	if ve.StatusCode != http.StatusUnauthorized || ve.Retryable() || !strings.Contains(ve.Message, testUser) {
		t.Errorf("error = %+v, want a non-retryable 401 naming the user", ve)
	}
	if n := countCalls(console, http.MethodPost, "/rest/mmng/v2/malops"); n != 0 {
		t.Errorf("the API was called %d times without a session", n)
	}
	for _, call := range console.Calls() {
		if strings.Contains(call.Body, "wrong") {
			t.Errorf("the simulator recorded the password: %q", call.Body)
		}
	}
}

func TestExpiredSessionLogsInAgainOnce(t *testing.T) {
	t.Parallel()
	c, console := newTestClient(t, nil)
	ctx := context.Background()
	if _, err := c.Poll(ctx, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	console.ExpireSessions()

	// Several activities hit the expired session at once: one login serves them all.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := c.Poll(ctx, "", time.Time{})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Poll after expiry: %v", err)
		}
	}
	if n := countCalls(console, http.MethodPost, "/login.html"); n != 2 {
		t.Errorf("logins = %d, want 2 (first use, then one renewal)", n)
	}
}

func TestSessionRefusedRightAfterLogin(t *testing.T) {
	t.Parallel()
	// A console that accepts the login but shows its login page to every API call, as
	// it does for a user without API rights.
	var logins atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login.html" {
			logins.Add(1)
			http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: "abc", Path: "/"})
			_, _ = io.WriteString(w, "<html><app-root></app-root></html>")
			return
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html><app-login></app-login></html>")
	}))
	t.Cleanup(srv.Close)
	c, err := New(testConnection(srv.URL, nil, testUser, testPassword))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Poll(context.Background(), "", time.Time{})
	ve := vendorError(t, err)
	if ve.StatusCode != http.StatusUnauthorized || ve.Retryable() || !strings.Contains(ve.Message, "API access") {
		t.Errorf("error = %+v", ve)
	}
	if n := logins.Load(); n != 2 {
		t.Errorf("logins = %d, want 2 (no loop)", n)
	}
}

func TestVendorFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		path       string
		status     int
		retryAfter string
		message    string
		retryable  bool
		wait       time.Duration
	}{
		{"rate limited", "/rest/mmng/v2/malops", http.StatusTooManyRequests, "7", "", true, 7 * time.Second},
		{"server error", "/rest/mmng/v2/malops", http.StatusServiceUnavailable, "", "", true, 0},
		{"refused", "/rest/mmng/v2/malops", http.StatusBadRequest, "", "Invalid pagination offset", false, 0},
		{"login rate limited", "/login.html", http.StatusTooManyRequests, "30", "", true, 30 * time.Second},
		{"login server error", "/login.html", http.StatusInternalServerError, "", "", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, console := newTestClient(t, nil)
			if tt.message != "" {
				console.FailNextWith(tt.path, tt.status, 1, tt.retryAfter, tt.message)
			} else {
				console.FailNext(tt.path, tt.status, 1, tt.retryAfter)
			}
			_, err := c.Poll(context.Background(), "", time.Time{})
			ve := vendorError(t, err)
			if ve.StatusCode != tt.status || ve.Retryable() != tt.retryable || ve.RetryAfter != tt.wait {
				t.Errorf("error = %+v (retryable %v), want status %d, retryable %v, retry after %v",
					ve, ve.Retryable(), tt.status, tt.retryable, tt.wait)
			}
			if tt.message != "" && ve.Message != tt.message {
				t.Errorf("message = %q, want the console's %q", ve.Message, tt.message)
			}
			if _, err := c.Poll(context.Background(), "", time.Time{}); err != nil {
				t.Errorf("the next poll still fails: %v", err)
			}
		})
	}
}
