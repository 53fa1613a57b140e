package soc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
	"xsoc/workflows/start"
)

// stalledTriageQueue is a task queue no worker polls: a Triage started there takes
// signals and Updates and answers none, as a triage minutes behind a worm does.
const stalledTriageQueue = "xsoc-test-stalled-triage"

// A triage that answers after the minute (busy with a worm) is waited for: the alert
// joins the incident triage names, pages nobody, and is not made an incident of its
// own, however late the answer. Seen in a 20,000-alert worm: 3,960 alerts whose answer
// came after the minute became incidents of their own.
//
// Tyrell's Triage is replaced by one no worker runs; the test plays it, answering
// the alert's question by Signal after the minute. With XSOC_RECORD_HISTORIES set
// (the repository's workflows/ directory), the alert's history is recorded for the
// incident's replay test.
func TestAlertWaitsForABusyTriageBeyondTheMinute(t *testing.T) {
	t.Parallel()
	stamp := time.Now().UnixNano() % 1_000_000
	host := fmt.Sprintf("tyr-pc-%d", stamp)
	owner := postAlert(t, "tyrell", alert(fmt.Sprintf("tyr-own-%d", stamp), "Unusual logon", "high", host))
	waitTriaged(t, owner)
	stallTriage(t, "tyrell")

	late := postAlert(t, "tyrell", alert(fmt.Sprintf("tyr-late-%d", stamp), "Credential access", "high", host))
	eventually(t, 30*time.Second, "the alert asked the busy triage again by signal", func() error {
		if !timelineSays(status(t, late), "is busy") {
			return fmt.Errorf("timeline %v", status(t, late).Timeline)
		}
		return nil
	})
	time.Sleep(casework.TriageTimeout + 5*time.Second - time.Since(status(t, late).OpenedAt))
	s := status(t, late)
	if s.State != api.StateNew || len(s.Paged) > 0 {
		t.Fatalf("after the minute without triage's answer the alert is %s, paged %d times: %v", s.State, len(s.Paged), s.Timeline)
	}

	description, err := e2e.Describe(context.Background(), xsoc.Temporal, late, "")
	if err != nil {
		t.Fatal(err)
	}
	run := description.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	// As the worker that asked signals it: to the run that asked, naming the question.
	answer := api.TriageAnswer{Decision: api.TriageMerged, Parent: owner, Why: "host " + host + " has an open incident: the alert joins " + owner,
		Asked: start.AdmitUpdateID(api.Admission{Incident: late, Run: run})}
	if err := xsoc.Temporal.SignalWorkflow(context.Background(), late, run, api.SignalTriaged, answer); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the late alert merged into its owner", func() error {
		if s := status(t, late); s.State != api.StateMerged || s.Parent != owner {
			return fmt.Errorf("state %s, parent %q", s.State, s.Parent)
		}
		return nil
	})
	if s := status(t, late); len(s.Paged) > 0 {
		t.Fatalf("the late alert paged %d times", len(s.Paged))
	}
	if n := status(t, owner).JoinedCount; n != 1 {
		t.Fatalf("the owner holds %d joined alerts, want 1", n)
	}
	if dir := os.Getenv("XSOC_RECORD_HISTORIES"); dir != "" {
		waitClosed(t, late)
		record(t, filepath.Join(dir, "incident"), late, func(v devstack.Versions) string {
			return e2e.IncidentHistoryName(v, "busy_triage_answered_by_signal")
		})
	}
}

// stallTriage replaces the customer's Triage by one on a task queue no worker polls,
// for the rest of the stack's life: signals and Updates reach it and are never
// answered.
func stallTriage(t *testing.T, customer string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id := api.TriageWorkflowID(customer)
	if err := xsoc.Temporal.TerminateWorkflow(ctx, id, "", "test: triage stalled"); err != nil {
		t.Fatal(err)
	}
	if _, err := xsoc.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: stalledTriageQueue},
		api.TriageWorkflowType, api.TriageInput{Customer: customer}); err != nil {
		t.Fatal(err)
	}
}

func timelineSays(s api.IncidentStatus, text string) bool {
	for _, e := range s.Timeline {
		if strings.Contains(e.Text, text) {
			return true
		}
	}
	return false
}
