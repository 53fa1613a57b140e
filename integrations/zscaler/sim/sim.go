// Package sim is a Zscaler Internet Access (ZIA) cloud service API simulator for tests
// and the demo stack. It is a real HTTP server (an http.Handler) speaking ZIA's paths,
// session login and JSON shapes, holding state, recording calls and failing on demand.
//
// ZIA API (under /api/v1):
//
//	POST   /authenticatedSession             {apiKey, username, password, timestamp}: the apiKey must be
//	                                          the key obfuscated with that timestamp (ZIA's algorithm);
//	                                          answers a JSESSIONID cookie. GET shows, DELETE ends the session.
//	GET    /security/advanced                {"blacklistUrls": [...]}: the saved denylist (key left out when empty)
//	POST   /security/advanced/blacklistUrls?action=ADD_TO_LIST|REMOVE_FROM_LIST  {"blacklistUrls": [...]}: 204;
//	                                          saves a change that takes effect on activation
//	GET    /status                           {"status": "ACTIVE"|"PENDING"}
//	POST   /status/activate                  {"status": "ACTIVE"}: the saved denylist becomes the active one
//	POST   /urlLookup                        ["host/path", ...] (at most 100) -> [{url, urlClassifications,
//	                                          urlClassificationsWithSecurityAlert}]
//	GET    /sandbox/report/{md5}?details=full|summary  {"Full Details": {...}} or the "md5 is unknown" text
//
// Every API call but the login needs a live JSESSIONID cookie, else 401. A session ends
// after SessionTTL without calls (30 minutes, ZIA's idle timeout) or on ExpireSessions.
//
// Control API (JSON, never recorded as calls):
//
//	GET  /_sim/calls             recorded API calls [{method, path, query, body}]
//	GET  /_sim/denylist          {"active": [...], "saved": [...], "pending": bool, "activations": n}
//	POST /_sim/denylist          {"entries": [...]}: seed the denylist, saved and active
//	POST /_sim/expire-sessions   end every session: the next call gets 401
//	POST /_sim/fail              {"path", "status", "times", "retry_after"}: see FailNext
//	POST /_sim/classify          {"url", "classifications": [...], "security_alerts": [...]}: urlLookup answer
//	POST /_sim/sandbox           {"md5", "report": {...}}: the sandbox report body for that md5
//	POST /_sim/feed              {"events": [{recordid, host, user, url, threatname, severity, md5}]}: answers
//	                             a Cloud NSS web-log batch (one wrapped JSON event per line) to POST to xsoc's
//	                             intake; see FeedBatch. The threats' URLs and files become known to
//	                             urlLookup and the sandbox, as they would be in the ZIA cloud.
package sim

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"xsoc/integrations/simkit"
)

// SessionTTL is how long a session lives without a call.
const SessionTTL = 30 * time.Minute

// Call is one recorded API request.
type Call struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query,omitempty"`
	Body   string `json:"body,omitempty"`
}

// Classification is what urlLookup answers for a URL or host.
type Classification struct {
	Classifications []string `json:"classifications"`
	SecurityAlerts  []string `json:"security_alerts"`
}

type fault struct {
	status     int
	retryAfter string
}

// Server is the simulated ZIA tenant.
type Server struct {
	apiKey, username, password string
	mux                        *http.ServeMux

	mu          sync.Mutex
	now         func() time.Time
	sessions    map[string]time.Time // JSESSIONID -> expiry
	saved       []string             // the denylist as configured
	active      []string             // the denylist the cloud enforces
	activations int
	calls       []Call
	faults      simkit.Faults[fault]
	lookups     map[string]Classification
	reports     map[string]json.RawMessage
	recordSeq   int64
}

