// Package sim is a WithSecure Elements API simulator: a real HTTP server speaking the
// vendor's paths, OAuth2 client-credentials auth and JSON shapes, holding incidents,
// their detections, devices with their network isolation, and recording every call.
//
// Vendor endpoints (Authorization: Bearer <token> unless noted):
//
//	POST  /as/token.oauth2             client credentials (HTTP basic auth, form grant_type, scope);
//	                                   tokens live SetTokenTTL (default 5 minutes)
//	GET   /incidents/v1/incidents      updatedTimestampStart/End, createdTimestampStart/End,
//	                                   exclusiveStart, incidentId, status, riskLevel, order, limit (≤50), anchor
//	PATCH /incidents/v1/incidents      {"targets", "status", "resolution"} → 207 multistatus
//	POST  /incidents/v1/comments       {"targets", "comment"} → 207 {"items": [...]}
//	GET   /incidents/v1/detections     incidentId, limit (≤100), anchor
//	GET   /devices/v1/devices          deviceId, name, state, online, protectionStatusOverview, limit (≤200), anchor
//	POST  /devices/v1/operations       {"operation", "targets", "parameters"} → 207 multistatus
//	GET   /devices/v1/operations       deviceId
//
// Writes need a token with scope connect.api.write. Isolation takes effect at once:
// the device's protectionStatusOverview becomes "isolated".
//
// Control API (JSON, no auth), for demos and end-to-end tests:
//
//	POST   /_sim/incidents      {"incidentId"?, "name", "severity", "devices": [{"name", "id"?, "ip"?}],
//	                            "users"?, "categories"?, "process"?, "sha1"?, "created"?} → 201 the incident;
//	                            one detection per device; unknown devices are registered; created (RFC 3339,
//	                            default now) backdates the incident and its detections: raised before a poller ran
//	GET    /_sim/incidents      every incident with its status, resolution and comments
//	POST   /_sim/devices        {"name", "id"?, "ip"?, "state"?} → 201 the device (state active, inactive or blocked)
//	GET    /_sim/calls          the recorded vendor calls [{"method", "path", "query", "body"}]
//	DELETE /_sim/calls          forget the recorded calls
//	GET    /_sim/isolated       names of the isolated devices, sorted
//	POST   /_sim/expire-tokens  every issued token stops working (the next call gets 401)
//	POST   /_sim/fail           {"path", "status", "times", "retry_after"?}: the next calls to path fail
//
// The Go methods AddIncident, AddDevice, Calls, Incidents, IsIsolated, Isolated,
// ExpireTokens, FailNext, SetTokenTTL and SetClock do the same from tests.
package sim

import (
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // G505: SHA-1 makes the simulator's file hashes, as WithSecure shows them; nothing is protected by it
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"xsoc/integrations/simkit"
)

// RiskLevels are WithSecure's incident risk levels, lowest first.
var RiskLevels = []string{"info", "low", "medium", "high", "severe"}

// Statuses and Resolutions are what an incident can be set to.
var (
	Statuses    = []string{"new", "acknowledged", "inProgress", "monitoring", "closed", "waitingForCustomer"}
	Resolutions = []string{"unconfirmed", "confirmed", "falsePositive", "merged", "autoUnconfirmed",
		"autoFalsePositive", "securityTest", "acceptedRisk", "acceptedBehavior"}
	Operations = []string{"isolateFromNetwork", "releaseFromNetworkIsolation", "assignProfile", "scanForMalware",
		"showMessage", "turnOnFeature", "collectDiagnosticFile"}
)

const (
	writeScope      = "connect.api.write"
	readScope       = "connect.api.read"
	defaultTokenTTL = 5 * time.Minute
	timeLayout      = "2006-01-02T15:04:05.000Z"
	organizationID  = "5f1ae0c4-7c2e-4d43-9a1b-3c9f0e2d6b71"
)

// Server is the simulator; it is an http.Handler.
type Server struct {
	clientID, secret string
	mux              *http.ServeMux

	mu         sync.Mutex
	now        func() time.Time
	tokenTTL   time.Duration
	tokens     map[string]token
	incidents  []*incident
	detections []Detection
	devices    []*Device
	operations []Operation
	calls      []Call
	faults     simkit.Faults[fault]
	seq        int
}

