package updatelimit

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"

	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

// In the 20,000-alert worm one run of triage took 2,000 admission Updates, the most the
// server lets one run take (history.maxTotalUpdates), and the server refused every
// admission after that: triage continued as new only once idle, and in a worm it never
// was: one of its notices to the SOC was still going out. Here the limit is maxUpdates,
// the customer's owners start an alert storm whose notice Slack refuses for a while,
// and waves of alerts keep triage busy past the limit: every alert must be answered
// without an incident waiting on a refused question.
func TestTriageContinuesAsNewBeforeTheServersLimitOfUpdates(t *testing.T) {
	const customer, owners, waves, perWave = "kramerica", 5, 12, 8
	stamp := time.Now().UnixNano() % 1_000_000
	host := func(i int) string { return fmt.Sprintf("upd-%d-%02d", stamp, i) }
	runsBefore := triageRuns(t, customer)
	// The storm's notice is retried, as Slack asks, for 40 s.
	xsoc.Slack.FailNext("/api/chat.postMessage", http.StatusServiceUnavailable, 4, "10")
	ownerIDs := make([]string, owners)
	for i := range owners {
		ownerIDs[i] = e2e.PostGeneric(t, xsoc, webhookSecret, customer, fmt.Sprintf("upd-own-%d-%d", stamp, i), fmt.Sprintf("Dropper %d", i), host(i))
	}
	e2e.AwaitOwnIncidents(t, xsoc, ownerIDs)

	// Waves a moment apart, each alert of its own detection on an owner's host: each
	// joins its host's incident, and triage is handing alerts over when the next wave
	// asks.
	joining := make([]string, waves*perWave)
	var wg sync.WaitGroup
	for w := range waves {
		for i := range perWave {
			n := w*perWave + i
			wg.Add(1)
			go func() {
				defer wg.Done()
				joining[n] = e2e.PostGeneric(t, xsoc, webhookSecret, customer, fmt.Sprintf("upd-join-%d-%d", stamp, n), fmt.Sprintf("Lateral %d", n), host(n%owners))
			}()
		}
		time.Sleep(250 * time.Millisecond)
	}
	wg.Wait()
	e2e.RequireMerged(t, xsoc, joining, func(n int) string { return ownerIDs[n%owners] }, func() string { return "" })
	// An admission the server refused leaves the incident waiting for a busy triage.
	var waited []string
	for _, id := range joining {
		for _, entry := range e2e.IncidentStatus(t, xsoc.Temporal, id).Timeline {
			if entry.Kind == "triage" && strings.Contains(entry.Text, "busy") {
				waited = append(waited, fmt.Sprintf("%s: %s", id, entry.Text))
			}
		}
	}
	if len(waited) > 0 {
		t.Errorf("%d of %d incidents waited for triage, e.g. %v", len(waited), len(joining), waited[:min(3, len(waited))])
	}
	// Each wave is at least one Update: more than maxUpdates of them in all.
	runs := triageRuns(t, customer) - runsBefore
	if runs < 2 {
		t.Errorf("triage ran %d times for %d alerts in %d waves: it did not continue as new", runs, len(joining)+owners, waves)
	}
	t.Logf("triage ran %d times", runs)
	// The runs that ended with the notice going out carried it: the SOC hears of the
	// storm once Slack takes it, and once.
	e2e.Eventually(t, 90*time.Second, "the SOC told of the storm by Slack, once", func() error {
		var told []string
		for _, m := range xsoc.Slack.Messages() {
			if strings.Contains(m.Text, "Kramerica") {
				told = append(told, m.Text)
			}
		}
		if len(told) != 1 {
			return fmt.Errorf("%d messages: %q", len(told), told)
		}
		return nil
	})
	e2e.RecordTriage(t, xsoc, customer, firstContinuedRun(t, customer), "continued_busy")
}

// triageRuns counts the customer's triage's runs.
func triageRuns(t *testing.T, customer string) int64 {
	t.Helper()
	return e2e.Count(t, xsoc.Temporal, fmt.Sprintf("WorkflowId = '%s'", api.TriageWorkflowID(customer)))
}

// firstContinuedRun answers the run id of the customer's triage's first run that
// continued as new: the one the storm's notice was going out from.
func firstContinuedRun(t *testing.T, customer string) string {
	t.Helper()
	runs, err := xsoc.Temporal.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId = '%s' AND ExecutionStatus = 'ContinuedAsNew'", api.TriageWorkflowID(customer))})
	if err != nil {
		t.Fatal(err)
	}
	var first *workflowpb.WorkflowExecutionInfo
	for _, run := range runs.GetExecutions() {
		if first == nil || run.GetStartTime().AsTime().Before(first.GetStartTime().AsTime()) {
			first = run
		}
	}
	if first == nil {
		t.Fatal("no run of triage continued as new")
	}
	return first.GetExecution().GetRunId()
}
