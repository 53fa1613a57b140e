package limits

import (
	"fmt"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

// In the 20,000-alert worm the server fell behind delivering triage's hand-overs to
// their campaigns, and refused triage's next workflow task: "the number of pending
// signals to external workflows, 2000, has reached the per-workflow limit". It refuses
// the task again on every retry, and the worm's sorting stopped. Here the server's
// limit is 4: alerts joining ten open incidents at once are handed over by triage
// without passing it, every one joins its incident, and no workflow task of triage is
// refused.
func TestTriageStaysUnderTheServersLimitOfSignalsInFlight(t *testing.T) {
	const owners, joiningEach = 10, 3
	stamp := time.Now().UnixNano() % 1_000_000
	host := func(i int) string { return fmt.Sprintf("lim-%d-%02d", stamp, i) }
	ownerIDs := make([]string, owners)
	for i := range owners {
		ownerIDs[i] = postAlert(t, "vandelay", fmt.Sprintf("own-%d-%d", stamp, i), fmt.Sprintf("Beacon %d", i), host(i))
	}
	e2e.AwaitOwnIncidents(t, xsoc, ownerIDs)

	// Each joining alert names a detection of its own: they join their hosts'
	// incidents, and no campaign forms.
	joining := make([]string, owners*joiningEach)
	var wg sync.WaitGroup
	for n := range joining {
		wg.Add(1)
		go func() {
			defer wg.Done()
			joining[n] = postAlert(t, "vandelay", fmt.Sprintf("join-%d-%d", stamp, n), fmt.Sprintf("Follow-up %d", n), host(n%owners))
		}()
	}
	wg.Wait()
	e2e.RequireMerged(t, xsoc, joining, func(n int) string { return ownerIDs[n%owners] }, func() string {
		return fmt.Sprintf("triage's refused workflow tasks: %v", refusedTriageTasks(t))
	})
	if refused := refusedTriageTasks(t); len(refused) > 0 {
		t.Fatalf("the server refused triage's workflow tasks: %v", refused)
	}
	e2e.RecordTriage(t, xsoc, "vandelay", "", "signals_held")
}

// refusedTriageTasks answers the causes of the customer's triage's failed workflow
// tasks, in its current run.
func refusedTriageTasks(t *testing.T) []string {
	t.Helper()
	var causes []string
	iter := xsoc.Temporal.GetWorkflowHistory(t.Context(), api.TriageWorkflowID("vandelay"), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		event, err := iter.Next()
		if err != nil {
			t.Fatalf("reading triage's history: %v", err)
		}
		if failed := event.GetWorkflowTaskFailedEventAttributes(); failed != nil {
			causes = append(causes, failed.GetCause().String())
		}
	}
	return causes
}
