package sim

import (
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // G505: SHA-1 makes the simulator's ids and file hashes, as WithSecure shows them; nothing is protected by it
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// handleToken is the OAuth2 client-credentials token endpoint.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(id), []byte(s.clientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.secret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Invalid credentials"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": err.Error()})
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type",
			"error_description": fmt.Sprintf("grant_type %q is not supported; use client_credentials", gt)})
		return
	}
	scopes := strings.Fields(r.PostForm.Get("scope"))
	if len(scopes) == 0 {
		scopes = []string{readScope}
	}
	for _, sc := range scopes {
		if sc != readScope && sc != writeScope {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_scope",
				"error_description": fmt.Sprintf("scope %q is not one of %s, %s", sc, readScope, writeScope)})
			return
		}
	}
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	value := base64.RawStdEncoding.EncodeToString(raw[:])
	s.mu.Lock()
	ttl := s.tokenTTL
	s.tokens[value] = token{expires: s.clock().Add(ttl), scopes: scopes}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": value, "token_type": "Bearer", "expires_in": int(ttl / time.Second)})
}

// authed lets a request through with a live bearer token holding scope; a write token
// may also read.
func (s *Server) authed(scope string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		value, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		t, known := s.tokens[value]
		now := s.clock()
		s.mu.Unlock()
		if !ok || !known || !now.Before(t.expires) {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			apiError(w, http.StatusUnauthorized, "Invalid or expired access token")
			return
		}
		if !contains(t.scopes, scope) && !(scope == readScope && contains(t.scopes, writeScope)) {
			apiError(w, http.StatusForbidden, "The access token lacks scope "+scope)
			return
		}
		next(w, r)
	}
}

func (s *Server) handleListIncidents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := parseInt(q, "limit", 20, 50)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	order := q.Get("order")
	if order == "" {
		order = "desc"
	}
	if order != "asc" && order != "desc" {
		apiError(w, http.StatusBadRequest, "order must be asc or desc")
		return
	}
	exclusive := q.Get("exclusiveStart") == "true"
	var bounds [4]time.Time
	for i, key := range []string{"updatedTimestampStart", "updatedTimestampEnd", "createdTimestampStart", "createdTimestampEnd"} {
		if v := q.Get(key); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				apiError(w, http.StatusBadRequest, fmt.Sprintf("%s %q is not an RFC 3339 timestamp", key, v))
				return
			}
			bounds[i] = t
		}
	}
	for _, key := range []string{"status", "riskLevel"} {
		allowed := map[string][]string{"status": Statuses, "riskLevel": RiskLevels}[key]
		for _, v := range q[key] {
			if !contains(allowed, v) {
				apiError(w, http.StatusBadRequest, fmt.Sprintf("%s %q is not one of %s", key, v, strings.Join(allowed, ", ")))
				return
			}
		}
	}
	after := func(t, start time.Time) bool {
		if start.IsZero() {
			return true
		}
		if exclusive {
			return t.After(start)
		}
		return !t.Before(start)
	}
	before := func(t, end time.Time) bool { return end.IsZero() || !t.After(end) }

	s.mu.Lock()
	var matched []Incident
	list := append([]*incident(nil), s.incidents...)
	sort.SliceStable(list, func(i, j int) bool {
		if !list[i].updated.Equal(list[j].updated) {
			return list[i].updated.Before(list[j].updated)
		}
		return list[i].seq < list[j].seq
	})
	if order == "desc" {
		for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
			list[i], list[j] = list[j], list[i]
		}
	}
	for _, inc := range list {
		if !after(inc.updated, bounds[0]) || !before(inc.updated, bounds[1]) ||
			!after(inc.created, bounds[2]) || !before(inc.created, bounds[3]) {
			continue
		}
		if ids := q["incidentId"]; len(ids) > 0 && !contains(ids, inc.IncidentID) {
			continue
		}
		if st := q["status"]; len(st) > 0 && !contains(st, inc.Status) {
			continue
		}
		if rl := q["riskLevel"]; len(rl) > 0 && !contains(rl, inc.RiskLevel) {
			continue
		}
		matched = append(matched, inc.Incident)
	}
	s.mu.Unlock()
	writePage(w, q, matched, limit)
}

