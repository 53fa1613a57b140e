package sim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

type testConsole struct {
	t      *testing.T
	srv    *httptest.Server
	client *http.Client
	sim    *Server
}

func newTestConsole(t *testing.T) *testConsole {
	t.Helper()
	s := New("soc", "pw")
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &testConsole{t: t, srv: srv, client: &http.Client{Jar: jar}, sim: s}
}

func (c *testConsole) do(method, path, contentType, body string) (int, http.Header, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func (c *testConsole) login(password string) string {
	c.t.Helper()
	form := url.Values{"username": {"soc"}, "password": {password}}
	_, _, page := c.do(http.MethodPost, "/login.html", "application/x-www-form-urlencoded", form.Encode())
	return page
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	return v
}

func TestSessionsAndLoginPage(t *testing.T) {
	t.Parallel()
	c := newTestConsole(t)
	status, header, body := c.do(http.MethodPost, "/rest/detection/inbox", "application/json", `{"startTime":0,"endTime":1}`)
	if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "text/html") || !strings.Contains(body, "app-login") {
		t.Fatalf("without session: %d %s %q, want the login page with 200", status, header.Get("Content-Type"), body)
	}
	if page := c.login("nope"); !strings.Contains(page, "app-login") {
		t.Errorf("refused login answered %q", page)
	}
	if page := c.login("pw"); strings.Contains(page, "app-login") {
		t.Fatalf("accepted login answered the login form: %q", page)
	}
	if status, _, body := c.do(http.MethodPost, "/rest/detection/inbox", "application/json", `{"startTime":0,"endTime":1}`); status != 200 || !strings.Contains(body, `"malops"`) {
		t.Fatalf("with session: %d %q", status, body)
	}
	if status, _, _ := c.do(http.MethodPost, "/_sim/expire-sessions", "", ""); status != http.StatusNoContent {
		t.Fatalf("expire-sessions: %d", status)
	}
	if _, _, body := c.do(http.MethodPost, "/rest/detection/inbox", "application/json", `{}`); !strings.Contains(body, "app-login") {
		t.Errorf("after expiry: %q, want the login page", body)
	}
}