// New builds a tenant whose admin logs in with these credentials. Its denylist is empty.
func New(apiKey, username, password string) *Server {
	s := &Server{
		apiKey: apiKey, username: username, password: password,
		now:      time.Now,
		sessions: map[string]time.Time{},
		lookups:  map[string]Classification{},
		reports:  map[string]json.RawMessage{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/authenticatedSession", s.login)
	mux.HandleFunc("GET /api/v1/authenticatedSession", s.authed(s.sessionStatus))
	mux.HandleFunc("DELETE /api/v1/authenticatedSession", s.authed(s.logout))
	mux.HandleFunc("GET /api/v1/security/advanced", s.authed(s.getAdvanced))
	mux.HandleFunc("POST /api/v1/security/advanced/blacklistUrls", s.authed(s.changeDenylist))
	mux.HandleFunc("GET /api/v1/status", s.authed(s.status))
	mux.HandleFunc("POST /api/v1/status/activate", s.authed(s.activate))
	mux.HandleFunc("POST /api/v1/urlLookup", s.authed(s.urlLookup))
	mux.HandleFunc("GET /api/v1/sandbox/report/{md5}", s.authed(s.sandboxReport))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "Resource does not exist: "+r.Method+" "+r.URL.Path)
	})
	mux.HandleFunc("GET /_sim/calls", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Calls()) })
	mux.HandleFunc("GET /_sim/denylist", s.controlDenylist)
	mux.HandleFunc("POST /_sim/denylist", s.controlSeed)
	mux.HandleFunc("POST /_sim/expire-sessions", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]int{"expired": s.ExpireSessions()})
	})
	mux.HandleFunc("POST /_sim/fail", s.controlFail)
	mux.HandleFunc("POST /_sim/classify", s.controlClassify)
	mux.HandleFunc("POST /_sim/sandbox", s.controlSandbox)
	mux.HandleFunc("POST /_sim/feed", s.controlFeed)
	s.mux = mux
	return s
}

// ServeHTTP records API calls, applies injected faults, then answers like ZIA.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.mux.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body)})
	s.mu.Unlock()
	if f := s.faults.Take(r.URL.Path); f != nil {
		writeFault(w, *f)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Calls answers the API calls recorded so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Denylist answers the active denylist: what the cloud enforces after activation.
func (s *Server) Denylist() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.active)
}

// SavedDenylist answers the denylist as saved, activated or not.
func (s *Server) SavedDenylist() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.saved)
}

// Activations counts POST /status/activate calls that succeeded.
func (s *Server) Activations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activations
}

// SeedDenylist sets the denylist, saved and active, as if configured long ago.
func (s *Server) SeedDenylist(entries ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saved = slices.Clone(entries)
	s.active = slices.Clone(entries)
}

// ExpireSessions ends every session, as ZIA's idle timeout does; it answers how many.
func (s *Server) ExpireSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.sessions)
	clear(s.sessions)
	return n
}

// FailNext makes the next `times` requests to path (at least one; e.g. "/api/v1/status/activate")
// answer status instead. A 429 answers ZIA's body {"message": "Rate Limit (1/SECOND)
// exceeded", "Retry-After": "N seconds"}: retryAfter "N" also sends the Retry-After: N
// header, "N seconds" sends it in the body only, as the ZIA documentation shows.
// Other statuses answer ZIA's {"code", "message"} error body.
func (s *Server) FailNext(path string, status int, times int, retryAfter string) {
	s.faults.Add(path, fault{status: status, retryAfter: retryAfter}, times)
}

// SetClassification sets what urlLookup answers for a URL or host (as sent, no scheme).
func (s *Server) SetClassification(target string, c Classification) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups[strings.ToLower(target)] = c
}

// SetSandboxReport sets the report body for a file hash, e.g. the recorded
// {"Full Details": {...}} of a real report.
func (s *Server) SetSandboxReport(md5 string, report json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports[strings.ToLower(md5)] = slices.Clone(report)
}

func writeFault(w http.ResponseWriter, f fault) {
	if f.status == http.StatusTooManyRequests {
		secs, bodyOnly := strings.CutSuffix(strings.TrimSpace(f.retryAfter), " seconds")
		if secs == "" {
			secs = "0"
		}
		if !bodyOnly && f.retryAfter != "" {
			w.Header().Set("Retry-After", secs)
		}
		writeJSON(w, f.status, map[string]string{"message": "Rate Limit (1/SECOND) exceeded", "Retry-After": secs + " seconds"})
		return
	}
	code, message := "UNEXPECTED_ERROR", "Unexpected error"
	switch f.status {
	case http.StatusBadRequest:
		code, message = "INVALID_INPUT_ARGUMENT", "Invalid or bad request"
	case http.StatusUnauthorized:
		code, message = "NOT_AUTHENTICATED", "Session is not authenticated or timed out"
	case http.StatusForbidden:
		code, message = "NOT_AUTHORIZED", "User role has no access permissions or functional scope"
	case http.StatusNotFound:
		code, message = "RESOURCE_NOT_FOUND", "Resource does not exist"
	case http.StatusConflict:
		code, message = "EDIT_LOCK_NOT_AVAILABLE", "Another admin is saving a configuration change at the same time; retry after a short time"
	case http.StatusServiceUnavailable:
		code, message = "SERVICE_UNAVAILABLE", "Service is temporarily unavailable"
	}
	if f.retryAfter != "" {
		w.Header().Set("Retry-After", f.retryAfter)
	}
	writeError(w, f.status, code, message)
}

