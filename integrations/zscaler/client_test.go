package zscaler

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"xsoc/integrations"
	"xsoc/integrations/zscaler/sim"
)

const (
	testKey      = "Zk3pQ8mN2xWa"
	testUser     = "admin@acme.example"
	testPassword = "correct horse"
)

func newTestClient(t *testing.T, url, key string) *Client {
	t.Helper()
	c, err := New(connection(url, key, testUser, testPassword))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func connection(url, key, user, password string) integrations.Connection {
	return integrations.Connection{Vendor: Vendor, URL: url, Secrets: map[integrations.Credential]string{
		integrations.APIKey: key, integrations.Username: user, integrations.Password: password}}
}

// newSim starts a simulated tenant and a client logged in to it.
func newSim(t *testing.T) (*sim.Server, *Client) {
	t.Helper()
	s := sim.New(testKey, testUser, testPassword)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, newTestClient(t, srv.URL, testKey)
}

// calls lists "METHOD path" of the recorded API calls.
func calls(s *sim.Server) []string {
	var out []string
	for _, c := range s.Calls() {
		out = append(out, c.Method+" "+c.Path)
	}
	return out
}

func TestObfuscateAPIKey(t *testing.T) {
	t.Parallel()
	// n = "123456", r = 123456>>1 = "061728": key[1..6], then key[0+2], key[6+2], key[1+2], key[7+2], key[2+2], key[8+2].
	if got := obfuscateAPIKey("abcdefghijkl", 1700000123456); got != "bcdefgcidjek" {
		t.Fatalf("got %q", got)
	}
}

func TestConnectRefusesIncompleteConfig(t *testing.T) {
	t.Parallel()
	vendor, ok := integrations.LookupVendor(Vendor)
	if !ok {
		t.Fatal("zscaler is not registered")
	}
	full := connection("https://zsapi.zscaler.net", testKey, testUser, testPassword)
	cases := []struct {
		name        string
		edit        func(*integrations.Connection)
		wantInError string
	}{
		{"wrong vendor", func(c *integrations.Connection) { c.Vendor = "cybereason" }, `"cybereason"`},
		{"no url", func(c *integrations.Connection) { c.URL = "" }, "not an http(s) URL"},
		{"url without scheme", func(c *integrations.Connection) { c.URL = "zsapi.zscaler.net" }, "not an http(s) URL"},
		{"no api key", func(c *integrations.Connection) { c.Secrets = connection("", "", testUser, testPassword).Secrets }, "no api_key given"},
		{"empty password", func(c *integrations.Connection) { c.Secrets = connection("", testKey, testUser, "").Secrets }, "no password given"},
		{"short key", func(c *integrations.Connection) { c.Secrets = connection("", "abc", testUser, testPassword).Secrets }, "has 3 characters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := full
			tc.edit(&c)
			_, err := vendor.Connect(c)
			if err == nil || !strings.Contains(err.Error(), tc.wantInError) {
				t.Fatalf("error %v, want one saying %q", err, tc.wantInError)
			}
			if err != nil && strings.Contains(err.Error(), testPassword) {
				t.Fatalf("error shows the password: %v", err)
			}
		})
	}
	c, err := New(full)
	if err != nil || c.base != "https://zsapi.zscaler.net/api/v1" {
		t.Fatalf("client %+v, err %v", c, err)
	}
}

func TestCapabilitiesAndUnsupported(t *testing.T) {
	t.Parallel()
	_, c := newSim(t)
	caps := integrations.CapabilitiesOf(Vendor)
	if caps.IsolateHost || !caps.BlockIndicators || !caps.Investigate || caps.WriteBackVerdict {
		t.Fatalf("capabilities %+v", caps)
	}
	if vendor, _ := integrations.LookupVendor(Vendor); vendor.Polled {
		t.Fatal("zscaler pushes through a Cloud NSS feed: it must not be polled")
	}
	host := integrations.Host{Name: "osk-pc-17"}
	if _, err := c.Isolate(context.Background(), host); !errors.Is(err, integrations.ErrUnsupported) {
		t.Fatalf("isolate: %v", err)
	}
	if _, err := c.Release(context.Background(), host); !errors.Is(err, integrations.ErrUnsupported) {
		t.Fatalf("release: %v", err)
	}
	if err := c.WriteBack(context.Background(), integrations.Conclusion{AlertID: "1", Verdict: "false_positive"}); err != nil {
		t.Fatalf("write back: %v", err)
	}
}

