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

	history := xsoc.Temporal.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for history.HasNext() {
		event, err := history.Next()
		if err != nil {
			t.Fatal(err)
		}
		if event.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED {
			t.Fatalf("a workflow task failed after the cancel: %s (the history ends %s)", event.GetWorkflowTaskFailedEventAttributes().GetFailure().GetMessage(),
				e2e.LastEvents(ctx, xsoc.Temporal, id, 12))
		}
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