// writeJSON answers JSON as Zscaler does.
var writeJSON = simkit.JSONWriter("application/json")

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]string{"code": code, "message": message})
}

// obfuscate is ZIA's API key obfuscation, written here independently of the client so
// that the simulator checks the client rather than agreeing with it by construction.
func obfuscate(apiKey string, timestamp string) (string, bool) {
	if len(timestamp) < 6 || len(apiKey) < 12 {
		return "", false
	}
	n := timestamp[len(timestamp)-6:]
	value, err := strconv.Atoi(n)
	if err != nil {
		return "", false
	}
	r := fmt.Sprintf("%06d", value>>1)
	key := make([]byte, 0, 12)
	for i := range 6 {
		key = append(key, apiKey[n[i]-'0'])
	}
	for i := range 6 {
		key = append(key, apiKey[r[i]-'0'+2])
	}
	return string(key), true
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req struct {
		APIKey    string      `json:"apiKey"`
		Username  string      `json:"username"`
		Password  string      `json:"password"`
		Timestamp json.Number `json:"timestamp"`
	}
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", "Request body is not valid JSON: "+err.Error())
		return
	}
	timestamp := strings.Trim(req.Timestamp.String(), `"`)
	if _, err := strconv.ParseInt(timestamp, 10, 64); err != nil || len(timestamp) < 6 {
		writeError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", "timestamp must be the current time in milliseconds")
		return
	}
	// A tenant started without a full API key lets nobody in, as a wrong key would.
	want, ok := obfuscate(s.apiKey, timestamp)
	if !ok || req.Username != s.username || req.Password != s.password || req.APIKey != want {
		writeError(w, http.StatusUnauthorized, "AUTHENTICATION_FAILED", "Invalid username, password or API key")
		return
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	session := strings.ToUpper(hex.EncodeToString(id))
	s.mu.Lock()
	s.sessions[session] = s.now().Add(SessionTTL)
	s.mu.Unlock()
	// The simulator serves plain HTTP on localhost, where a Secure cookie would never come back.
	http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: session, Path: "/", HttpOnly: true}) //nolint:gosec // G124: see above
	writeJSON(w, http.StatusOK, map[string]any{
		"authType": "ADMIN_LOGIN", "obfuscateApiKey": false, "passwordExpiryTime": 0, "passwordExpiryDays": 0,
	})
}

// authed lets a request through only with a live JSESSIONID cookie.
func (s *Server) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cookie, err := r.Cookie("JSESSIONID")
		s.mu.Lock()
		live := false
		if err == nil {
			expiry, ok := s.sessions[cookie.Value]
			live = ok && s.now().Before(expiry)
			switch {
			case live: // an idle timeout: each call keeps the session alive
				s.sessions[cookie.Value] = s.now().Add(SessionTTL)
			case ok:
				delete(s.sessions, cookie.Value)
			}
		}
		s.mu.Unlock()
		if !live {
			writeError(w, http.StatusUnauthorized, "NOT_AUTHENTICATED", "Session is not authenticated or timed out")
			return
		}
		next(w, r)
	}
}

func (s *Server) sessionStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"authType": "ADMIN_LOGIN", "obfuscateApiKey": false})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	cookie, _ := r.Cookie("JSESSIONID")
	s.mu.Lock()
	delete(s.sessions, cookie.Value)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"status": "ACTIVE"})
}

func (s *Server) getAdvanced(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	answer := map[string]any{}
	if len(s.saved) > 0 {
		answer["blacklistUrls"] = slices.Clone(s.saved)
	}
	writeJSON(w, http.StatusOK, answer)
}