func TestBlockAndUnblockAreIdempotent(t *testing.T) {
	t.Parallel()
	s, c := newSim(t)
	s.SeedDenylist(".demisto.com", "dbot.com")
	ctx := context.Background()
	indicators := []integrations.Indicator{
		{Type: "url", Value: "https://Login.Evil.example/phish?id=1"},
		{Type: "domain", Value: "evil.example"},
		{Type: "ip", Value: "192.0.2.66"},
		{Type: "domain", Value: "DBOT.com"},
		{Type: "md5", Value: "afcb861561f7416c5e852001d31f8921"},
	}
	wantTargets := []string{"login.evil.example/phish?id=1", "evil.example", "192.0.2.66", "dbot.com"}

	res, err := c.Block(ctx, indicators)
	if err != nil {
		t.Fatal(err)
	}
	if res.AlreadyInPlace || !slices.Equal(res.Targets, wantTargets) || !strings.Contains(res.VendorAnswer, "md5") {
		t.Fatalf("first block %+v", res)
	}
	wantCalls := []string{"POST /api/v1/authenticatedSession", "GET /api/v1/security/advanced",
		"POST /api/v1/security/advanced/blacklistUrls", "POST /api/v1/status/activate"}
	if got := calls(s); !slices.Equal(got, wantCalls) {
		t.Fatalf("calls %v, want %v", got, wantCalls)
	}
	add := s.Calls()[2]
	if add.Query != "action=ADD_TO_LIST" || add.Body != `{"blacklistUrls":["login.evil.example/phish?id=1","evil.example","192.0.2.66"]}` {
		t.Fatalf("add call %+v", add)
	}
	wantActive := []string{".demisto.com", "dbot.com", "login.evil.example/phish?id=1", "evil.example", "192.0.2.66"}
	if got := s.Denylist(); !slices.Equal(got, wantActive) {
		t.Fatalf("active denylist %v", got)
	}

	again, err := c.Block(ctx, indicators)
	if err != nil {
		t.Fatal(err)
	}
	if !again.AlreadyInPlace {
		t.Fatalf("second block %+v", again)
	}
	if got := calls(s)[4:]; !slices.Equal(got, []string{"GET /api/v1/security/advanced", "GET /api/v1/status"}) {
		t.Fatalf("a repeated block wrote: %v", got)
	}

	res, err = c.Unblock(ctx, indicators[:3])
	if err != nil || res.AlreadyInPlace {
		t.Fatalf("unblock %+v, %v", res, err)
	}
	if got := s.Denylist(); !slices.Equal(got, []string{".demisto.com", "dbot.com"}) {
		t.Fatalf("denylist after unblock %v", got)
	}
	remove := s.Calls()[7]
	if remove.Query != "action=REMOVE_FROM_LIST" {
		t.Fatalf("remove call %+v", remove)
	}
	res, err = c.Unblock(ctx, indicators[:3])
	if err != nil || !res.AlreadyInPlace {
		t.Fatalf("second unblock %+v, %v", res, err)
	}
	if s.Activations() != 2 {
		t.Fatalf("%d activations, want 2", s.Activations())
	}
}

// A block whose activation failed left the entries saved but not enforced: the retry
// finds nothing to add, sees the pending change and activates it.
func TestBlockRetryActivatesPendingChange(t *testing.T) {
	t.Parallel()
	s, c := newSim(t)
	ctx := context.Background()
	s.FailNext("/api/v1/status/activate", http.StatusServiceUnavailable, 1, "")
	indicators := []integrations.Indicator{{Type: "domain", Value: "evil.example"}}
	_, err := c.Block(ctx, indicators)
	var vendorErr *integrations.VendorError
	if !errors.As(err, &vendorErr) || vendorErr.StatusCode != 503 || !vendorErr.Retryable() {
		t.Fatalf("first attempt: %v", err)
	}
	if len(s.Denylist()) != 0 || len(s.SavedDenylist()) != 1 {
		t.Fatalf("active %v, saved %v", s.Denylist(), s.SavedDenylist())
	}
	res, err := c.Block(ctx, indicators)
	if err != nil || res.AlreadyInPlace || !strings.Contains(res.VendorAnswer, "pending") {
		t.Fatalf("retry %+v, %v", res, err)
	}
	if !slices.Equal(s.Denylist(), []string{"evil.example"}) {
		t.Fatalf("active %v", s.Denylist())
	}
}

