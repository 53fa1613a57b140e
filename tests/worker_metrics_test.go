package tests

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"xsoc/workflows/api"
)

// The worker serves the SDK's own metrics: an operator sees from them whether workers
// are too few (tasks waiting for a free worker: schedule-to-start latency, free task
// slots) and whether the sticky cache holds the open incidents (docs/operations.md).
func TestWorkerServesTheSDKMetrics(t *testing.T) {
	t.Parallel()
	id := fmt.Sprintf("metrics-%d", time.Now().UnixNano())
	code, body, _ := post(t, "/v1/alerts/generic/acme", genericAlert(id, "high", "pc-metrics01"))
	if code != http.StatusAccepted {
		t.Fatalf("posting an alert: %d %s", code, body)
	}
	incident := api.IncidentWorkflowID("acme", "generic", id)
	waitState(t, incident, api.StateInvestigating)
	// A decision is a workflow task on the incident's worker, whose cache holds it.
	mustDecide(t, incident, api.DecisionAcknowledge, map[string]any{"by": "hanako"})

	want := []string{
		"temporal_workflow_task_schedule_to_start_latency_seconds_bucket",
		"temporal_activity_schedule_to_start_latency_seconds_bucket",
		"temporal_workflow_task_execution_latency_seconds_bucket",
		"temporal_worker_task_slots_available",
		"temporal_sticky_cache_hit_total",
		"temporal_sticky_cache_size",
		"temporal_num_pollers",
		`xsoc_worker_build_info{build_id="`,
	}
	var missing []string
	for deadline := time.Now().Add(20 * time.Second); ; {
		page := get(t, xsoc.WorkerMetricsURL)
		missing = missing[:0]
		for _, name := range want {
			if !strings.Contains(page, "\n"+name) {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker's /metrics lacks %v", missing)
		}
		time.Sleep(time.Second)
	}
	ready := get(t, strings.TrimSuffix(xsoc.WorkerMetricsURL, "/metrics")+"/readyz")
	if !strings.Contains(ready, "serves task queue "+api.TaskQueue) {
		t.Errorf("/readyz: %q", ready)
	}
	mustDecide(t, incident, api.DecisionClose, map[string]any{"by": "hanako", "note": "metrics test"})
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(data)
}