func (s *Server) handleListDetections(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := parseInt(q, "limit", 100, 100)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	var matched []Detection
	for _, d := range s.detections {
		if ids := q["incidentId"]; len(ids) > 0 && !contains(ids, d.IncidentID) {
			continue
		}
		matched = append(matched, d)
	}
	s.mu.Unlock()
	writePage(w, q, matched, limit)
}

func (s *Server) handleListDevices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := parseInt(q, "limit", 200, 200)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	var matched []Device
	for _, d := range s.devices {
		if ids := q["deviceId"]; len(ids) > 0 && !contains(ids, d.ID) {
			continue
		}
		if name := q.Get("name"); name != "" && !strings.EqualFold(name, d.Name) {
			continue
		}
		if st := q.Get("state"); st != "" && st != d.State {
			continue
		}
		if ps := q.Get("protectionStatusOverview"); ps != "" && ps != d.ProtectionStatusOverview {
			continue
		}
		if on := q.Get("online"); on != "" && on != strconv.FormatBool(d.Online) {
			continue
		}
		matched = append(matched, *d)
	}
	s.mu.Unlock()
	writePage(w, q, matched, limit)
}

// targetStatus is one entry of a 207 multistatus answer.
type targetStatus struct {
	Target      string `json:"target"`
	Status      int    `json:"status"`
	OperationID string `json:"operationId,omitempty"`
	Details     string `json:"details,omitempty"`
}

func (s *Server) handleUpdateIncidents(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Targets    []string `json:"targets"`
		Status     string   `json:"status"`
		Resolution string   `json:"resolution"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "body is not JSON: "+err.Error())
		return
	}
	switch {
	case len(req.Targets) == 0:
		apiError(w, http.StatusBadRequest, "targets: at least one incident id is required")
		return
	case !contains(Statuses, req.Status):
		apiError(w, http.StatusBadRequest, fmt.Sprintf("status %q is not one of %s", req.Status, strings.Join(Statuses, ", ")))
		return
	case req.Resolution != "" && !contains(Resolutions, req.Resolution):
		apiError(w, http.StatusBadRequest, fmt.Sprintf("resolution %q is not one of %s", req.Resolution, strings.Join(Resolutions, ", ")))
		return
	case req.Status == "closed" && req.Resolution == "":
		apiError(w, http.StatusBadRequest, "resolution is required when status is closed")
		return
	}
	s.mu.Lock()
	now := s.clock()
	var statuses []targetStatus
	for _, id := range req.Targets {
		inc := s.incident(id)
		if inc == nil {
			statuses = append(statuses, targetStatus{Target: id, Status: http.StatusNotFound, Details: "Incident not found"})
			continue
		}
		inc.Status = req.Status
		if req.Resolution != "" {
			inc.Resolution = req.Resolution
		}
		inc.updated = now
		inc.UpdatedTimestamp = now.Format(timeLayout)
		statuses = append(statuses, targetStatus{Target: id, Status: http.StatusOK})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusMultiStatus, map[string]any{"multistatus": statuses, "transactionId": transactionID()})
}

func (s *Server) handleComment(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Targets []string `json:"targets"`
		Comment string   `json:"comment"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "body is not JSON: "+err.Error())
		return
	}
	if len(req.Targets) == 0 || len(req.Targets) > 10 {
		apiError(w, http.StatusBadRequest, "targets: from 1 to 10 incident ids are required")
		return
	}
	if strings.TrimSpace(req.Comment) == "" {
		apiError(w, http.StatusBadRequest, "comment is required")
		return
	}
	type written struct {
		IncidentID string `json:"incidentId"`
		Comment    string `json:"comment"`
	}
	answer := struct {
		Items       []written      `json:"items"`
		Multistatus []targetStatus `json:"multistatus,omitempty"`
	}{Items: []written{}}
	s.mu.Lock()
	for _, id := range req.Targets {
		inc := s.incident(id)
		if inc == nil {
			answer.Multistatus = append(answer.Multistatus, targetStatus{Target: id, Status: http.StatusNotFound, Details: "Incident not found"})
			continue
		}
		inc.comments = append(inc.comments, req.Comment)
		answer.Items = append(answer.Items, written{IncidentID: id, Comment: req.Comment})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusMultiStatus, answer)
}