type token struct {
	expires time.Time
	scopes  []string
}

type fault struct {
	status     int
	retryAfter string
}

// Call is one recorded request to a vendor endpoint.
type Call struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query,omitempty"`
	Body   string `json:"body,omitempty"`
}

// Incident is a Broad Context Detection as GET /incidents/v1/incidents lists it.
type Incident struct {
	IncidentID               string   `json:"incidentId"`
	IncidentPublicID         string   `json:"incidentPublicId"`
	OrganizationID           string   `json:"organizationId"`
	Name                     string   `json:"name"`
	Description              string   `json:"description,omitempty"`
	Status                   string   `json:"status"`
	Resolution               string   `json:"resolution"`
	Severity                 string   `json:"severity"`
	RiskLevel                string   `json:"riskLevel"`
	RiskScore                int      `json:"riskScore"`
	Categories               []string `json:"categories"`
	Sources                  []string `json:"sources"`
	CreatedTimestamp         string   `json:"createdTimestamp"`
	UpdatedTimestamp         string   `json:"updatedTimestamp"`
	InitialReceivedTimestamp string   `json:"initialReceivedTimestamp"`
}

// IncidentState is an incident with what was written to it, for the control API.
type IncidentState struct {
	Incident
	Comments []string `json:"comments"`
}

type incident struct {
	Incident
	seq      int
	created  time.Time
	updated  time.Time
	comments []string
}

// Detection is one detection of an incident as GET /incidents/v1/detections lists it.
type Detection struct {
	DetectionID              string            `json:"detectionId"`
	IncidentID               string            `json:"incidentId"`
	DeviceID                 string            `json:"deviceId"`
	Name                     string            `json:"name"`
	Description              string            `json:"description"`
	Severity                 string            `json:"severity"`
	RiskLevel                string            `json:"riskLevel"`
	DetectionClass           string            `json:"detectionClass"`
	CreatedTimestamp         string            `json:"createdTimestamp"`
	InitialReceivedTimestamp string            `json:"initialReceivedTimestamp"`
	ExeName                  string            `json:"exeName"`
	ExePath                  string            `json:"exePath"`
	ExeHash                  string            `json:"exeHash"`
	Cmdl                     string            `json:"cmdl"`
	PID                      int               `json:"pid"`
	Username                 string            `json:"username"`
	Privileges               string            `json:"privileges"`
	ActivityContext          []json.RawMessage `json:"activityContext"`
}

// Device is a computer as GET /devices/v1/devices lists it.
type Device struct {
	ID                       string `json:"id"`
	Name                     string `json:"name"`
	Type                     string `json:"type"`
	State                    string `json:"state"`
	Online                   bool   `json:"online"`
	ProtectionStatusOverview string `json:"protectionStatusOverview"`
	ProtectionStatus         string `json:"protectionStatus"`
	IPAddresses              string `json:"ipAddresses"`
	DNSAddress               string `json:"dnsAddress"`
	ClientVersion            string `json:"clientVersion"`
	Company                  struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"company"`
	OS struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"os"`
	RegistrationTimestamp string `json:"registrationTimestamp"`
	StatusUpdateTimestamp string `json:"statusUpdateTimestamp"`
}

// Operation is a remote operation sent to a device.
type Operation struct {
	ID                   string          `json:"id"`
	DeviceID             string          `json:"deviceId"`
	OperationName        string          `json:"operationName"`
	Status               string          `json:"status"`
	Parameters           json.RawMessage `json:"parameters,omitempty"`
	StartedTimestamp     string          `json:"startedTimestamp"`
	LastUpdatedTimestamp string          `json:"lastUpdatedTimestamp"`
}

// DeviceRef names a device in the control API. State, for a new device, is one of
// DeviceStates (default active).
type DeviceRef struct {
	Name  string `json:"name"`
	ID    string `json:"id,omitempty"`
	IP    string `json:"ip,omitempty"`
	State string `json:"state,omitempty"`
}

// DeviceStates are the states a device can be in; only active ones are protected.
var DeviceStates = []string{"active", "inactive", "blocked"}

