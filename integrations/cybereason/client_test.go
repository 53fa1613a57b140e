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

	"xsoc/config"
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
	c, err := New(testPlatform(srv.URL, severityMap), testEnv(testUser, testPassword))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, console
}

func testPlatform(url string, severityMap map[string]string) config.Platform {
	return config.Platform{Vendor: Vendor, URL: url, UsernameEnv: "CR_USER", PasswordEnv: "CR_PASSWORD", SeverityMap: severityMap}
}

func testEnv(user, password string) func(string) string {
	return func(name string) string {
		return map[string]string{"CR_USER": user, "CR_PASSWORD": password}[name]
	}
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

func TestNewRefusesIncompleteConfig(t *testing.T) {
	t.Parallel()
	good := testPlatform("https://acme.cybereason.net", nil)
	tests := []struct {
		name   string
		modify func(*config.Platform)
		env    func(string) string
		want   string
	}{
		{"no username_env", func(p *config.Platform) { p.UsernameEnv = "" }, testEnv("u", "p"), "username_env is required"},
		{"empty username", nil, testEnv("", "p"), "CR_USER (username_env) is empty"},
		{"empty password", nil, testEnv("u", ""), "CR_PASSWORD (password_env) is empty"},
		{"no url", func(p *config.Platform) { p.URL = "" }, testEnv("u", "p"), "url is required"},
		{"url without scheme", func(p *config.Platform) { p.URL = "acme.cybereason.net" }, testEnv("u", "p"), "not an http(s) URL"},
		{"other vendor", func(p *config.Platform) { p.Vendor = "withsecure" }, testEnv("u", "p"), `vendor is "withsecure"`},
		{"bad severity map", func(p *config.Platform) { p.SeverityMap = map[string]string{"High": "urgent"} }, testEnv("u", "p"), `severity_map["High"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := good
			if tt.modify != nil {
				tt.modify(&p)
			}
			_, err := New(p, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	c, err := New(good, testEnv("u", "p"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Vendor() != "cybereason" {
		t.Errorf("Vendor() = %q", c.Vendor())
	}
	if caps := c.Capabilities(); !caps.IsolateHost || caps.BlockIndicators || !caps.Investigate || !caps.WriteBackVerdict {
		t.Errorf("Capabilities() = %+v", caps)
	}
}

func TestLoginRefused(t *testing.T) {
	t.Parallel()
	console := sim.New(testUser, testPassword)
	srv := httptest.NewServer(console)
	t.Cleanup(srv.Close)
	c, err := New(testPlatform(srv.URL, nil), testEnv(testUser, "wrong"))
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
	c, err := New(testPlatform(srv.URL, nil), testEnv(testUser, testPassword))
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
