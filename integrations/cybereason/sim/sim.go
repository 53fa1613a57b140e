// Package sim is a Cybereason console for tests and demos. It speaks the console's own
// paths, login and answer shapes, holds MalOps, sensors and isolation state, records
// every vendor call, and can be told to fail.
//
// Vendor surface (the shapes of demisto/content's recorded Cybereason answers):
//
//	POST /login.html                           form username, password; sets JSESSIONID.
//	                                           A refused login answers the login form again (200).
//	POST /rest/detection/inbox                 {"startTime","endTime"} (ms) → {"malops":[MalopInboxModel…]}
//	POST /rest/mmng/v2/malops                  search.malop.guid, range{from,to} on lastUpdateTime,
//	                                           pagination{pageSize,offset}, sort LastUpdateTime|CreationTime asc|desc,
//	                                           filter.malop.status → {"data":{"totalHits","data":[…]},"status":"SUCCESS"}
//	POST /rest/crimes/unified                  MalopProcess by guidList → {"data":{"resultIdToElementDataMap":{…}}}
//	POST /rest/visualsearch/query/simple       MalOp suspects → Process elements; Machine by elementDisplayName
//	POST /rest/sensors/query                   filters machineName|pylumId|guid|status, Equals|NotEquals|ContainsIgnoreCase,
//	                                           limit, offset → {"totalResults","sensorsStatus","sensors","hasMoreResults"}
//	POST /rest/monitor/global/commands/isolate    {"pylumIds":[…]} → {"<pylumId>":"Succeeded"|"Failed"}
//	POST /rest/monitor/global/commands/un-isolate same
//	POST /rest/crimes/status                   {"<guid>":"TODO|UNREAD|OPEN|CLOSED|FP"} → {"status":"SUCCESS"}
//	POST /rest/crimes/comment/{guid}           text body → the comment
//	POST /rest/crimes/get-comments             guid as text body → [{"commentId","message","timestamp","username"}]
//
// Like the real console, a /rest call without a live session answers 200 with the HTML
// login page, and sensors send their flags as "true"/"false" strings (unless registered
// with native_bools). Setting a MalOp's status changes its metadata, not its
// lastUpdateTime: CLOSED shows as status Remediated, FP as Closed.
//
// Control API (JSON, no session needed, calls not recorded):
//
//	POST   /_sim/malops           create (or, with a known guid, update) a MalOp:
//	                              {"guid"?, "name", "severity"?, "detection_type"?, "malop_type"?,
//	                               "machines":[{"name","pylumId"?,"ip"?}], "users":["dom\\user"],
//	                               "hashes"?, "processes"?:[{"name","pid","command_line","sha1","md5","machine","user"}],
//	                               "non_edr"?, "status"?, "creation_time"?, "last_update_time"? (ms)}
//	                              → 201 {"guid":"…"}. Its machines become sensors, so isolation works end to end.
//	GET    /_sim/malops           every MalOp with its management status and comments
//	GET    /_sim/malops/{guid}    one of them
//	POST   /_sim/sensors          register a sensor {"name","pylumId"?,"ip"?,"isolated"?,"status"?,"native_bools"?}
//	GET    /_sim/isolated         the isolated machine names, sorted: ["desktop-1"]
//	GET    /_sim/calls            recorded vendor calls [{"method","path","body","at"}] (passwords redacted)
//	DELETE /_sim/calls            forget them
//	POST   /_sim/expire-sessions  end every session: the next /rest call gets the login page
//	POST   /_sim/fail             {"path","status","times"?,"retry_after"?,"message"?}: the next calls to path fail
//	POST   /_sim/slow             {"path","delay","times"?}: the next calls to path take effect at once and are
//	                              answered only after delay ("5s"), or when the caller hangs up, as a console
//	                              slow to confirm a command
package sim

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"html"
	"io"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"xsoc/integrations/simkit"
)

// Machine is a machine a MalOp involves.
type Machine struct {
	Name    string `json:"name"`
	PylumID string `json:"pylumId,omitempty"`
	IP      string `json:"ip,omitempty"`
}

