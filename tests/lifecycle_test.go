package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

// An operator cancels a running incident from the UI or the CLI (`temporal workflow
// cancel`). On the real server the incident's alarm timer is pending at that moment: the
// incident must end as CANCELED within seconds, with no failed workflow task on the way,
// and its timeline must say what it left contained.
func TestCancelledIncidentEndsWithinSecondsAndSaysWhatStaysContained(t *testing.T) {
	t.Parallel()
	n := time.Now().UnixNano() % 100000
	device, deviceID := fmt.Sprintf("ws-cancel-%d", n), fmt.Sprintf("6f1e4a2c-0000-4000-9000-%012d", n)
	id, _ := pushWithSecureIncident(t, device, deviceID)
	waitState(t, id, api.StateContained)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cancelledAt := time.Now()
	if err := xsoc.Temporal.CancelWorkflow(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, id+" ending as cancelled", func() error {
		described, err := e2e.Describe(ctx, xsoc.Temporal, id, "")
		if err != nil {
			return err
		}
		if status := described.GetWorkflowExecutionInfo().GetStatus(); status != enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED {
			return fmt.Errorf("status %s", status)
		}
		return nil
	})
	t.Logf("%s ended as CANCELED %s after the cancel request", id, time.Since(cancelledAt).Round(10*time.Millisecond))

	// The cancel spin this guards against failed task after task. One refusal is the
	// server's, not a spin: an activity started before the cancel completed while the
	// task that ends the incident ran (UnhandledCommand), and the next task ended it
	// (seen twice in make test; not fixed: docs/incidents.md).
	history := xsoc.Temporal.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var failed []string
	for history.HasNext() {
		event, err := history.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := event.GetWorkflowTaskFailedEventAttributes(); a != nil {
			failed = append(failed, a.GetCause().String())
		}
	}
	if len(failed) > 1 || len(failed) == 1 && failed[0] != enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND.String() {
		t.Fatalf("workflow tasks failed after the cancel: %v (the history ends %s)", failed, e2e.LastEvents(ctx, xsoc.Temporal, id, 12))
	}
	// A closed workflow answers queries from its last state.
	status := incidentStatus(t, id)
	var said string
	for _, e := range status.Timeline {
		if e.Kind == "cancelled" {
			said = e.Text
		}
	}
	if !strings.Contains(said, device) {
		t.Fatalf("the timeline's cancel line does not name what stays contained (%s): %q", device, said)
	}
	if !xsoc.WithSecure.IsIsolated(device) {
		t.Fatal("a cancel released the device: nothing is released without a person's decision")
	}
}
