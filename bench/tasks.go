package main

import (
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
)

// taskTrouble counts the workflow tasks that did not complete: failed (the worker
// could not complete them: a panic, a non-determinism, a bad command) or timed out,
// on the worker (start-to-close) or waiting on the sticky queue of the worker that
// holds the workflow (schedule-to-start: the server then hands the task to any
// worker, which replays the workflow; nothing is lost, time is).
type taskTrouble struct {
	failed, timedOut, stickyTimedOut int
	// seen says what the first of them were.
	seen []string
}

// troubleSeen bounds the troubles told in words.
const troubleSeen = 5

// add counts a WorkflowTaskFailed or WorkflowTaskTimedOut event.
func (t *taskTrouble) add(e *historypb.HistoryEvent) {
	var what string
	switch e.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
		t.failed++
		a := e.GetWorkflowTaskFailedEventAttributes()
		what = fmt.Sprintf("failed (%s): %s", a.GetCause(), firstLine(a.GetFailure().GetMessage()))
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
		if e.GetWorkflowTaskTimedOutEventAttributes().GetTimeoutType() == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START {
			t.stickyTimedOut++
			return
		}
		t.timedOut++
		what = "timed out on the worker (" + e.GetWorkflowTaskTimedOutEventAttributes().GetTimeoutType().String() + ")"
	default:
		return
	}
	if len(t.seen) < troubleSeen {
		t.seen = append(t.seen, fmt.Sprintf("event %d at %s %s", e.GetEventId(), e.GetEventTime().AsTime().Format("15:04:05.000"), what))
	}
}

// failures are the tasks that failed or timed out on the worker.
func (t taskTrouble) failures() int { return t.failed + t.timedOut }

func (t taskTrouble) plus(o taskTrouble) taskTrouble {
	seen := append(append([]string(nil), t.seen...), o.seen...)
	return taskTrouble{failed: t.failed + o.failed, timedOut: t.timedOut + o.timedOut, stickyTimedOut: t.stickyTimedOut + o.stickyTimedOut,
		seen: seen[:min(len(seen), troubleSeen)]}
}

// of names the workflow in what was seen.
func (t taskTrouble) of(workflowID string) taskTrouble {
	named := make([]string, len(t.seen))
	for i, s := range t.seen {
		named[i] = workflowID + " " + s
	}
	t.seen = named
	return t
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