// Process is a suspect process of a MalOp.
type Process struct {
	Name        string `json:"name"`
	PID         int    `json:"pid,omitempty"`
	CommandLine string `json:"command_line,omitempty"`
	SHA1        string `json:"sha1,omitempty"`
	MD5         string `json:"md5,omitempty"`
	Machine     string `json:"machine,omitempty"`
	User        string `json:"user,omitempty"`
}

// Malop is what a test or a demo asks the console to have detected.
type Malop struct {
	GUID           string    `json:"guid,omitempty"`
	Name           string    `json:"name"`                     // root cause, shown as the MalOp's name
	Severity       string    `json:"severity,omitempty"`       // High (default), Medium, Low
	DetectionType  string    `json:"detection_type,omitempty"` // what was detected, in words
	MalopType      string    `json:"malop_type,omitempty"`     // the console's code, e.g. KNOWN_MALWARE
	Machines       []Machine `json:"machines"`
	Users          []string  `json:"users,omitempty"`
	Hashes         []string  `json:"hashes,omitempty"`
	Processes      []Process `json:"processes,omitempty"`
	NonEDR         bool      `json:"non_edr,omitempty"` // an endpoint-protection MalOp, absent from crimes/unified
	Status         string    `json:"status,omitempty"`  // Active (default), Remediated, Closed, Excluded
	CreationTime   int64     `json:"creation_time,omitempty"`
	LastUpdateTime int64     `json:"last_update_time,omitempty"`
}

// Comment is a comment left on a MalOp.
type Comment struct {
	ID        string `json:"commentId"`
	Username  string `json:"username"`
	Message   string `json:"message"`
	Timestamp int64  `json:"timestamp"`
}

// MalopState is a MalOp as the console holds it now.
type MalopState struct {
	Malop
	ManagementStatus   string    `json:"management_status"`
	MetadataUpdateTime int64     `json:"metadata_update_time"`
	Comments           []Comment `json:"comments"`
}

// Sensor is a Cybereason sensor (one per machine).
type Sensor struct {
	Name        string `json:"name"`
	PylumID     string `json:"pylumId,omitempty"`
	IP          string `json:"ip,omitempty"`
	Isolated    bool   `json:"isolated,omitempty"`
	Status      string `json:"status,omitempty"` // Online (default), Offline, Stale, Archived
	NativeBools bool   `json:"native_bools,omitempty"`
}

// Call is one recorded vendor call.
type Call struct {
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Body   string    `json:"body"`
	At     time.Time `json:"at"`
}

type fault struct {
	status     int
	retryAfter string
	message    string
}

type sensorRecord struct {
	Sensor
	guid     string
	lastSeen int64
	// isolatedAt is when an isolate command last cut the machine off (a benchmark
	// reads how long after its alert a worm's host was isolated).
	isolatedAt time.Time
}

type userRecord struct {
	guid string
	name string
}

type processRecord struct {
	Process
	guid string
}

type malopRecord struct {
	Malop
	managementStatus string
	metadataUpdate   int64
	comments         []Comment
	machineGUIDs     map[string]string // machine name → MalopInbox machine guid
	users            []userRecord
	processes        []processRecord
	rootCauseGUID    string
}

// Server is the simulated console. Use it as an http.Handler.
type Server struct {
	username string
	password string
	mux      *http.ServeMux

	mu       sync.Mutex
	sessions map[string]bool
	malops   map[string]*malopRecord
	sensors  []*sensorRecord
	calls    []Call
	faults   simkit.Faults[fault]
	slow     simkit.Faults[time.Duration]
}