func (s *Server) handleOperation(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Operation  string          `json:"operation"`
		Targets    []string        `json:"targets"`
		Parameters json.RawMessage `json:"parameters"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "body is not JSON: "+err.Error())
		return
	}
	if !contains(Operations, req.Operation) {
		apiError(w, http.StatusBadRequest, fmt.Sprintf("operation %q is not one of %s", req.Operation, strings.Join(Operations, ", ")))
		return
	}
	if len(req.Targets) == 0 {
		apiError(w, http.StatusBadRequest, "targets: at least one device id is required")
		return
	}
	s.mu.Lock()
	now := s.clock()
	var statuses []targetStatus
	for _, id := range req.Targets {
		var dev *Device
		for _, d := range s.devices {
			if d.ID == id {
				dev = d
			}
		}
		if dev == nil {
			statuses = append(statuses, targetStatus{Target: id, Status: http.StatusNotFound, Details: "Device not found"})
			continue
		}
		if dev.State != "active" {
			statuses = append(statuses, targetStatus{Target: id, Status: http.StatusConflict, Details: "Device is " + dev.State})
			continue
		}
		switch req.Operation {
		case "isolateFromNetwork":
			dev.ProtectionStatusOverview = "isolated"
		case "releaseFromNetworkIsolation":
			dev.ProtectionStatusOverview = "allOk"
		}
		dev.StatusUpdateTimestamp = now.Format(timeLayout)
		s.seq++
		opID := strconv.FormatInt(now.UnixNano()+int64(s.seq), 10)
		s.operations = append(s.operations, Operation{
			ID: opID, DeviceID: id, OperationName: req.Operation, Status: "finished", Parameters: req.Parameters,
			StartedTimestamp: now.Format(timeLayout), LastUpdatedTimestamp: now.Format(timeLayout),
		})
		statuses = append(statuses, targetStatus{Target: id, Status: http.StatusAccepted, OperationID: opID})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusMultiStatus, map[string]any{"multistatus": statuses, "transactionId": transactionID()})
}

func (s *Server) handleListOperations(w http.ResponseWriter, r *http.Request) {
	deviceID := r.URL.Query().Get("deviceId")
	if deviceID == "" {
		apiError(w, http.StatusBadRequest, "deviceId is required")
		return
	}
	s.mu.Lock()
	items := []Operation{}
	for _, op := range s.operations {
		if op.DeviceID == deviceID {
			items = append(items, op)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) incident(id string) *incident {
	for _, inc := range s.incidents {
		if inc.IncidentID == id {
			return inc
		}
	}
	return nil
}

// writePage answers one page of items; the anchor is bound to the query it continues,
// as the vendor's are, so that reusing it with other filters is refused.
func writePage[T any](w http.ResponseWriter, q url.Values, items []T, limit int) {
	offset := 0
	fingerprint := queryFingerprint(q)
	if anchor := q.Get("anchor"); anchor != "" {
		var a struct {
			Offset int    `json:"o"`
			Query  string `json:"q"`
		}
		raw, err := base64.RawURLEncoding.DecodeString(anchor)
		if err == nil {
			err = json.Unmarshal(raw, &a)
		}
		if err != nil || a.Query != fingerprint || a.Offset < 0 {
			apiError(w, http.StatusBadRequest, "Invalid anchor")
			return
		}
		offset = a.Offset
	}
	if offset > len(items) {
		offset = len(items)
	}
	end := min(offset+limit, len(items))
	answer := map[string]any{"items": nonNil(items[offset:end])}
	if end < len(items) {
		raw, _ := json.Marshal(map[string]any{"o": end, "q": fingerprint})
		answer["nextAnchor"] = base64.RawURLEncoding.EncodeToString(raw)
	}
	writeJSON(w, http.StatusOK, answer)
}

// queryFingerprint identifies a query's filters, leaving out paging.
func queryFingerprint(q url.Values) string {
	filters := url.Values{}
	for k, v := range q {
		if k != "anchor" && k != "limit" {
			filters[k] = v
		}
	}
	sum := sha1.Sum([]byte(filters.Encode())) //nolint:gosec // G401: an id, not a protection
	return hex.EncodeToString(sum[:8])
}
