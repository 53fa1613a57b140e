package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The SDK's metrics reach /metrics under the names of Temporal's SDK metrics reference
// (counters _total, timers _seconds histograms), with the build that runs.
func TestWorkerMetricsAreServedInPrometheusForm(t *testing.T) {
	metrics := newWorkerMetrics(slog.New(slog.DiscardHandler), "b2")
	defer metrics.close()
	tagged := metrics.handler.WithTags(map[string]string{"task_queue": "xsoc", "workflow_type": "Incident"})
	tagged.Timer("temporal_workflow_task_schedule_to_start_latency").Record(3 * time.Second)
	tagged.Counter("temporal_sticky_cache_hit").Inc(2)
	tagged.Gauge("temporal_worker_task_slots_available").Update(0)
	ready := &readiness{}
	server := httptest.NewServer(workerMux(metrics.http, ready))
	defer server.Close()

	if code, _ := fetch(t, server.URL+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz before the worker started: %d", code)
	}
	ready.set("build b2 serves task queue xsoc")
	if code, body := fetch(t, server.URL+"/readyz"); code != http.StatusOK || !strings.Contains(body, "b2") {
		t.Errorf("/readyz once started: %d %q", code, body)
	}
	want := []string{
		`temporal_workflow_task_schedule_to_start_latency_seconds_bucket{task_queue="xsoc",workflow_type="Incident",le="5"} 1`,
		`temporal_workflow_task_schedule_to_start_latency_seconds_bucket{task_queue="xsoc",workflow_type="Incident",le="2"} 0`,
		`temporal_sticky_cache_hit_total{task_queue="xsoc",workflow_type="Incident"} 2`,
		`temporal_worker_task_slots_available{task_queue="xsoc",workflow_type="Incident"} 0`,
		`xsoc_worker_build_info{build_id="b2",deployment="xsoc"} 1`,
		"go_goroutines ",
	}
	var body string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, body = fetch(t, server.URL+"/metrics"); strings.Contains(body, want[2]) {
			break // tally reports each second
		}
	}
	for _, line := range want {
		if !strings.Contains(body, line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}