// New answers a console that accepts one user.
func New(username, password string) *Server {
	s := &Server{
		username: username,
		password: password,
		sessions: map[string]bool{},
		malops:   map[string]*malopRecord{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login.html", s.loginPage)
	mux.HandleFunc("POST /login.html", s.login)
	mux.HandleFunc("POST /rest/detection/inbox", s.inbox)
	mux.HandleFunc("POST /rest/mmng/v2/malops", s.mmngMalops)
	mux.HandleFunc("POST /rest/crimes/unified", s.crimesUnified)
	mux.HandleFunc("POST /rest/visualsearch/query/simple", s.visualSearch)
	mux.HandleFunc("POST /rest/sensors/query", s.sensorsQuery)
	mux.HandleFunc("POST /rest/monitor/global/commands/isolate", s.isolationCommand(true))
	mux.HandleFunc("POST /rest/monitor/global/commands/un-isolate", s.isolationCommand(false))
	mux.HandleFunc("POST /rest/crimes/status", s.crimesStatus)
	mux.HandleFunc("POST /rest/crimes/comment/{guid}", s.addComment)
	mux.HandleFunc("POST /rest/crimes/get-comments", s.getComments)
	s.control(mux)
	s.mux = mux
	return s
}

// ServeHTTP records the call, applies any injected fault, checks the session of /rest
// calls, then answers as the console would.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.mux.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "FAILED", "message": "reading body: " + err.Error()})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.record(r, body)
	if f := s.takeFault(r.URL.Path); f != nil {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		writeJSON(w, f.status, map[string]string{"status": "FAILED", "message": f.message})
		return
	}
	if strings.HasPrefix(r.URL.Path, "/rest/") && !s.hasSession(r) {
		writeHTML(w, loginPageHTML(""))
		return
	}
	if delay := s.slow.Take(r.URL.Path); delay != nil {
		answerLate(w, r, *delay, s.mux)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// answerLate runs the call at once and holds its answer for delay, or until the
// caller hangs up: what the call did stays done either way.
func answerLate(w http.ResponseWriter, r *http.Request, delay time.Duration, handler http.Handler) {
	answer := httptest.NewRecorder()
	handler.ServeHTTP(answer, r)
	select {
	case <-time.After(delay):
	case <-r.Context().Done():
		return
	}
	maps.Copy(w.Header(), answer.Header())
	w.WriteHeader(answer.Code)
	_, _ = w.Write(answer.Body.Bytes())
}

func (s *Server) record(r *http.Request, body []byte) {
	text := string(body)
	if r.URL.Path == "/login.html" {
		if form, err := url.ParseQuery(text); err == nil && form.Has("password") {
			form.Set("password", "REDACTED")
			text = form.Encode()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Body: text, At: time.Now().UTC()})
}

func (s *Server) takeFault(path string) *fault { return s.faults.Take(path) }

func (s *Server) hasSession(r *http.Request) bool {
	cookie, err := r.Cookie("JSESSIONID")
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[cookie.Value]
}

// --- Go helpers, the same as the control API ---

// AddMalop stores a MalOp (or updates the one with the same guid) and registers its
// machines as sensors. It answers the MalOp's guid.
func (s *Server) AddMalop(m Malop) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addMalopLocked(m)
}

// AddSensor registers a sensor and answers its pylumId.
func (s *Server) AddSensor(sensor Sensor) (string, error) {
	if strings.TrimSpace(sensor.Name) == "" {
		return "", fmt.Errorf("sensor name is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if known := s.sensorByNameLocked(sensor.Name); known != nil && sensor.PylumID == "" {
		return "", fmt.Errorf("a sensor named %q exists (%s); give a pylumId to add another", sensor.Name, known.PylumID)
	}
	return s.addSensorLocked(sensor).PylumID, nil
}

// Calls answers the recorded vendor calls, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// ResetCalls forgets the recorded calls.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// IsIsolated tells whether a machine's sensor is isolated.
func (s *Server) IsIsolated(machineName string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sensor := range s.sensors {
		if strings.EqualFold(sensor.Name, machineName) && sensor.Isolated {
			return true
		}
	}
	return false
}

// IsolatedAt answers, for each machine an isolate command cut off and still isolated,
// when the command arrived.
func (s *Server) IsolatedAt() map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := map[string]time.Time{}
	for _, sensor := range s.sensors {
		if sensor.Isolated && !sensor.isolatedAt.IsZero() {
			at[sensor.Name] = sensor.isolatedAt
		}
	}
	return at
}

// Isolated answers the names of the isolated machines, sorted.
func (s *Server) Isolated() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := []string{}
	for _, sensor := range s.sensors {
		if sensor.Isolated {
			names = append(names, sensor.Name)
		}
	}
	sort.Strings(names)
	return names
}

// ExpireSessions ends every session: the next /rest call gets the login page.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
}

