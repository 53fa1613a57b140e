package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	key      = "abcdefghijkl"
	username = "admin@acme.example"
	password = "secret"
)

func start(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	s := New(key, username, password)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func do(t *testing.T, method, url, session string, body any) (*http.Response, []byte) {
	t.Helper()
	var reader io.Reader
	if body != nil {
		encoded, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(encoded)
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	if session != "" {
		req.AddCookie(&http.Cookie{Name: "JSESSIONID", Value: session})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp, answer
}

func login(t *testing.T, srv *httptest.Server, apiKey string) (*http.Response, string) {
	t.Helper()
	ts := time.Now().UnixMilli()
	obf, _ := obfuscate(apiKey, strconv.FormatInt(ts, 10))
	resp, _ := do(t, http.MethodPost, srv.URL+"/api/v1/authenticatedSession", "",
		map[string]any{"apiKey": obf, "username": username, "password": password, "timestamp": ts})
	for _, c := range resp.Cookies() {
		if c.Name == "JSESSIONID" {
			return resp, c.Value
		}
	}
	return resp, ""
}

func TestObfuscateKnownAnswer(t *testing.T) {
	t.Parallel()
	if got, ok := obfuscate(key, "1700000123456"); !ok || got != "bcdefgcidjek" {
		t.Fatalf("got %q", got)
	}
}

func TestLoginAndSessions(t *testing.T) {
	t.Parallel()
	s, srv := start(t)
	resp, _ := login(t, srv, "mnopqrstuvwx")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong key answered %d", resp.StatusCode)
	}
	resp, session := login(t, srv, key)
	if resp.StatusCode != http.StatusOK || session == "" {
		t.Fatalf("login answered %d, session %q", resp.StatusCode, session)
	}
	if resp, _ := do(t, http.MethodGet, srv.URL+"/api/v1/security/advanced", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no cookie answered %d", resp.StatusCode)
	}
	if resp, body := do(t, http.MethodGet, srv.URL+"/api/v1/security/advanced", session, nil); resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "{}" {
		t.Fatalf("empty denylist answered %d %s", resp.StatusCode, body)
	}
	resp, body := do(t, http.MethodPost, srv.URL+"/_sim/expire-sessions", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"expired":1`) {
		t.Fatalf("expire answered %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, http.MethodGet, srv.URL+"/api/v1/status", session, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("expired session answered %d", resp.StatusCode)
	}
	s.mu.Lock()
	s.now = func() time.Time { return time.Now().Add(-2 * SessionTTL) }
	s.mu.Unlock()
	_, old := login(t, srv, key)
	s.mu.Lock()
	s.now = time.Now
	s.mu.Unlock()
	if resp, _ := do(t, http.MethodGet, srv.URL+"/api/v1/status", old, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("session past its TTL answered %d", resp.StatusCode)
	}
}

func TestDenylistPendingUntilActivated(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	_, session := login(t, srv, key)
	add := srv.URL + "/api/v1/security/advanced/blacklistUrls?action=ADD_TO_LIST"
	if resp, body := do(t, http.MethodPost, add, session, map[string]any{"blacklistUrls": []string{"https://evil.example"}}); resp.StatusCode != 400 || !strings.Contains(string(body), "http://") {
		t.Fatalf("entry with scheme answered %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, http.MethodPost, add, session, map[string]any{"blacklistUrls": []string{"evil.example/x", "EVIL.example/x"}}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("add answered %d", resp.StatusCode)
	}
	var state struct {
		Active, Saved []string
		Pending       bool
		Activations   int
	}
	_, body := do(t, http.MethodGet, srv.URL+"/_sim/denylist", "", nil)
	_ = json.Unmarshal(body, &state)
	if len(state.Active) != 0 || !slices.Equal(state.Saved, []string{"evil.example/x"}) || !state.Pending {
		t.Fatalf("state before activation %s", body)
	}
	if _, body := do(t, http.MethodGet, srv.URL+"/api/v1/status", session, nil); !strings.Contains(string(body), "PENDING") {
		t.Fatalf("status %s", body)
	}
	if resp, body := do(t, http.MethodPost, srv.URL+"/api/v1/status/activate", session, nil); resp.StatusCode != 200 || !strings.Contains(string(body), "ACTIVE") {
		t.Fatalf("activate answered %d %s", resp.StatusCode, body)
	}
	_, body = do(t, http.MethodGet, srv.URL+"/_sim/denylist", "", nil)
	_ = json.Unmarshal(body, &state)
	if !slices.Equal(state.Active, []string{"evil.example/x"}) || state.Pending || state.Activations != 1 {
		t.Fatalf("state after activation %s", body)
	}
	_, body = do(t, http.MethodGet, srv.URL+"/_sim/calls", "", nil)
	var recorded []Call
	_ = json.Unmarshal(body, &recorded)
	if len(recorded) != 5 || recorded[2].Query != "action=ADD_TO_LIST" || !strings.Contains(recorded[2].Body, "evil.example/x") {
		t.Fatalf("calls %s", body)
	}
}

func TestFaultInjectionOverHTTP(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	_, session := login(t, srv, key)
	do(t, http.MethodPost, srv.URL+"/_sim/fail", "", map[string]any{"path": "/api/v1/status", "status": 429, "times": 2, "retry_after": "2"})
	for range 2 {
		resp, body := do(t, http.MethodGet, srv.URL+"/api/v1/status", session, nil)
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" ||
			string(bytes.TrimSpace(body)) != `{"Retry-After":"2 seconds","message":"Rate Limit (1/SECOND) exceeded"}` {
			t.Fatalf("fault answered %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	if resp, _ := do(t, http.MethodGet, srv.URL+"/api/v1/status", session, nil); resp.StatusCode != 200 {
		t.Fatalf("after the faults: %d", resp.StatusCode)
	}
}

func TestFeedOverHTTP(t *testing.T) {
	t.Parallel()
	_, srv := start(t)
	resp, body := do(t, http.MethodPost, srv.URL+"/_sim/feed", "", map[string]any{"events": []map[string]string{
		{"recordid": "77", "host": "osk-pc-17", "user": "taro@acme.example", "url": "evil.example/p", "threatname": "HTML.Phishing.Gen", "severity": "Critical"},
		{"host": "osk-pc-17", "url": "www.example.com/"},
	}})
	if resp.StatusCode != 200 {
		t.Fatalf("feed answered %d %s", resp.StatusCode, body)
	}
	var events []map[string]any
	lines := bufio.NewScanner(bytes.NewReader(body))
	for lines.Scan() {
		var wrapped struct {
			Sourcetype string         `json:"sourcetype"`
			Event      map[string]any `json:"event"`
		}
		if err := json.Unmarshal(lines.Bytes(), &wrapped); err != nil || wrapped.Sourcetype != "zscalernss-web" {
			t.Fatalf("line %s: %v", lines.Bytes(), err)
		}
		events = append(events, wrapped.Event)
	}
	if len(events) != 2 {
		t.Fatalf("%d events", len(events))
	}
	threat, clean := events[0], events[1]
	if threat["recordid"] != "77" || threat["threatname"] != "HTML.Phishing.Gen" || threat["threatseverity"] != "Critical" ||
		threat["riskscore"] != "95" || threat["action"] != "Blocked" || threat["devicehostname"] != "osk-pc-17" || threat["urlcat"] != "Phishing" {
		t.Fatalf("threat event %v", threat)
	}
	if clean["action"] != "Allowed" || clean["threatname"] != "None" || len(clean["recordid"].(string)) != 19 {
		t.Fatalf("clean event %v", clean)
	}

	_, session := login(t, srv, key)
	_, lookup := do(t, http.MethodPost, srv.URL+"/api/v1/urlLookup", session, []string{"evil.example/p", "www.example.com"})
	if !strings.Contains(string(lookup), `"urlClassificationsWithSecurityAlert":["PHISHING"]`) ||
		!strings.Contains(string(lookup), `"url":"www.example.com","urlClassifications":["MISCELLANEOUS_OR_UNKNOWN"],"urlClassificationsWithSecurityAlert":[]`) {
		t.Fatalf("lookup %s", lookup)
	}
}

func TestSandboxReports(t *testing.T) {
	t.Parallel()
	s, srv := start(t)
	_, session := login(t, srv, key)
	_, body := do(t, http.MethodGet, srv.URL+"/api/v1/sandbox/report/ABCDEF0123456789ABCDEF0123456789?details=full", session, nil)
	if !strings.Contains(string(body), `"Full Details":"md5 is unknown`) {
		t.Fatalf("unknown md5: %s", body)
	}
	s.FeedBatch(Threat{ThreatName: "Win32.Trojan.Emotet", MD5: "ABCDEF0123456789ABCDEF0123456789"})
	_, body = do(t, http.MethodGet, srv.URL+"/api/v1/sandbox/report/abcdef0123456789abcdef0123456789?details=full", session, nil)
	var report struct {
		Full struct {
			Classification struct{ Type, DetectedMalware string } `json:"Classification"`
		} `json:"Full Details"`
	}
	if err := json.Unmarshal(body, &report); err != nil || report.Full.Classification.Type != "MALICIOUS" ||
		report.Full.Classification.DetectedMalware != "Win32.Trojan.Emotet" {
		t.Fatalf("report %s", body)
	}
	resp, _ := do(t, http.MethodPost, srv.URL+"/_sim/sandbox", "", map[string]any{"md5": "11111111111111111111111111111111", "report": map[string]any{"Full Details": map[string]any{}}})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("control sandbox answered %d", resp.StatusCode)
	}
}
