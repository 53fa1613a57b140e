package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

type harness struct {
	t   *testing.T
	s   *Server
	url string
}

func start(t *testing.T) *harness {
	t.Helper()
	s := New("id", "secret")
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &harness{t: t, s: s, url: srv.URL}
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (h *harness) do(method, path, bearer string, body any, out any) int {
	h.t.Helper()
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.url+path, reader)
	if err != nil {
		h.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			h.t.Fatalf("%s %s answered %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

func (h *harness) token(user, pass, scope string) (int, map[string]any) {
	h.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}
	req, _ := http.NewRequest(http.MethodPost, h.url+"/as/token.oauth2", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (h *harness) writeToken() string {
	h.t.Helper()
	status, out := h.token("id", "secret", "connect.api.read connect.api.write")
	if status != http.StatusOK {
		h.t.Fatalf("token: %d %v", status, out)
	}
	return out["access_token"].(string)
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	h := start(t)
	cases := []struct {
		name       string
		user, pass string
		scope      string
		wantStatus int
		wantError  string
	}{
		{"good", "id", "secret", "connect.api.read", http.StatusOK, ""},
		{"wrong secret", "id", "nope", "connect.api.read", http.StatusUnauthorized, "invalid_client"},
		{"unknown scope", "id", "secret", "admin", http.StatusBadRequest, "invalid_scope"},
	}
	for _, tc := range cases {
		status, out := h.token(tc.user, tc.pass, tc.scope)
		if status != tc.wantStatus || (tc.wantError != "" && out["error"] != tc.wantError) {
			t.Errorf("%s: %d %v", tc.name, status, out)
		}
		if tc.wantStatus == http.StatusOK && (out["token_type"] != "Bearer" || out["expires_in"].(float64) != 300) {
			t.Errorf("%s: token answer %v", tc.name, out)
		}
	}
}

func TestAuthScopesAndExpiry(t *testing.T) {
	t.Parallel()
	h := start(t)
	_, out := h.token("id", "secret", "connect.api.read")
	readOnly := out["access_token"].(string)
	if status := h.do(http.MethodGet, "/incidents/v1/incidents", readOnly, nil, nil); status != http.StatusOK {
		t.Errorf("read with a read token: %d", status)
	}
	var refusal map[string]any
	if status := h.do(http.MethodPost, "/devices/v1/operations", readOnly, map[string]any{"operation": "isolateFromNetwork", "targets": []string{"x"}}, &refusal); status != http.StatusForbidden {
		t.Errorf("write with a read token: %d %v", status, refusal)
	}
	if status := h.do(http.MethodGet, "/incidents/v1/incidents", "forged", nil, nil); status != http.StatusUnauthorized {
		t.Errorf("unknown token: %d", status)
	}

	h.s.SetTokenTTL(time.Second)
	short := h.writeToken()
	h.s.SetClock(func() time.Time { return time.Now().Add(2 * time.Second) })
	if status := h.do(http.MethodGet, "/incidents/v1/incidents", short, nil, nil); status != http.StatusUnauthorized {
		t.Errorf("expired token: %d", status)
	}
	h.s.SetClock(time.Now)
	live := h.writeToken()
	if status := h.do(http.MethodPost, "/_sim/expire-tokens", "", nil, nil); status != http.StatusNoContent {
		t.Fatalf("expire-tokens: %d", status)
	}
	if status := h.do(http.MethodGet, "/incidents/v1/incidents", live, nil, nil); status != http.StatusUnauthorized {
		t.Errorf("token after expire-tokens: %d", status)
	}
}

func TestControlAPIDrivesTheVendorAPI(t *testing.T) {
	t.Parallel()
	h := start(t)
	var inc Incident
	status := h.do(http.MethodPost, "/_sim/incidents", "", map[string]any{
		"incidentId": "inc-1", "name": "Ransomware behaviour", "severity": "severe",
		"devices": []map[string]string{{"name": "osk-pc-17"}, {"name": "fs-01", "id": "dev-fs-01"}},
		"users":   []string{`ACME\taro`},
	}, &inc)
	if status != http.StatusCreated || inc.IncidentID != "inc-1" || inc.RiskLevel != "severe" || inc.Status != "new" {
		t.Fatalf("create: %d %+v", status, inc)
	}
	var refusal map[string]string
	if status := h.do(http.MethodPost, "/_sim/incidents", "", map[string]any{"name": "x", "severity": "apocalyptic", "devices": []map[string]string{{"name": "h"}}}, &refusal); status != http.StatusBadRequest || !strings.Contains(refusal["error"], "risk level") {
		t.Errorf("bad severity: %d %v", status, refusal)
	}

	tok := h.writeToken()
	var incidents struct {
		Items []Incident `json:"items"`
	}
	h.do(http.MethodGet, "/incidents/v1/incidents?order=asc&updatedTimestampStart="+url.QueryEscape(inc.UpdatedTimestamp), tok, nil, &incidents)
	if len(incidents.Items) != 1 || incidents.Items[0].IncidentID != "inc-1" {
		t.Errorf("inclusive start: %+v", incidents.Items)
	}
	incidents.Items = nil
	h.do(http.MethodGet, "/incidents/v1/incidents?exclusiveStart=true&updatedTimestampStart="+url.QueryEscape(inc.UpdatedTimestamp), tok, nil, &incidents)
	if len(incidents.Items) != 0 {
		t.Errorf("exclusive start: %+v", incidents.Items)
	}

	var detections struct {
		Items []Detection `json:"items"`
	}
	h.do(http.MethodGet, "/incidents/v1/detections?incidentId=inc-1", tok, nil, &detections)
	if len(detections.Items) != 2 || detections.Items[1].DeviceID != "dev-fs-01" || detections.Items[0].Username != `ACME\taro` {
		t.Fatalf("detections: %+v", detections.Items)
	}

	var devices struct {
		Items []Device `json:"items"`
	}
	h.do(http.MethodGet, "/devices/v1/devices?name=OSK-PC-17", tok, nil, &devices)
	if len(devices.Items) != 1 || devices.Items[0].ProtectionStatusOverview != "allOk" {
		t.Fatalf("devices: %+v", devices.Items)
	}
	pcID := devices.Items[0].ID

	var ops struct {
		Multistatus []targetStatus `json:"multistatus"`
	}
	status = h.do(http.MethodPost, "/devices/v1/operations", tok, map[string]any{
		"operation": "isolateFromNetwork", "targets": []string{pcID, "no-such-device"}, "parameters": map[string]string{"message": "isolated"},
	}, &ops)
	if status != http.StatusMultiStatus || len(ops.Multistatus) != 2 || ops.Multistatus[0].Status != http.StatusAccepted ||
		ops.Multistatus[0].OperationID == "" || ops.Multistatus[1].Status != http.StatusNotFound || ops.Multistatus[1].Details != "Device not found" {
		t.Errorf("operation: %d %+v", status, ops)
	}
	var isolated []string
	h.do(http.MethodGet, "/_sim/isolated", "", nil, &isolated)
	if len(isolated) != 1 || isolated[0] != "osk-pc-17" || !h.s.IsIsolated("osk-pc-17") {
		t.Errorf("isolated: %v", isolated)
	}
	devices.Items = nil
	h.do(http.MethodGet, "/devices/v1/devices?deviceId="+pcID, tok, nil, &devices)
	if len(devices.Items) != 1 || devices.Items[0].ProtectionStatusOverview != "isolated" {
		t.Errorf("device after isolation: %+v", devices.Items)
	}
	var opList struct {
		Items []Operation `json:"items"`
	}
	h.do(http.MethodGet, "/devices/v1/operations?deviceId="+pcID, tok, nil, &opList)
	if len(opList.Items) != 1 || opList.Items[0].OperationName != "isolateFromNetwork" {
		t.Errorf("operations: %+v", opList.Items)
	}

	var update struct {
		Multistatus []targetStatus `json:"multistatus"`
	}
	if status := h.do(http.MethodPatch, "/incidents/v1/incidents", tok, map[string]any{"targets": []string{"inc-1"}, "status": "closed"}, nil); status != http.StatusBadRequest {
		t.Errorf("closing without a resolution: %d", status)
	}
	status = h.do(http.MethodPatch, "/incidents/v1/incidents", tok, map[string]any{"targets": []string{"inc-1", "nope"}, "status": "closed", "resolution": "confirmed"}, &update)
	if status != http.StatusMultiStatus || update.Multistatus[0].Status != http.StatusOK || update.Multistatus[1].Status != http.StatusNotFound {
		t.Errorf("update: %d %+v", status, update)
	}
	var comment struct {
		Items []map[string]string `json:"items"`
	}
	status = h.do(http.MethodPost, "/incidents/v1/comments", tok, map[string]any{"targets": []string{"inc-1"}, "comment": "xsoc verdict"}, &comment)
	if status != http.StatusMultiStatus || len(comment.Items) != 1 || comment.Items[0]["incidentId"] != "inc-1" {
		t.Errorf("comment: %d %+v", status, comment)
	}
	var states []IncidentState
	h.do(http.MethodGet, "/_sim/incidents", "", nil, &states)
	if len(states) != 1 || states[0].Status != "closed" || states[0].Resolution != "confirmed" || len(states[0].Comments) != 1 {
		t.Errorf("incident state: %+v", states)
	}

	var calls []Call
	h.do(http.MethodGet, "/_sim/calls", "", nil, &calls)
	if len(calls) == 0 || calls[0].Path != "/as/token.oauth2" {
		t.Fatalf("calls: %+v", calls)
	}
	for _, c := range calls {
		if strings.HasPrefix(c.Path, "/_sim/") {
			t.Errorf("control call recorded: %+v", c)
		}
	}
	if status := h.do(http.MethodDelete, "/_sim/calls", "", nil, nil); status != http.StatusNoContent || len(h.s.Calls()) != 0 {
		t.Errorf("clearing calls: %d, %d left", status, len(h.s.Calls()))
	}
}

func TestPagingAndAnchors(t *testing.T) {
	t.Parallel()
	h := start(t)
	for i := range 5 {
		if _, err := h.s.AddIncident(NewIncident{Name: "n", Devices: []DeviceRef{{Name: "h" + string(rune('a'+i))}}}); err != nil {
			t.Fatal(err)
		}
	}
	tok := h.writeToken()
	var page struct {
		Items      []Incident `json:"items"`
		NextAnchor string     `json:"nextAnchor"`
	}
	h.do(http.MethodGet, "/incidents/v1/incidents?order=asc&limit=2", tok, nil, &page)
	if len(page.Items) != 2 || page.NextAnchor == "" {
		t.Fatalf("first page: %+v", page)
	}
	seen := map[string]bool{page.Items[0].IncidentID: true, page.Items[1].IncidentID: true}
	anchor, ascAnchor := page.NextAnchor, page.NextAnchor
	for anchor != "" {
		page.Items, page.NextAnchor = nil, ""
		h.do(http.MethodGet, "/incidents/v1/incidents?order=asc&limit=2&anchor="+url.QueryEscape(anchor), tok, nil, &page)
		for _, inc := range page.Items {
			if seen[inc.IncidentID] {
				t.Errorf("%s on two pages", inc.IncidentID)
			}
			seen[inc.IncidentID] = true
		}
		anchor = page.NextAnchor
	}
	if len(seen) != 5 {
		t.Errorf("%d incidents over all pages, want 5", len(seen))
	}
	cases := []struct{ name, query string }{
		{"anchor of another query", "?order=desc&anchor=" + url.QueryEscape(ascAnchor)},
		{"garbled anchor", "?order=asc&anchor=garbled"},
		{"limit too large", "?limit=51"},
		{"bad timestamp", "?updatedTimestampStart=yesterday"},
		{"bad status", "?status=open"},
	}
	for _, tc := range cases {
		var refusal map[string]any
		if status := h.do(http.MethodGet, "/incidents/v1/incidents"+tc.query, tok, nil, &refusal); status != http.StatusBadRequest || refusal["message"] == "" {
			t.Errorf("%s: %d %v", tc.name, status, refusal)
		}
	}
}

func TestFaultInjection(t *testing.T) {
	t.Parallel()
	h := start(t)
	tok := h.writeToken()
	if status := h.do(http.MethodPost, "/_sim/fail", "", map[string]any{"path": "/incidents/v1/incidents", "status": 429, "times": 2, "retry_after": "5"}, nil); status != http.StatusNoContent {
		t.Fatalf("fail: %d", status)
	}
	for i := range 3 {
		req, _ := http.NewRequest(http.MethodGet, h.url+"/incidents/v1/incidents", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		wantStatus, wantAfter := http.StatusTooManyRequests, "5"
		if i == 2 {
			wantStatus, wantAfter = http.StatusOK, ""
		}
		if resp.StatusCode != wantStatus || resp.Header.Get("Retry-After") != wantAfter {
			t.Errorf("call %d: %d Retry-After %q", i, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if status := h.do(http.MethodPost, "/_sim/fail", "", map[string]any{"path": "incidents", "status": 200}, nil); status != http.StatusBadRequest {
		t.Errorf("bad fault accepted: %d", status)
	}
}

func TestDeviceStates(t *testing.T) {
	t.Parallel()
	h := start(t)
	for _, ref := range []DeviceRef{{Name: "pc-1"}, {Name: "pc-2", State: "inactive"}, {Name: "pc-3", State: "blocked"}} {
		if _, err := h.s.AddDevice(ref); err != nil {
			t.Fatal(err)
		}
	}
	var refusal map[string]string
	if status := h.do(http.MethodPost, "/_sim/devices", "", DeviceRef{Name: "pc-4", State: "retired"}, &refusal); status != http.StatusBadRequest || !strings.Contains(refusal["error"], "retired") {
		t.Errorf("unknown state: %d %v", status, refusal)
	}
	tok := h.writeToken()
	for state, want := range map[string]string{"active": "pc-1", "inactive": "pc-2", "blocked": "pc-3"} {
		var page struct {
			Items []Device `json:"items"`
		}
		h.do(http.MethodGet, "/devices/v1/devices?state="+state, tok, nil, &page)
		if len(page.Items) != 1 || page.Items[0].Name != want || page.Items[0].State != state {
			t.Errorf("state=%s: %+v, want only %s", state, page.Items, want)
		}
	}
}

// An incident raised before a poller ran: the control API backdates it, and the
// Incidents API lists it by that time.
func TestControlAPIBackdatesAnIncident(t *testing.T) {
	t.Parallel()
	h := start(t)
	raised := time.Now().Add(-20 * time.Minute).UTC().Truncate(time.Millisecond)
	var created Incident
	status := h.do(http.MethodPost, "/_sim/incidents", "", map[string]any{"name": "Old beacon", "severity": "high",
		"devices": []map[string]string{{"name": "old-pc"}}, "created": raised.Format(time.RFC3339Nano)}, &created)
	if status != http.StatusCreated || created.CreatedTimestamp != raised.Format(timeLayout) || created.UpdatedTimestamp != created.CreatedTimestamp {
		t.Fatalf("backdated incident: %d %+v", status, created)
	}
	if _, err := h.s.AddIncident(NewIncident{Name: "Fresh", Devices: []DeviceRef{{Name: "new-pc"}}}); err != nil {
		t.Fatal(err)
	}
	tok := h.writeToken()
	list := func(start time.Time) []string {
		var page struct {
			Items []Incident `json:"items"`
		}
		h.do(http.MethodGet, "/incidents/v1/incidents?order=asc&updatedTimestampStart="+url.QueryEscape(start.Format(timeLayout)), tok, nil, &page)
		var names []string
		for _, inc := range page.Items {
			names = append(names, inc.Name)
		}
		return names
	}
	if got := list(raised.Add(-time.Hour)); strings.Join(got, ",") != "Old beacon,Fresh" {
		t.Errorf("from an hour before it: %v, want the old incident first", got)
	}
	if got := list(raised.Add(time.Minute)); strings.Join(got, ",") != "Fresh" {
		t.Errorf("from after it: %v, want only the fresh one", got)
	}
	var detections struct {
		Items []Detection `json:"items"`
	}
	h.do(http.MethodGet, "/incidents/v1/detections?incidentId="+created.IncidentID, tok, nil, &detections)
	if len(detections.Items) != 1 || detections.Items[0].CreatedTimestamp != created.CreatedTimestamp {
		t.Errorf("the detection is not backdated with its incident: %+v", detections.Items)
	}
}