// FailNext makes the next `times` calls to path answer status, with a Retry-After
// header when retryAfter is not empty.
func (s *Server) FailNext(path string, status int, times int, retryAfter string) {
	s.FailNextWith(path, status, times, retryAfter, fmt.Sprintf("simulated failure: HTTP %d", status))
}

// FailNextWith is FailNext with the console's message.
func (s *Server) FailNextWith(path string, status int, times int, retryAfter, message string) {
	s.faults.Add(path, fault{status: status, retryAfter: retryAfter, message: message}, times)
}

// SlowNext makes the next `times` calls to path take effect at once and answer only
// after delay (or when the caller hangs up).
func (s *Server) SlowNext(path string, delay time.Duration, times int) {
	s.slow.Add(path, delay, times)
}

// MalopState answers the MalOp as the console holds it now.
func (s *Server) MalopState(guid string) (MalopState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.malops[guid]
	if !ok {
		return MalopState{}, false
	}
	return m.state(), true
}

func (m *malopRecord) state() MalopState {
	out := MalopState{Malop: m.Malop, ManagementStatus: m.managementStatus, MetadataUpdateTime: m.metadataUpdate,
		Comments: slices.Clone(m.comments)}
	if out.Comments == nil {
		out.Comments = []Comment{}
	}
	return out
}

// --- state ---

func (s *Server) addMalopLocked(m Malop) (string, error) {
	m.Name = strings.TrimSpace(m.Name)
	if m.Name == "" {
		return "", fmt.Errorf("name is required (the MalOp's root cause, e.g. mimikatz.exe)")
	}
	var machines []Machine
	for i, machine := range m.Machines {
		machine.Name = strings.TrimSpace(machine.Name)
		if machine.Name == "" {
			return "", fmt.Errorf("machines[%d].name is required", i)
		}
		machines = append(machines, machine)
	}
	if len(machines) == 0 {
		return "", fmt.Errorf("machines: at least one machine is required")
	}
	m.Machines = machines
	now := time.Now().UnixMilli()
	if m.Severity == "" {
		m.Severity = "High"
	}
	if m.DetectionType == "" {
		m.DetectionType = "Malicious process"
	}
	if m.MalopType == "" {
		m.MalopType = "KNOWN_MALWARE"
	}
	if m.Status == "" {
		m.Status = "Active"
	}
	if m.LastUpdateTime == 0 {
		m.LastUpdateTime = now
	}

	rec, exists := s.malops[m.GUID]
	if !exists {
		if m.GUID == "" {
			m.GUID = "AAAA" + randomToken(12)
		}
		if m.CreationTime == 0 {
			m.CreationTime = m.LastUpdateTime
		}
		rec = &malopRecord{managementStatus: "UNREAD", metadataUpdate: m.LastUpdateTime, machineGUIDs: map[string]string{},
			rootCauseGUID: randomElementGUID()}
		s.malops[m.GUID] = rec
	} else if m.CreationTime == 0 {
		m.CreationTime = rec.CreationTime
	}
	for i, machine := range m.Machines {
		sensor := s.sensorByNameLocked(machine.Name)
		if sensor == nil {
			sensor = s.addSensorLocked(Sensor{Name: machine.Name, PylumID: machine.PylumID, IP: machine.IP})
		}
		m.Machines[i].PylumID = sensor.PylumID
		m.Machines[i].IP = sensor.IP
		if rec.machineGUIDs[machine.Name] == "" {
			rec.machineGUIDs[machine.Name] = randomToken(16)
		}
	}
	rec.users = nil
	for _, user := range m.Users {
		if user = strings.TrimSpace(user); user != "" {
			rec.users = append(rec.users, userRecord{guid: "AAAAG" + randomToken(11), name: user})
		}
	}
	processes := m.Processes
	if len(processes) == 0 {
		p := Process{Name: m.Name, PID: 1000 + int(randomInt(60000)), Machine: m.Machines[0].Name}
		if len(m.Users) > 0 {
			p.User = m.Users[0]
		}
		for _, h := range m.Hashes {
			switch len(h) {
			case 40:
				p.SHA1 = h
			case 32:
				p.MD5 = h
			}
		}
		processes = []Process{p}
	}
	rec.processes = nil
	for _, p := range processes {
		if p.Machine == "" {
			p.Machine = m.Machines[0].Name
		}
		rec.processes = append(rec.processes, processRecord{Process: p, guid: randomElementGUID()})
	}
	rec.Malop = m
	return m.GUID, nil
}

