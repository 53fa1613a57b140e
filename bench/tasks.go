package main

import (
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// taskTrouble counts the workflow tasks that did not complete: failed (the worker
// could not complete them: a panic, a non-determinism, a bad command) or timed out,
// on the worker (start-to-close) or waiting on the sticky queue of the worker that
// holds the workflow (schedule-to-start: the server then hands the task to any
// worker, which replays the workflow; nothing is lost, time is).
type taskTrouble struct {
	failed, timedOut, stickyTimedOut int
	// seen says what the first of them were: failures first, then timeouts.
	seen, seenTimedOut []string
}

// troubleSeen bounds the troubles told in words.
const troubleSeen = 5

// add counts a WorkflowTaskFailed or WorkflowTaskTimedOut event; dc (which may be
// nil) decodes a failure the worker's codec encrypted ("Encoded failure").
func (t *taskTrouble) add(e *historypb.HistoryEvent, dc converter.DataConverter) {
	when := fmt.Sprintf("event %d at %s", e.GetEventId(), e.GetEventTime().AsTime().Format("15:04:05.000"))
	switch e.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
		t.failed++
		a := e.GetWorkflowTaskFailedEventAttributes()
		t.seen = append(t.seen, fmt.Sprintf("%s failed (%s): %s", when, a.GetCause(), firstLine(failureMessage(a.GetFailure(), dc))))
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
		timeout := e.GetWorkflowTaskTimedOutEventAttributes().GetTimeoutType()
		if timeout == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START {
			t.stickyTimedOut++
			return
		}
		t.timedOut++
		t.seenTimedOut = append(t.seenTimedOut, fmt.Sprintf("%s timed out on the worker (%s)", when, timeout))
	}
	t.seen, t.seenTimedOut = t.seen[:min(len(t.seen), troubleSeen)], t.seenTimedOut[:min(len(t.seenTimedOut), troubleSeen)]
}

// failureMessage is a failure's message, decoded with dc when the worker's codec
// encrypted it.
func failureMessage(f *failurepb.Failure, dc converter.DataConverter) string {
	if f.GetEncodedAttributes() == nil || dc == nil {
		return f.GetMessage()
	}
	decoded := temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc}).FailureToError(f)
	return decoded.Error()
}

// told answers what was seen, failures first, at most troubleSeen.
func (t taskTrouble) told() []string {
	all := append(append([]string(nil), t.seen...), t.seenTimedOut...)
	return all[:min(len(all), troubleSeen)]
}

// failures are the tasks that failed or timed out on the worker.
func (t taskTrouble) failures() int { return t.failed + t.timedOut }

func (t taskTrouble) plus(o taskTrouble) taskTrouble {
	join := func(a, b []string) []string {
		all := append(append([]string(nil), a...), b...)
		return all[:min(len(all), troubleSeen)]
	}
	return taskTrouble{failed: t.failed + o.failed, timedOut: t.timedOut + o.timedOut, stickyTimedOut: t.stickyTimedOut + o.stickyTimedOut,
		seen: join(t.seen, o.seen), seenTimedOut: join(t.seenTimedOut, o.seenTimedOut)}
}

// of names the workflow in what was seen.
func (t taskTrouble) of(workflowID string) taskTrouble {
	name := func(list []string) []string {
		named := make([]string, len(list))
		for i, s := range list {
			named[i] = workflowID + " " + s
		}
		return named
	}
	t.seen, t.seenTimedOut = name(t.seen), name(t.seenTimedOut)
	return t
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