// NewIncident is what the control API takes to raise an incident.
type NewIncident struct {
	IncidentID string      `json:"incidentId,omitempty"`
	Name       string      `json:"name"`
	Severity   string      `json:"severity"` // a risk level: info, low, medium, high, severe
	Devices    []DeviceRef `json:"devices"`
	Users      []string    `json:"users,omitempty"`
	Categories []string    `json:"categories,omitempty"`
	Process    string      `json:"process,omitempty"` // executable name of the detections
	SHA1       string      `json:"sha1,omitempty"`    // its hash; derived from the name when empty
	// Created is when the incident was raised (and last updated), default now: an
	// incident raised before xsoc polled this organization.
	Created time.Time `json:"created,omitzero"`
}

// New starts an empty simulator accepting one API client.
func New(clientID, secret string) *Server {
	s := &Server{
		clientID: clientID,
		secret:   secret,
		now:      time.Now,
		tokenTTL: defaultTokenTTL,
		tokens:   map[string]token{},
		mux:      http.NewServeMux(),
	}
	s.routes()
	return s
}

// SetTokenTTL sets the lifetime of tokens issued from now on.
func (s *Server) SetTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenTTL = d
}

// SetClock replaces the simulator's clock, for tests of timestamps that collide.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// ExpireTokens makes every token issued so far invalid.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]token{}
}

// FailNext makes the next `times` calls to path (at least one) answer status, with a Retry-After
// header when retryAfter is not empty.
func (s *Server) FailNext(path string, status int, times int, retryAfter string) {
	s.faults.Add(path, fault{status: status, retryAfter: retryAfter}, times)
}

// Calls answers the recorded vendor calls, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// IsIsolated tells whether the device of that name (any case) is isolated.
func (s *Server) IsIsolated(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.devices {
		if strings.EqualFold(d.Name, name) {
			return d.ProtectionStatusOverview == "isolated"
		}
	}
	return false
}

// Isolated answers the names of the isolated devices, sorted.
func (s *Server) Isolated() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := []string{}
	for _, d := range s.devices {
		if d.ProtectionStatusOverview == "isolated" {
			names = append(names, d.Name)
		}
	}
	sort.Strings(names)
	return names
}

// Incidents answers every incident with its comments, oldest first.
func (s *Server) Incidents() []IncidentState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]IncidentState, 0, len(s.incidents))
	for _, inc := range s.incidents {
		out = append(out, IncidentState{Incident: inc.Incident, Comments: append([]string{}, inc.comments...)})
	}
	return out
}

// AddDevice registers a computer; an empty id is generated.
func (s *Server) AddDevice(ref DeviceRef) (Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.ensureDevice(ref)
	if err != nil {
		return Device{}, err
	}
	return *d, nil
}

