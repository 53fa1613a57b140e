package historylimit

import (
	"fmt"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

// In the 20,000-alert worm the customer's Account failed a workflow task or two in
// every run of the bench (UnhandledCommand): merged incidents told it what happened to
// them in a stream of signals, and a signal that arrived while its task continued the
// Account as new made the server refuse the task. Here the Account continues as new
// every few dozen events while hundreds of merged incidents tell it: no workflow task
// of it may fail, and it counts every incident once.
func TestTheAccountContinuesAsNewWhileMergedIncidentsTellIt(t *testing.T) {
	const owners, joiningEach = 8, 40
	stamp := time.Now().UnixNano() % 1_000_000
	host := func(i int) string { return fmt.Sprintf("hl-%d-%02d", stamp, i) }
	ownerIDs := make([]string, owners)
	for i := range owners {
		ownerIDs[i] = e2e.PostGeneric(t, xsoc, webhookSecret, "pendant", fmt.Sprintf("own-%d-%d", stamp, i), fmt.Sprintf("Beacon %d", i), host(i))
	}
	e2e.AwaitOwnIncidents(t, xsoc, ownerIDs)

	joining := make([]string, owners*joiningEach)
	var wg sync.WaitGroup
	work := make(chan int)
	for range 16 {
		wg.Go(func() {
			for n := range work {
				joining[n] = e2e.PostGeneric(t, xsoc, webhookSecret, "pendant", fmt.Sprintf("join-%d-%d", stamp, n), fmt.Sprintf("Follow-up %d", n), host(n%owners))
			}
		})
	}
	for n := range joining {
		work <- n
	}
	close(work)
	wg.Wait()
	posted := time.Now()
	e2e.RequireMerged(t, xsoc, joining, func(n int) string { return ownerIDs[n%owners] }, func() string { return "" })
	t.Logf("%d alerts merged %s after the last was posted", len(joining), time.Since(posted).Round(time.Millisecond))

	e2e.Eventually(t, time.Minute, "the Account counted every alert of the test", func() error {
		value, err := xsoc.Temporal.QueryWorkflow(t.Context(), api.AccountWorkflowID("pendant"), "", api.QueryPerformance, time.Now().UTC().Format("2006-01"))
		var p api.Performance
		if err == nil {
			err = value.Get(&p)
		}
		if err != nil {
			return err
		}
		if f := p.Month.Funnel; f.AlertsIn != owners+len(joining) || f.Merged != len(joining) {
			return fmt.Errorf("%d alerts in and %d merged counted, want %d and %d", f.AlertsIn, f.Merged, owners+len(joining), len(joining))
		}
		return nil
	})
	runs, failed := accountRuns(t)
	t.Logf("the Account counted them all %s after the last was posted, and ran %d times", time.Since(posted).Round(time.Millisecond), runs)
	if runs < 3 {
		t.Fatalf("the Account continued as new %d times: the test did not test it", runs-1)
	}
	if len(failed) > 0 {
		t.Fatalf("%d workflow tasks of the Account failed: %v", len(failed), failed)
	}
}

// accountRuns answers how many runs the customer's Account had, and the failed
// workflow tasks among them (run: cause).
func accountRuns(t *testing.T) (int, []string) {
	t.Helper()
	id := api.AccountWorkflowID("pendant")
	list, err := xsoc.Temporal.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId = %q", id), PageSize: 1000})
	if err != nil {
		t.Fatalf("listing the Account's runs: %v", err)
	}
	var failed []string
	for _, run := range list.Executions {
		runID := run.GetExecution().GetRunId()
		iter := xsoc.Temporal.GetWorkflowHistory(t.Context(), id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		// A task refused for a signal that came during it is followed by that signal.
		after := ""
		for iter.HasNext() {
			event, err := iter.Next()
			if err != nil {
				t.Fatalf("reading the Account's run %s: %v", runID, err)
			}
			if f := event.GetWorkflowTaskFailedEventAttributes(); f != nil {
				after = runID + ": " + f.GetCause().String() + ", then"
				continue
			}
			if after != "" {
				after += " " + event.GetEventType().String()
				if signal := event.GetWorkflowExecutionSignaledEventAttributes(); signal != nil {
					after += " " + signal.GetSignalName()
				}
				if event.GetWorkflowExecutionSignaledEventAttributes() == nil {
					failed, after = append(failed, after), ""
				}
			}
		}
		if after != "" {
			failed = append(failed, after)
		}
	}
	return len(list.Executions), failed
}