func TestControlAPI(t *testing.T) {
	t.Parallel()
	c := newTestConsole(t)
	status, _, body := c.do(http.MethodPost, "/_sim/malops", "application/json",
		`{"name":"mimikatz.exe","severity":"High","machines":[{"name":"osk-pc-17","pylumId":"PYLUM_OSK17"}],"users":["ACME\\taro"]}`)
	if status != http.StatusCreated {
		t.Fatalf("create MalOp: %d %s", status, body)
	}
	guid := decode[map[string]string](t, body)["guid"]
	if !strings.HasPrefix(guid, "AAAA") {
		t.Fatalf("guid = %q", guid)
	}
	for _, bad := range []string{`{"machines":[{"name":"pc"}]}`, `{"name":"a.exe","machines":[]}`, `{"name":"a.exe","machines":[{"name":"pc"}],"colour":"red"}`} {
		if status, _, body := c.do(http.MethodPost, "/_sim/malops", "application/json", bad); status != http.StatusBadRequest || !strings.Contains(body, "malop:") {
			t.Errorf("bad MalOp %s: %d %s", bad, status, body)
		}
	}

	// The MalOp shows in the inbox and in mmng/v2, its machine is a sensor.
	c.login("pw")
	_, _, body = c.do(http.MethodPost, "/rest/detection/inbox", "application/json", `{"startTime":0,"endTime":99999999999999}`)
	inbox := decode[struct {
		Malops []struct {
			GUID     string `json:"guid"`
			Severity string `json:"severity"`
			Machines []struct {
				DisplayName string `json:"displayName"`
			} `json:"machines"`
		} `json:"malops"`
	}](t, body)
	if len(inbox.Malops) != 1 || inbox.Malops[0].GUID != guid || inbox.Malops[0].Machines[0].DisplayName != "osk-pc-17" {
		t.Fatalf("inbox = %s", body)
	}
	_, _, body = c.do(http.MethodPost, "/rest/sensors/query", "application/json",
		`{"filters":[{"fieldName":"machineName","operator":"Equals","values":["osk-pc-17"]}]}`)
	if !strings.Contains(body, `"pylumId":"PYLUM_OSK17"`) || !strings.Contains(body, `"isolated":"false"`) {
		t.Fatalf("sensor query = %s, want the sensor with string booleans", body)
	}

	// Isolation shows in /_sim/isolated.
	_, _, body = c.do(http.MethodPost, "/rest/monitor/global/commands/isolate", "application/json", `{"pylumIds":["PYLUM_OSK17","PYLUM_NONE"]}`)
	if answer := decode[map[string]string](t, body); answer["PYLUM_OSK17"] != "Succeeded" || answer["PYLUM_NONE"] != "Failed" {
		t.Errorf("isolate answered %s", body)
	}
	_, _, body = c.do(http.MethodGet, "/_sim/isolated", "", "")
	if got := decode[[]string](t, body); len(got) != 1 || got[0] != "osk-pc-17" {
		t.Errorf("isolated = %s", body)
	}

	// Status and comments show in /_sim/malops/{guid}.
	c.do(http.MethodPost, "/rest/crimes/comment/"+guid, "text/plain", "xsoc verdict: true_positive")
	_, _, body = c.do(http.MethodPost, "/rest/crimes/status", "application/json", `{"`+guid+`":"CLOSED"}`)
	if !strings.Contains(body, `"SUCCESS"`) {
		t.Errorf("status answered %s", body)
	}
	_, _, body = c.do(http.MethodPost, "/rest/crimes/status", "application/json", `{"`+guid+`":"DONE"}`)
	if !strings.Contains(body, `"FAILED"`) {
		t.Errorf("bad status answered %s", body)
	}
	_, _, body = c.do(http.MethodGet, "/_sim/malops/"+guid, "", "")
	state := decode[MalopState](t, body)
	if state.ManagementStatus != "CLOSED" || len(state.Comments) != 1 || state.Comments[0].Message != "xsoc verdict: true_positive" {
		t.Errorf("MalOp state = %s", body)
	}

	// Calls are recorded without the password, and can be cleared.
	_, _, body = c.do(http.MethodGet, "/_sim/calls", "", "")
	calls := decode[[]Call](t, body)
	if len(calls) != 7 || calls[0].Path != "/login.html" || calls[1].Path != "/rest/detection/inbox" {
		t.Errorf("calls = %s", body)
	}
	if !strings.Contains(calls[0].Body, "password=REDACTED") || strings.Contains(body, "password=pw") {
		t.Errorf("calls hold the password: %s", body)
	}
	c.do(http.MethodDelete, "/_sim/calls", "", "")
	if _, _, body = c.do(http.MethodGet, "/_sim/calls", "", ""); body != "[]\n" {
		t.Errorf("calls after reset = %q", body)
	}
}

func TestFaultInjection(t *testing.T) {
	t.Parallel()
	c := newTestConsole(t)
	c.login("pw")
	if status, _, body := c.do(http.MethodPost, "/_sim/fail", "application/json",
		`{"path":"/rest/mmng/v2/malops","status":429,"times":2,"retry_after":"5","message":"Too many requests"}`); status != http.StatusNoContent {
		t.Fatalf("fail: %d %s", status, body)
	}
	for i := range 2 {
		status, header, body := c.do(http.MethodPost, "/rest/mmng/v2/malops", "application/json", `{}`)
		if status != http.StatusTooManyRequests || header.Get("Retry-After") != "5" || !strings.Contains(body, "Too many requests") {
			t.Errorf("call %d: %d %q %s", i, status, header.Get("Retry-After"), body)
		}
	}
	if status, _, _ := c.do(http.MethodPost, "/rest/mmng/v2/malops", "application/json", `{}`); status != http.StatusOK {
		t.Errorf("third call: %d, want the fault spent", status)
	}
	if status, _, _ := c.do(http.MethodPost, "/_sim/fail", "application/json", `{"path":"rest","status":429}`); status != http.StatusBadRequest {
		t.Errorf("bad fault accepted: %d", status)
	}
}

