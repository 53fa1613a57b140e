package tests

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"xsoc/workflows/api"
)

// TestMonthlyReportScheduleMailsTheMonthBefore finds the report schedule the worker
// made for acme, due at 00:00 UTC on the 1st, then triggers it as an operator would
// and waits for the report of the month before in the CSIRT's mailbox.
func TestMonthlyReportScheduleMailsTheMonthBefore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	handle := xsoc.Temporal.ScheduleClient().GetHandle(ctx, api.ReportScheduleID("acme"))
	var schedule *client.ScheduleDescription
	eventually(t, 20*time.Second, "the schedule report/acme", func() error {
		var err error
		schedule, err = handle.Describe(ctx)
		return err
	})

	action, ok := schedule.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok {
		t.Fatalf("the schedule's action is %T, not a workflow", schedule.Schedule.Action)
	}
	if action.Workflow != api.MonthlyReportWorkflowType || action.TaskQueue != api.TaskQueue {
		t.Errorf("the schedule starts %v on %q, want %s on %s", action.Workflow, action.TaskQueue, api.MonthlyReportWorkflowType, api.TaskQueue)
	}
	if overlap := schedule.Schedule.Policy.Overlap; overlap != enumspb.SCHEDULE_OVERLAP_POLICY_SKIP {
		t.Errorf("overlap policy %v, want skip", overlap)
	}
	if len(schedule.Info.NextActionTimes) == 0 {
		t.Fatal("the schedule has no next action")
	}
	for _, next := range schedule.Info.NextActionTimes {
		next = next.UTC()
		if next.Day() != 1 || next.Hour() != 0 || next.Minute() != 0 || !next.After(time.Now()) {
			t.Errorf("next action at %s, want 00:00 UTC on a coming 1st", next)
		}
	}

	if err := handle.Trigger(ctx, client.ScheduleTriggerOptions{Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL}); err != nil {
		t.Fatalf("triggering the schedule: %v", err)
	}
	now := time.Now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format("2006-01")
	waitMail(t, "csirt@acme.example", fmt.Sprintf("monthly report %s", month))
}

// TestReportScheduleOfEveryCustomer: one schedule per configured customer, named
// after it, and none for a customer that is not configured.
func TestReportScheduleOfEveryCustomer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, customer := range []string{"acme", "globex"} {
		eventually(t, 20*time.Second, "the schedule of "+customer, func() error {
			_, err := xsoc.Temporal.ScheduleClient().GetHandle(ctx, api.ReportScheduleID(customer)).Describe(ctx)
			return err
		})
	}
	_, err := xsoc.Temporal.ScheduleClient().GetHandle(ctx, api.ReportScheduleID("initech")).Describe(ctx)
	if err == nil {
		t.Fatal("a schedule exists for initech, which is not configured")
	}
	var notFound *serviceerror.NotFound
	if !errors.As(err, &notFound) {
		t.Fatalf("describing a missing schedule: %v, want not found", err)
	}
}