func TestBlockWithoutBlockableIndicators(t *testing.T) {
	t.Parallel()
	s, c := newSim(t)
	_, err := c.Block(context.Background(), []integrations.Indicator{{Type: "md5", Value: "afcb861561f7416c5e852001d31f8921"}})
	if !errors.Is(err, integrations.ErrUnsupported) {
		t.Fatalf("err %v", err)
	}
	if len(s.Calls()) != 0 {
		t.Fatalf("calls %v", calls(s))
	}
}

func TestNormalizeEntry(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"https://evil.example/path":  "evil.example/path",
		"HTTP://Evil.Example/Path":   "evil.example/Path",
		"evil.example/":              "evil.example",
		"evil.example.":              "evil.example",
		"evil.example:443":           "evil.example",
		"evil.example:8443/x":        "evil.example:8443/x",
		"  .evil.example  ":          ".evil.example",
		"https://":                   "",
		"evil.example/a?b=c#frag":    "evil.example/a?b=c#frag",
		"http://192.0.2.1:80/x.php":  "192.0.2.1/x.php",
		"https://evil.example?x=1":   "evil.example?x=1",
		"https://evil.example/login": "evil.example/login",
	}
	for in, want := range cases {
		if got := normalizeEntry(in); got != want {
			t.Errorf("normalizeEntry(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReauthenticatesOnExpiredSession(t *testing.T) {
	t.Parallel()
	s, c := newSim(t)
	ctx := context.Background()
	if _, err := c.Block(ctx, []integrations.Indicator{{Type: "domain", Value: "a.example"}}); err != nil {
		t.Fatal(err)
	}
	s.ExpireSessions()
	if _, err := c.Block(ctx, []integrations.Indicator{{Type: "domain", Value: "b.example"}}); err != nil {
		t.Fatal(err)
	}
	logins := 0
	for _, call := range calls(s) {
		if call == "POST /api/v1/authenticatedSession" {
			logins++
		}
	}
	if logins != 2 {
		t.Fatalf("%d logins in %v", logins, calls(s))
	}
	if !slices.Equal(s.Denylist(), []string{"a.example", "b.example"}) {
		t.Fatalf("denylist %v", s.Denylist())
	}
}

// ZIA answering 401 right after a fresh login is not an expired session: one retry, then the error.
func TestPersistent401IsReturned(t *testing.T) {
	t.Parallel()
	s, c := newSim(t)
	s.FailNext("/api/v1/security/advanced", http.StatusUnauthorized, 2, "")
	_, err := c.Block(context.Background(), []integrations.Indicator{{Type: "domain", Value: "a.example"}})
	var vendorErr *integrations.VendorError
	if !errors.As(err, &vendorErr) || vendorErr.StatusCode != 401 || vendorErr.Retryable() {
		t.Fatalf("err %v", err)
	}
}

func TestVendorErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name           string
		path           string
		status         int
		retryAfter     string
		wantRetryable  bool
		wantRetryAfter time.Duration
		wantMessage    string
	}{
		{"429 with header and body", "/api/v1/security/advanced", 429, "7", true, 7 * time.Second, "Rate Limit (1/SECOND) exceeded"},
		{"429 with body only", "/api/v1/security/advanced", 429, "3 seconds", true, 3 * time.Second, "Rate Limit (1/SECOND) exceeded"},
		{"429 zero seconds", "/api/v1/status/activate", 429, "0 seconds", true, 0, "Rate Limit (1/SECOND) exceeded"},
		{"500", "/api/v1/security/advanced/blacklistUrls", 500, "", true, 0, "Unexpected error"},
		{"503 with Retry-After", "/api/v1/security/advanced", 503, "30", true, 30 * time.Second, "temporarily unavailable"},
		{"400 with vendor message", "/api/v1/security/advanced/blacklistUrls", 400, "", false, 0, "Invalid or bad request"},
		{"403", "/api/v1/security/advanced", 403, "", false, 0, "no access permissions"},
		{"429 on login", "/api/v1/authenticatedSession", 429, "1", true, time.Second, "Rate Limit (1/SECOND) exceeded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, c := newSim(t)
			s.FailNext(tc.path, tc.status, 1, tc.retryAfter)
			_, err := c.Block(context.Background(), []integrations.Indicator{{Type: "domain", Value: "evil.example"}})
			var vendorErr *integrations.VendorError
			if !errors.As(err, &vendorErr) {
				t.Fatalf("err %v is not a VendorError", err)
			}
			if vendorErr.StatusCode != tc.status || vendorErr.Retryable() != tc.wantRetryable ||
				vendorErr.RetryAfter != tc.wantRetryAfter || !strings.Contains(vendorErr.Message, tc.wantMessage) {
				t.Fatalf("got %+v (retryable %v)", vendorErr, vendorErr.Retryable())
			}
		})
	}
}