// AddIncident raises an incident with one detection per device, as the poller will find it.
func (s *Server) AddIncident(n NewIncident) (Incident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := strings.TrimSpace(n.Name)
	if name == "" {
		return Incident{}, fmt.Errorf("name is required")
	}
	risk := strings.ToLower(strings.TrimSpace(n.Severity))
	if risk == "" {
		risk = "high"
	}
	if !contains(RiskLevels, risk) {
		return Incident{}, fmt.Errorf("severity %q is not a WithSecure risk level (want one of %s)", n.Severity, strings.Join(RiskLevels, ", "))
	}
	if len(n.Devices) == 0 {
		return Incident{}, fmt.Errorf("devices: at least one device is required (an incident is made of detections on devices)")
	}
	id := strings.TrimSpace(n.IncidentID)
	if id == "" {
		id = newUUID()
	}
	for _, inc := range s.incidents {
		if inc.IncidentID == id {
			return Incident{}, fmt.Errorf("incident %s exists already", id)
		}
	}
	var devices []*Device
	for i, ref := range n.Devices {
		d, err := s.ensureDevice(ref)
		if err != nil {
			return Incident{}, fmt.Errorf("devices[%d]: %w", i, err)
		}
		devices = append(devices, d)
	}

	now := s.clock()
	if !n.Created.IsZero() {
		now = n.Created.UTC().Truncate(time.Millisecond)
	}
	s.seq++
	categories := n.Categories
	if len(categories) == 0 {
		categories = []string{"SYSTEM_OR_TOOL_MISUSE"}
	}
	inc := &incident{
		Incident: Incident{
			IncidentID:               id,
			IncidentPublicID:         fmt.Sprintf("3599-%06d", s.seq),
			OrganizationID:           organizationID,
			Name:                     name,
			Status:                   "new",
			Resolution:               "unconfirmed",
			Severity:                 risk,
			RiskLevel:                risk,
			RiskScore:                riskScore(risk),
			Categories:               categories,
			Sources:                  []string{"endpoint"},
			CreatedTimestamp:         now.Format(timeLayout),
			UpdatedTimestamp:         now.Format(timeLayout),
			InitialReceivedTimestamp: now.Format(timeLayout),
		},
		seq:     s.seq,
		created: now,
		updated: now,
	}
	s.incidents = append(s.incidents, inc)

	exe := strings.TrimSpace(n.Process)
	if exe == "" {
		exe = "rundll32.exe"
	}
	hash := strings.ToLower(strings.TrimSpace(n.SHA1))
	if hash == "" {
		sum := sha1.Sum([]byte(name + "|" + exe)) //nolint:gosec // G401: a made-up file hash, not a protection
		hash = hex.EncodeToString(sum[:])
	}
	for i, d := range devices {
		user := ""
		if len(n.Users) > 0 {
			user = n.Users[i%len(n.Users)]
		}
		var activity []json.RawMessage
		if user != "" {
			activity = append(activity, rawJSON(map[string]string{"type": "logon", "logonUsername": user}))
		}
		s.detections = append(s.detections, Detection{
			DetectionID:              newUUID(),
			IncidentID:               id,
			DeviceID:                 d.ID,
			Name:                     snakeCase(name),
			Description:              fmt.Sprintf("%s on %s", name, d.Name),
			Severity:                 risk,
			RiskLevel:                risk,
			DetectionClass:           "PROCESS",
			CreatedTimestamp:         now.Format(timeLayout),
			InitialReceivedTimestamp: now.Format(timeLayout),
			ExeName:                  exe,
			ExePath:                  `C:\Windows\System32`,
			ExeHash:                  hash,
			Cmdl:                     `C:\Windows\System32\` + exe,
			PID:                      4000 + s.seq*10 + i,
			Username:                 user,
			Privileges:               "NORMAL_PRIVILEGES",
			ActivityContext:          activity,
		})
	}
	return inc.Incident, nil
}

// ensureDevice finds the device a reference names, registering it when it is new.
func (s *Server) ensureDevice(ref DeviceRef) (*Device, error) {
	name := strings.TrimSpace(ref.Name)
	if name == "" {
		return nil, fmt.Errorf("name is required")
	}
	for _, d := range s.devices {
		switch {
		case ref.ID != "" && d.ID == ref.ID:
			if !strings.EqualFold(d.Name, name) {
				return nil, fmt.Errorf("device %s is named %q, not %q", d.ID, d.Name, name)
			}
			return d, nil
		case ref.ID == "" && strings.EqualFold(d.Name, name):
			return d, nil
		}
	}
	state := ref.State
	if state == "" {
		state = "active"
	}
	if !contains(DeviceStates, state) {
		return nil, fmt.Errorf("state %q is not one of %s", state, strings.Join(DeviceStates, ", "))
	}
	id := ref.ID
	if id == "" {
		id = newUUID()
	}
	ip := strings.TrimSpace(ref.IP)
	if ip == "" {
		ip = fmt.Sprintf("10.20.%d.%d", (len(s.devices)/250)%250, len(s.devices)%250+10)
	}
	now := s.clock().Format(timeLayout)
	d := &Device{
		ID:                       id,
		Name:                     name,
		Type:                     "computer",
		State:                    state,
		Online:                   state == "active",
		ProtectionStatusOverview: "allOk",
		ProtectionStatus:         "protected",
		IPAddresses:              ip + "/24",
		DNSAddress:               name,
		ClientVersion:            "24.1",
		RegistrationTimestamp:    now,
		StatusUpdateTimestamp:    now,
	}
	d.Company.ID, d.Company.Name = organizationID, "Simulated Company"
	d.OS.Name, d.OS.Version = "Windows 11", "23H2"
	s.devices = append(s.devices, d)
	return d, nil
}

// clock answers the simulator's time at the API's millisecond precision.
func (s *Server) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

func riskScore(risk string) int {
	for i, r := range RiskLevels {
		if r == risk {
			return 10 + i*20
		}
	}
	return 0
}

// ServeHTTP records the call, applies any injected fault, and routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/_sim/") {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		s.mu.Lock()
		s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body)})
		s.mu.Unlock()
		if f := s.faults.Take(r.URL.Path); f != nil {
			if f.retryAfter != "" {
				w.Header().Set("Retry-After", f.retryAfter)
			}
			apiError(w, f.status, http.StatusText(f.status)+" (injected by the WithSecure simulator)")
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	s.mux.HandleFunc("POST /as/token.oauth2", s.handleToken)
	s.mux.HandleFunc("GET /incidents/v1/incidents", s.authed(readScope, s.handleListIncidents))
	s.mux.HandleFunc("PATCH /incidents/v1/incidents", s.authed(writeScope, s.handleUpdateIncidents))
	s.mux.HandleFunc("POST /incidents/v1/comments", s.authed(writeScope, s.handleComment))
	s.mux.HandleFunc("GET /incidents/v1/detections", s.authed(readScope, s.handleListDetections))
	s.mux.HandleFunc("GET /devices/v1/devices", s.authed(readScope, s.handleListDevices))
	s.mux.HandleFunc("POST /devices/v1/operations", s.authed(writeScope, s.handleOperation))
	s.mux.HandleFunc("GET /devices/v1/operations", s.authed(readScope, s.handleListOperations))

	s.mux.HandleFunc("POST /_sim/incidents", s.handleSimAddIncident)
	s.mux.HandleFunc("GET /_sim/incidents", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.Incidents()) })
	s.mux.HandleFunc("POST /_sim/devices", s.handleSimAddDevice)
	s.mux.HandleFunc("GET /_sim/calls", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, nonNil(s.Calls())) })
	s.mux.HandleFunc("DELETE /_sim/calls", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls = nil
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("GET /_sim/isolated", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.Isolated()) })
	s.mux.HandleFunc("POST /_sim/expire-tokens", func(w http.ResponseWriter, r *http.Request) {
		s.ExpireTokens()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("POST /_sim/fail", s.handleSimFail)
}

func (s *Server) handleSimAddIncident(w http.ResponseWriter, r *http.Request) {
	var n NewIncident
	if err := decodeStrict(r, &n); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	inc, err := s.AddIncident(n)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusCreated, inc)
}

func (s *Server) handleSimAddDevice(w http.ResponseWriter, r *http.Request) {
	var ref DeviceRef
	if err := decodeStrict(r, &ref); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	d, err := s.AddDevice(ref)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusCreated, d)
}

func (s *Server) handleSimFail(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Path       string `json:"path"`
		Status     int    `json:"status"`
		Times      int    `json:"times"`
		RetryAfter string `json:"retry_after"`
	}
	if err := decodeStrict(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if !strings.HasPrefix(req.Path, "/") || req.Status < 400 || req.Status > 599 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want a path starting with / and a status from 400 to 599"})
		return
	}
	if req.Times <= 0 {
		req.Times = 1
	}
	s.FailNext(req.Path, req.Status, req.Times, req.RetryAfter)
	w.WriteHeader(http.StatusNoContent)
}

func decodeStrict(r *http.Request, into any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	return nil
}

// writeJSON answers JSON as WithSecure does.
var writeJSON = simkit.JSONWriter("application/json")

// apiError answers in the Elements API's error shape.
func apiError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"code": status, "message": message, "transactionId": transactionID()})
}

func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func transactionID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "0000-" + hex.EncodeToString(b[:])
}

// rawJSON encodes values that always encode (maps of strings).
func rawJSON(v any) json.RawMessage {
	raw, _ := json.Marshal(v)
	return raw
}

func snakeCase(s string) string {
	var b strings.Builder
	underscore := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			underscore = false
		} else if !underscore && b.Len() > 0 {
			b.WriteByte('_')
			underscore = true
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// parseInt reads an optional positive integer query parameter.
func parseInt(q url.Values, key string, def, max int) (int, error) {
	v := q.Get(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, fmt.Errorf("%s must be an integer from 1 to %d", key, max)
	}
	return n, nil
}
