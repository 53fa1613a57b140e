package cybereason

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"xsoc/integrations/cybereason/sim"
)

// addSensors registers a sensor of each status, and answers how many are active.
func addSensors(t *testing.T, console *sim.Server) int {
	t.Helper()
	for _, s := range []sim.Sensor{
		{Name: "osk-pc-1"}, {Name: "osk-pc-2", Status: "Offline"}, {Name: "osk-pc-3", Isolated: true},
		{Name: "old-pc-1", Status: "Stale"}, {Name: "old-pc-2", Status: "Archived"},
	} {
		if _, err := console.AddSensor(s); err != nil {
			t.Fatal(err)
		}
	}
	return 3
}

func TestCountEndpointsReadsTotalResults(t *testing.T) {
	t.Parallel()
	c, console := newTestClient(t, nil)
	want := addSensors(t, console)
	got, err := c.CountEndpoints(context.Background())
	if err != nil {
		t.Fatalf("CountEndpoints: %v", err)
	}
	if got != want {
		t.Errorf("CountEndpoints = %d, want %d (online, offline and isolated; not stale or archived)", got, want)
	}
	if n := countCalls(console, http.MethodPost, "/rest/sensors/query"); n != 1 {
		t.Errorf("%d sensor queries, want 1: totalResults is the count", n)
	}
}

// withoutTotalResults is a console that leaves totalResults out of its sensor answers.
type withoutTotalResults struct{ console http.Handler }

func (h withoutTotalResults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	h.console.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	var answer map[string]json.RawMessage
	if r.URL.Path == "/rest/sensors/query" && json.Unmarshal(body, &answer) == nil {
		delete(answer, "totalResults")
		body, _ = json.Marshal(answer)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = io.Copy(w, bytes.NewReader(body))
}

func TestCountEndpointsPagesWithoutTotalResults(t *testing.T) {
	t.Parallel()
	console := sim.New(testUser, testPassword)
	srv := httptest.NewServer(withoutTotalResults{console})
	t.Cleanup(srv.Close)
	c, err := New(testConnection(srv.URL, nil, testUser, testPassword))
	if err != nil {
		t.Fatal(err)
	}
	want := addSensors(t, console)
	got, err := c.CountEndpoints(context.Background())
	if err != nil {
		t.Fatalf("CountEndpoints: %v", err)
	}
	if got != want {
		t.Errorf("CountEndpoints = %d, want %d", got, want)
	}
	if n := countCalls(console, http.MethodPost, "/rest/sensors/query"); n != 2 {
		t.Errorf("%d sensor queries, want 2: one sensor, then the rest in one page", n)
	}
}

func TestCountEndpointsFailureNamesTheConsole(t *testing.T) {
	t.Parallel()
	c, console := newTestClient(t, nil)
	console.FailNextWith("/rest/sensors/query", http.StatusForbidden, 1, "", "user lacks the Sensor Viewer role")
	_, err := c.CountEndpoints(context.Background())
	if err == nil {
		t.Fatal("CountEndpoints succeeded on a refused query")
	}
	for _, want := range []string{"cybereason", "count sensors", "403", "Sensor Viewer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