func TestBadCredentials(t *testing.T) {
	t.Parallel()
	s := sim.New(testKey, testUser, testPassword)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL, "WrongKey1234")
	_, err := c.Block(context.Background(), []integrations.Indicator{{Type: "domain", Value: "evil.example"}})
	var vendorErr *integrations.VendorError
	if !errors.As(err, &vendorErr) || vendorErr.StatusCode != 401 || vendorErr.Retryable() ||
		!strings.Contains(err.Error(), "authenticate "+testUser) || !strings.Contains(err.Error(), "API key") {
		t.Fatalf("err %v", err)
	}
	if got := calls(s); !slices.Equal(got, []string{"POST /api/v1/authenticatedSession"}) {
		t.Fatalf("calls after a refused login: %v", got)
	}
}

func TestLoginSendsObfuscatedKey(t *testing.T) {
	t.Parallel()
	s, c := newSim(t)
	fixed := time.UnixMilli(1700000123456)
	c.now = func() time.Time { return fixed }
	if _, err := c.Block(context.Background(), []integrations.Indicator{{Type: "domain", Value: "evil.example"}}); err != nil {
		t.Fatal(err)
	}
	var login map[string]any
	if err := json.Unmarshal([]byte(s.Calls()[0].Body), &login); err != nil {
		t.Fatal(err)
	}
	if login["apiKey"] != obfuscateAPIKey(testKey, 1700000123456) || login["timestamp"] != float64(1700000123456) ||
		login["username"] != testUser || login["password"] != testPassword {
		t.Fatalf("login body %v", login)
	}
}

func TestInvestigate(t *testing.T) {
	t.Parallel()
	s, c := newSim(t)
	s.SetClassification("login.evil.example", sim.Classification{Classifications: []string{"MISCELLANEOUS_OR_UNKNOWN"}, SecurityAlerts: []string{"PHISHING"}})
	s.SetSandboxReport("afcb861561f7416c5e852001d31f8921", readFile(t, filepath.Join(fixtures, "sandbox_report.json")))
	alert := integrations.Alert{
		ID: "1", Hosts: []integrations.Host{{Name: "osk-pc-17"}}, Users: []string{"taro"},
		Indicators: []integrations.Indicator{
			{Type: "url", Value: "https://login.evil.example/common/oauth2"},
			{Type: "domain", Value: "login.evil.example"},
			{Type: "ip", Value: "192.0.2.66"},
			{Type: "md5", Value: "AFCB861561F7416C5E852001D31F8921"},
			{Type: "md5", Value: "00000000000000000000000000000000"},
		},
	}
	f, err := c.Investigate(context.Background(), alert)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 of 3 looked-up indicators carry a security alert", "PHISHING", "MALICIOUS (ADWARE, Adware.Generic.48627, score 76, EXE)", "sandbox has no verdict for 00000000000000000000000000000000"} {
		if !strings.Contains(f.Summary, want) {
			t.Errorf("summary %q lacks %q", f.Summary, want)
		}
	}
	wantIndicators := []integrations.Indicator{
		{Type: "url", Value: "login.evil.example/common/oauth2"},
		{Type: "domain", Value: "login.evil.example"},
		{Type: "md5", Value: "afcb861561f7416c5e852001d31f8921"},
		{Type: "sha256", Value: "fc9003461e52006be0188e1fc1b7656c81e930ec78a93eb7ab21fdff3e566314"},
		{Type: "sha1", Value: "1dce4aacf1e17418ebc05d6d2e9034a8271185f9"},
	}
	if !slices.Equal(f.Indicators, wantIndicators) {
		t.Errorf("indicators %v", f.Indicators)
	}
	if !slices.ContainsFunc(f.Details, func(d string) bool { return strings.Contains(d, "Entrypoint lies outside standard sections") }) {
		t.Errorf("details %v", f.Details)
	}
	if f.Hosts[0].Name != "osk-pc-17" || f.Users[0] != "taro" {
		t.Errorf("findings %+v", f)
	}
	lookup := s.Calls()[1]
	if lookup.Path != "/api/v1/urlLookup" || lookup.Body != `["login.evil.example/common/oauth2","login.evil.example","192.0.2.66"]` {
		t.Errorf("lookup call %+v", lookup)
	}
}