// A slow isolate takes effect at once; its answer waits, and a caller who hangs up
// meanwhile leaves the machine isolated.
func TestSlowCommandTakesEffectBeforeItsAnswer(t *testing.T) {
	t.Parallel()
	c := newTestConsole(t)
	c.login("pw")
	pylumID, err := c.sim.AddSensor(Sensor{Name: "pc-slow"})
	if err != nil {
		t.Fatal(err)
	}
	if status, _, body := c.do(http.MethodPost, "/_sim/slow", "application/json",
		`{"path":"/rest/monitor/global/commands/isolate","delay":"300ms"}`); status != http.StatusNoContent {
		t.Fatalf("slow: %d %s", status, body)
	}
	started := time.Now()
	status, _, body := c.do(http.MethodPost, "/rest/monitor/global/commands/isolate", "application/json", `{"pylumIds":["`+pylumID+`"]}`)
	if took := time.Since(started); status != http.StatusOK || !strings.Contains(body, "Succeeded") || took < 300*time.Millisecond {
		t.Fatalf("slow isolate: %d %s after %s", status, body, took)
	}
	c.sim.ResetCalls()
	hungUp, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(hungUp, http.MethodPost, c.srv.URL+"/rest/monitor/global/commands/un-isolate", strings.NewReader(`{"pylumIds":["`+pylumID+`"]}`))
	c.sim.SlowNext("/rest/monitor/global/commands/un-isolate", time.Minute, 1)
	if _, err := c.client.Do(req); err == nil {
		t.Fatal("the held answer came before the caller hung up")
	}
	if c.sim.IsIsolated("pc-slow") || len(c.sim.Calls()) != 1 {
		t.Fatalf("after hanging up: isolated=%v calls=%v", c.sim.IsIsolated("pc-slow"), c.sim.Calls())
	}
	for _, bad := range []string{`{"path":"rest","delay":"1s"}`, `{"path":"/rest/x","delay":"soon"}`, `{"path":"/rest/x"}`} {
		if status, _, _ := c.do(http.MethodPost, "/_sim/slow", "application/json", bad); status != http.StatusBadRequest {
			t.Errorf("%s accepted: %d", bad, status)
		}
	}
}

func TestMmngPagination(t *testing.T) {
	t.Parallel()
	c := newTestConsole(t)
	for i := range 5 {
		if _, err := c.sim.AddMalop(Malop{Name: "w.exe", Machines: []Machine{{Name: "pc"}}, LastUpdateTime: int64(1000 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	c.login("pw")
	_, _, body := c.do(http.MethodPost, "/rest/mmng/v2/malops", "application/json",
		`{"range":{"from":1001,"to":1004},"pagination":{"pageSize":2,"offset":1},"sort":[{"field":"LastUpdateTime","order":"desc"}]}`)
	answer := decode[struct {
		Data struct {
			TotalHits int `json:"totalHits"`
			Data      []struct {
				LastUpdateTime int64 `json:"lastUpdateTime"`
			} `json:"data"`
		} `json:"data"`
	}](t, body)
	if answer.Data.TotalHits != 4 || len(answer.Data.Data) != 2 || answer.Data.Data[0].LastUpdateTime != 1003 || answer.Data.Data[1].LastUpdateTime != 1002 {
		t.Errorf("page = %s", body)
	}
}

func TestSensorsQueryCountsByStatus(t *testing.T) {
	t.Parallel()
	c := newTestConsole(t)
	for _, s := range []Sensor{{Name: "pc-1"}, {Name: "pc-2", Status: "Offline"}, {Name: "pc-3", Status: "Stale"}, {Name: "pc-4", Status: "Archived"}} {
		if _, err := c.sim.AddSensor(s); err != nil {
			t.Fatal(err)
		}
	}
	c.login("pw")
	_, _, body := c.do(http.MethodPost, "/rest/sensors/query", "application/json",
		`{"limit":1,"offset":0,"filters":[{"fieldName":"status","operator":"NotEquals","values":["Archived"]},{"fieldName":"status","operator":"NotEquals","values":["Stale"]}]}`)
	answer := decode[struct {
		TotalResults   int            `json:"totalResults"`
		SensorsStatus  map[string]any `json:"sensorsStatus"`
		Sensors        []any          `json:"sensors"`
		HasMoreResults string         `json:"hasMoreResults"`
	}](t, body)
	if answer.TotalResults != 2 || len(answer.Sensors) != 1 || answer.HasMoreResults != "true" {
		t.Errorf("active sensors: total %d, %d on the page, more %q; want 2, 1, \"true\"", answer.TotalResults, len(answer.Sensors), answer.HasMoreResults)
	}
	if answer.SensorsStatus["onlineCount"] != 1.0 || answer.SensorsStatus["offlineCount"] != 1.0 || answer.SensorsStatus["staleCount"] != 0.0 {
		t.Errorf("sensorsStatus = %v, want one online and one offline", answer.SensorsStatus)
	}
}