func (s *Server) sensorByNameLocked(name string) *sensorRecord {
	for _, sensor := range s.sensors {
		if strings.EqualFold(sensor.Name, name) {
			return sensor
		}
	}
	return nil
}

func (s *Server) sensorByPylumLocked(pylumID string) *sensorRecord {
	for _, sensor := range s.sensors {
		if sensor.PylumID == pylumID {
			return sensor
		}
	}
	return nil
}

func (s *Server) addSensorLocked(sensor Sensor) *sensorRecord {
	sensor.Name = strings.TrimSpace(sensor.Name)
	if sensor.PylumID == "" {
		sensor.PylumID = "PYLUMCLIENT_SIM_" + strings.ToUpper(sanitize(sensor.Name)) + "_" + strings.ToUpper(randomHex(6))
	}
	if sensor.IP == "" {
		sensor.IP = fmt.Sprintf("10.%d.%d.%d", randomInt(255), randomInt(255), 1+randomInt(254))
	}
	if sensor.Status == "" {
		sensor.Status = "Online"
	}
	rec := &sensorRecord{Sensor: sensor, guid: randomElementGUID(), lastSeen: time.Now().UnixMilli()}
	s.sensors = append(s.sensors, rec)
	return rec
}

func (s *Server) sortedMalops() []*malopRecord {
	out := make([]*malopRecord, 0, len(s.malops))
	for _, m := range s.malops {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].LastUpdateTime != out[j].LastUpdateTime {
			return out[i].LastUpdateTime < out[j].LastUpdateTime
		}
		return out[i].GUID < out[j].GUID
	})
	return out
}

// --- helpers ---

// writeJSON answers JSON as Cybereason does.
var writeJSON = simkit.JSONWriter("application/json;charset=UTF-8")

func writeHTML(w http.ResponseWriter, page string) {
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, page) // the client went away; nothing to tell it
}

func loginPageHTML(errorText string) string {
	msg := ""
	if errorText != "" {
		msg = `<div class="login-error">` + html.EscapeString(errorText) + `</div>`
	}
	return `<!DOCTYPE html><html><head><title>Cybereason | Login</title></head><body><app-login>` + msg +
		`<form method="post" action="login.html"><input name="username"><input name="password" type="password"></form>` +
		`</app-login></body></html>`
}

const consoleHTML = `<!DOCTYPE html><html><head><title>Cybereason</title></head><body><app-root></app-root></body></html>`

func randomToken(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[randomInt(int64(len(alphabet)))]
	}
	return string(b)
}

func randomHex(nBytes int) string {
	b := make([]byte, nBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return fmt.Sprintf("%x", b)
}

func randomInt(n int64) int64 {
	v, err := rand.Int(rand.Reader, big.NewInt(n))
	if err != nil {
		return 0
	}
	return v.Int64()
}

// randomElementGUID is shaped like the console's element guids ("-1845090846.1198775089551518743").
func randomElementGUID() string {
	return fmt.Sprintf("-%d.%d", 1_000_000_000+randomInt(1_000_000_000), randomInt(9_000_000_000_000_000_000))
}

func sanitize(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}