func (s *Server) changeDenylist(w http.ResponseWriter, r *http.Request) {
	action := r.URL.Query().Get("action")
	if action != "ADD_TO_LIST" && action != "REMOVE_FROM_LIST" {
		writeError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", fmt.Sprintf("action %q is not ADD_TO_LIST or REMOVE_FROM_LIST", action))
		return
	}
	var req struct {
		BlacklistURLs []string `json:"blacklistUrls"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.BlacklistURLs) == 0 {
		writeError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", "blacklistUrls must be a non-empty list")
		return
	}
	for _, entry := range req.BlacklistURLs {
		if problem := entryProblem(entry); problem != "" {
			writeError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", fmt.Sprintf("Invalid URL %q: %s", entry, problem))
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, entry := range req.BlacklistURLs {
		i := slices.IndexFunc(s.saved, func(e string) bool { return strings.EqualFold(e, entry) })
		switch {
		case action == "ADD_TO_LIST" && i < 0:
			s.saved = append(s.saved, entry)
		case action == "REMOVE_FROM_LIST" && i >= 0:
			s.saved = slices.Delete(s.saved, i, i+1)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// entryProblem says why ZIA would refuse a denylist entry.
func entryProblem(entry string) string {
	lower := strings.ToLower(entry)
	switch {
	case strings.TrimSpace(entry) == "":
		return "empty"
	case strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://"):
		return "enter it without the http:// or https:// prefix"
	case strings.ContainsAny(entry, " \t\r\n"):
		return "contains white space"
	}
	return ""
}

func (s *Server) pendingLocked() bool {
	return !slices.Equal(s.saved, s.active)
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	status := "ACTIVE"
	if s.pendingLocked() {
		status = "PENDING"
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"status": status})
}

func (s *Server) activate(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.active = slices.Clone(s.saved)
	s.activations++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"status": "ACTIVE"})
}

func (s *Server) urlLookup(w http.ResponseWriter, r *http.Request) {
	var urls []string
	if err := json.NewDecoder(r.Body).Decode(&urls); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", "body must be a JSON list of URLs")
		return
	}
	if len(urls) == 0 || len(urls) > 100 {
		writeError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", fmt.Sprintf("%d URLs: send between 1 and 100", len(urls)))
		return
	}
	type answer struct {
		URL                   string   `json:"url"`
		Classifications       []string `json:"urlClassifications"`
		SecurityAlertCategory []string `json:"urlClassificationsWithSecurityAlert"`
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]answer, 0, len(urls))
	for _, u := range urls {
		c, ok := s.lookups[strings.ToLower(u)]
		if !ok {
			c, ok = s.lookups[hostOf(u)]
		}
		if !ok {
			c = Classification{Classifications: []string{"MISCELLANEOUS_OR_UNKNOWN"}}
		}
		out = append(out, answer{URL: u, Classifications: nonNil(c.Classifications), SecurityAlertCategory: nonNil(c.SecurityAlerts)})
	}
	writeJSON(w, http.StatusOK, out)
}

func nonNil(values []string) []string {
	if values == nil {
		return []string{}
	}
	return values
}

func hostOf(u string) string {
	if i := strings.IndexAny(u, "/?#:"); i >= 0 {
		u = u[:i]
	}
	return strings.ToLower(u)
}

func (s *Server) sandboxReport(w http.ResponseWriter, r *http.Request) {
	md5 := strings.ToLower(r.PathValue("md5"))
	details := r.URL.Query().Get("details")
	if details != "full" && details != "summary" {
		writeError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", "details must be full or summary")
		return
	}
	s.mu.Lock()
	report, ok := s.reports[md5]
	s.mu.Unlock()
	if !ok {
		key := "Full Details"
		if details == "summary" {
			key = "Summary"
		}
		writeJSON(w, http.StatusOK, map[string]string{key: "md5 is unknown or analysis has yet not been completed. Please try again later or the file type might not be supported."})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(report)
}

func (s *Server) controlDenylist(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"active": nonNil(slices.Clone(s.active)), "saved": nonNil(slices.Clone(s.saved)),
		"pending": s.pendingLocked(), "activations": s.activations,
	})
}

func (s *Server) controlSeed(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Entries []string `json:"entries"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", "want {\"entries\": [...]}: "+err.Error())
		return
	}
	s.SeedDenylist(req.Entries...)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) controlFail(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Path       string `json:"path"`
		Status     int    `json:"status"`
		Times      int    `json:"times"`
		RetryAfter string `json:"retry_after"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Path == "" || req.Status < 400 {
		writeError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", `want {"path": "/api/v1/...", "status": 429, "times": 1, "retry_after": "2"}`)
		return
	}
	s.FailNext(req.Path, req.Status, max(req.Times, 1), req.RetryAfter)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) controlClassify(w http.ResponseWriter, r *http.Request) {
	var req struct {
		URL string `json:"url"`
		Classification
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.URL == "" {
		writeError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", `want {"url": "evil.example", "classifications": [...], "security_alerts": [...]}`)
		return
	}
	s.SetClassification(req.URL, req.Classification)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) controlSandbox(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MD5    string          `json:"md5"`
		Report json.RawMessage `json:"report"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.MD5 == "" || len(req.Report) == 0 {
		writeError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", `want {"md5": "...", "report": {"Full Details": {...}}}`)
		return
	}
	s.SetSandboxReport(req.MD5, req.Report)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) controlFeed(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Events []Threat `json:"events"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Events) == 0 {
		writeError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", `want {"events": [{"recordid", "host", "user", "url", "threatname", "severity"}]}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.FeedBatch(req.Events...))
}