func TestInvestigateWithoutIndicators(t *testing.T) {
	t.Parallel()
	s, c := newSim(t)
	f, err := c.Investigate(context.Background(), integrations.Alert{ID: "1"})
	if err != nil || !strings.Contains(f.Summary, "no url, domain, ip or md5") || len(s.Calls()) != 0 {
		t.Fatalf("findings %+v, err %v, calls %v", f, err, calls(s))
	}
}

// recordedZIA answers with the recorded vendor bodies, verbatim, so the client is checked
// against what ZIA really sends and not only against the simulator's rendition.
func recordedZIA(t *testing.T, lookup string) *httptest.Server {
	t.Helper()
	serve := func(file string) http.HandlerFunc {
		body := readFile(t, filepath.Join(fixtures, file))
		return func(w http.ResponseWriter, r *http.Request) {
			if c, err := r.Cookie("JSESSIONID"); err != nil || c.Value != "recorded" {
				http.Error(w, `{"message":"not authenticated"}`, http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/authenticatedSession", func(w http.ResponseWriter, _ *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: "recorded"})
		_, _ = w.Write([]byte(`{"authType":"ADMIN_LOGIN"}`))
	})
	mux.HandleFunc("GET /api/v1/security/advanced", serve("blacklist.json"))
	mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"status":"ACTIVE"}`)) })
	mux.HandleFunc("POST /api/v1/urlLookup", serve(lookup))
	mux.HandleFunc("GET /api/v1/sandbox/report/{md5}", serve("sandbox_report.json"))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestClientReadsRecordedResponses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("denylist", func(t *testing.T) {
		t.Parallel()
		c := newTestClient(t, recordedZIA(t, "url_lookup.json").URL, testKey)
		res, err := c.Block(ctx, []integrations.Indicator{{Type: "domain", Value: "www.demisto22.com"}, {Type: "url", Value: "http://dbot.com/"}})
		if err != nil || !res.AlreadyInPlace {
			t.Fatalf("block of listed entries %+v, %v", res, err)
		}
	})
	cases := []struct {
		fixture, indicator, wantInSummary string
		flagged                           int
	}{
		{"url_lookup.json", "www.demisto22.com", "none of 1 looked-up indicators carries a security alert", 0},
		{"url_lookup_security_alert.json", "www.demisto22.com", "www.demisto22.com: MALWARE_SITE", 1},
		{"url_lookup_rapid7_example.json", "example.com", "none of 1", 0},
		{"ip_lookup.json", "1.22.33.4", "none of 1", 0},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			c := newTestClient(t, recordedZIA(t, tc.fixture).URL, testKey)
			f, err := c.Investigate(ctx, integrations.Alert{ID: "1", Indicators: []integrations.Indicator{{Type: "domain", Value: tc.indicator}}})
			if err != nil || !strings.Contains(f.Summary, tc.wantInSummary) || len(f.Indicators) != tc.flagged {
				t.Fatalf("findings %+v, err %v", f, err)
			}
		})
	}
	t.Run("sandbox report", func(t *testing.T) {
		t.Parallel()
		c := newTestClient(t, recordedZIA(t, "url_lookup.json").URL, testKey)
		f, err := c.Investigate(ctx, integrations.Alert{ID: "1", Indicators: []integrations.Indicator{{Type: "md5", Value: "afcb861561f7416c5e852001d31f8921"}}})
		if err != nil || !strings.Contains(f.Summary, "MALICIOUS (ADWARE, Adware.Generic.48627, score 76, EXE)") {
			t.Fatalf("findings %+v, err %v", f, err)
		}
	})
}
