package start

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"xsoc/config"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
	"xsoc/workflows/internal/testworld"
)

func TestReadMonthlyReportQueriesTheAccount(t *testing.T) {
	c := &mocks.Client{}
	value := &mocks.Value{}
	value.On("Get", mock.Anything).Run(func(args mock.Arguments) {
		*args.Get(0).(*api.Report) = api.Report{Customer: "acme", Month: "2026-11", Incidents: 3}
	}).Return(nil)
	c.On("QueryWorkflow", mock.Anything, "account/acme", "", "report", "2026-11").Return(value, nil)
	rules := &mocks.Value{}
	now := time.Now()
	rules.On("Get", mock.Anything).Run(func(args mock.Arguments) {
		*args.Get(0).(*[]api.Rule) = []api.Rule{
			{ID: "R-1", AddedAt: now.Add(-60 * 24 * time.Hour), Expires: now.Add(24 * time.Hour), LastHit: now.Add(-31 * 24 * time.Hour)},
			{ID: "R-2", AddedAt: now.Add(-60 * 24 * time.Hour), Expires: now.Add(24 * time.Hour), LastHit: now.Add(-time.Hour)},
			{ID: "R-3", AddedAt: now.Add(-40 * 24 * time.Hour), Expires: now.Add(24 * time.Hour)},
			{ID: "R-4", AddedAt: now.Add(-10 * 24 * time.Hour), Expires: now.Add(24 * time.Hour)},
			{ID: "R-5", AddedAt: now.Add(-60 * 24 * time.Hour), Expires: now.Add(24 * time.Hour), RetiredAt: now.Add(-35 * 24 * time.Hour)},
		}
	}).Return(nil)
	c.On("QueryWorkflow", mock.Anything, "tuning/acme", "", "rules").Return(rules, nil)
	report, err := (&Calls{Temporal: c}).ReadMonthlyReport(context.Background(), "acme", "2026-11")
	if err != nil || report.Incidents != 3 || report.Month != "2026-11" {
		t.Fatalf("ReadMonthlyReport = %+v, %v", report, err)
	}
	require.Equal(t, []string{"R-1", "R-3"}, report.IdleRules, "active rules without a hit in 30 days; a retired one is not flagged")
}

func TestReadMonthlyReportFailures(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		retryable bool
		says      []string
	}{
		{"refused by the account", serviceerror.NewQueryFailed(`month "2026-13": want YYYY-MM`), false,
			[]string{"customer acme", "2026-13", "want YYYY-MM"}},
		{"account not running", serviceerror.NewNotFound("workflow not found"), false, []string{"customer acme is not running"}},
		{"Temporal unreachable", serviceerror.NewUnavailable("connection refused"), true, []string{"connection refused"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &mocks.Client{}
			c.On("QueryWorkflow", mock.Anything, "account/acme", "", "report", "2026-13").Return(nil, tc.err)
			_, err := (&Calls{Temporal: c}).ReadMonthlyReport(context.Background(), "acme", "2026-13")
			var appErr *temporal.ApplicationError
			if final := errors.As(err, &appErr) && appErr.NonRetryable(); final == tc.retryable {
				t.Fatalf("error %v: final = %v, want %v", err, final, !tc.retryable)
			}
			for _, want := range tc.says {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// testCustomers is the customers file the account activities read.
var testCustomers = &config.Customers{Customers: []config.Customer{{
	ID: "acme", Name: "ACME", Language: "ja",
	Billing:       config.Billing{Plan: "per_id", IDs: 200, Tickets: []config.Lot{{Count: 5, Purchased: config.Date{Time: testworld.Day(2026, 4, 1)}}}},
	StatusUpdates: []config.Contact{{Email: "csirt@acme.example"}},
}}}

// expectAccountUpdate expects one Update-With-Start of acme's Account, started (if it
// is not running) from the customers file, and answers its handle.
func expectAccountUpdate(c *mocks.Client, update, updateID string, arg func(any) bool) *mocks.WorkflowUpdateHandle {
	c.On("NewWithStartWorkflowOperation", mock.MatchedBy(func(o client.StartWorkflowOptions) bool {
		return o.ID == "account/acme" && o.TaskQueue == api.TaskQueue && o.WorkflowIDConflictPolicy == enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	}), api.AccountWorkflowType, mock.MatchedBy(func(in api.AccountInput) bool {
		return in.Customer == "acme" && in.Plan == "per_id" && in.IDs == 200 && len(in.Purchases) == 1 &&
			in.Notify.CustomerName == "ACME" && in.Notify.Language == "ja" && in.Notify.Contacts[0].Email == "csirt@acme.example"
	})).Return(nil).Once()
	handle := &mocks.WorkflowUpdateHandle{}
	c.On("UpdateWithStartWorkflow", mock.Anything, mock.MatchedBy(func(o client.UpdateWithStartWorkflowOptions) bool {
		u := o.UpdateOptions
		return u.WorkflowID == "account/acme" && u.UpdateName == update && u.UpdateID == updateID && len(u.Args) == 1 && arg(u.Args[0]) &&
			u.WaitForStage == client.WorkflowUpdateStageCompleted
	})).Return(handle, nil).Once()
	return handle
}

// runActivity runs one activity as a worker would, so that it sees its activity context.
func runActivity(t *testing.T, a *Calls, activity any, args ...any) error {
	t.Helper()
	env := (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	env.RegisterActivity(a)
	_, err := env.ExecuteActivity(activity, args...)
	return err
}

func TestRecordActiveIDsUpdatesTheAccount(t *testing.T) {
	c := &mocks.Client{}
	in := api.ActiveIDs{Customer: "acme", Month: "2026-11", Counts: map[string]int{"cybereason": 180}}
	handle := expectAccountUpdate(c, "record_active_ids", "active-ids/2026-11/default-test-run-id",
		func(arg any) bool { return arg.(api.ActiveIDs).Counts["cybereason"] == 180 })
	handle.On("Get", mock.Anything, nil).Return(nil)
	a := &Calls{Temporal: c, Customers: testCustomers}
	if err := runActivity(t, a, a.RecordActiveIDs, in); err != nil {
		t.Fatal(err)
	}
	c.AssertExpectations(t)
}

func TestRecordIncidentStartsAnAccountThatIsNotRunning(t *testing.T) {
	c := &mocks.Client{}
	c.On("SignalWithStartWorkflow", mock.Anything, "account/acme", "record_incident",
		mock.MatchedBy(func(arg any) bool { return arg.(api.IncidentSummary).Incident == testworld.Summary.Incident }),
		mock.MatchedBy(func(o client.StartWorkflowOptions) bool {
			return o.ID == "account/acme" && o.WorkflowIDConflictPolicy == enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
		}),
		api.AccountWorkflowType, mock.MatchedBy(func(in api.AccountInput) bool { return in.Customer == "acme" }),
	).Return(&mocks.WorkflowRun{}, nil).Once()
	a := &Calls{Temporal: c, Customers: testCustomers}
	if err := runActivity(t, a, a.RecordIncident, testworld.Summary); err != nil {
		t.Fatal(err)
	}
	c.AssertExpectations(t)
}

func TestAccountUpdateFailures(t *testing.T) {
	cases := []struct {
		name      string
		customer  string
		err       error // of the Update
		retryable bool
		says      []string
	}{
		{"customer gone from the file", "initech", nil, false, []string{"customer initech is not in the customers file"}},
		{"refused by the account", "acme", temporal.NewApplicationError("not enough option tickets for customer acme: asked 6, balance 5", "BeyondBalance"),
			false, []string{"asked 6, balance 5"}},
		{"Temporal unreachable", "acme", serviceerror.NewUnavailable("connection refused"), true, []string{"connection refused"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &mocks.Client{}
			request := api.ConsumeRequest{Customer: tc.customer, Incident: "incident/acme/generic/1", Service: "forensics", Tickets: 6, By: "hanako", RequestID: "r1"}
			if tc.customer == "acme" {
				handle := expectAccountUpdate(c, "consume", "r1", func(any) bool { return true })
				handle.On("Get", mock.Anything, mock.Anything).Return(tc.err)
			}
			a := &Calls{Temporal: c, Customers: testCustomers}
			err := runActivity(t, a, a.ConsumeTickets, request)
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) && !tc.retryable {
				t.Fatalf("error %v is not an application error", err)
			}
			if final := appErr != nil && appErr.NonRetryable(); final == tc.retryable {
				t.Fatalf("error %v: final = %v, want %v", err, final, !tc.retryable)
			}
			for _, want := range tc.says {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v does not say %q", err, want)
				}
			}
			c.AssertExpectations(t)
		})
	}
}

// recordingIncident runs RecordIncident as an incident does, with RecordIncidentOptions.
func recordingIncident(ctx workflow.Context, s api.IncidentSummary) error {
	var a *Calls
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.RecordIncidentOptions), a.RecordIncident, s).Get(ctx, nil)
}

func TestRecordIncidentOutlastsALongAccountOutage(t *testing.T) {
	start, outage := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC), 20*time.Minute
	env := testworld.NewTestEnv(start)
	env.RegisterWorkflow(recordingIncident)
	a := &Calls{}
	env.RegisterActivity(a)
	var attempts []time.Time
	env.OnActivity(a.RecordIncident, mock.Anything, mock.Anything).Return(func(context.Context, api.IncidentSummary) error {
		attempts = append(attempts, env.Now())
		// The Account cannot be reached for 20 minutes: four times what an incident
		// used to wait before giving its billing up.
		if env.Now().Before(start.Add(outage)) {
			return serviceerror.NewUnavailable("connection refused")
		}
		return nil
	})
	env.ExecuteWorkflow(recordingIncident, testworld.Summary)

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError(), "the incident is counted once the Account answers again")
	last := attempts[len(attempts)-1]
	require.False(t, last.Before(start.Add(outage)))
	for i := 1; i < len(attempts); i++ {
		require.LessOrEqual(t, attempts[i].Sub(attempts[i-1]), 10*time.Minute+time.Second, "attempt %d", i)
	}
	// The test environment stops unlimited retries at 10 attempts; a worker does not.
	require.Zero(t, casework.RecordIncidentOptions.ScheduleToCloseTimeout, "no deadline: a billable incident is counted whatever the outage")
	require.Zero(t, casework.RecordIncidentOptions.RetryPolicy.MaximumAttempts)
}

func TestSOCNoticesGoToTheNoticesElseTheFirstStepsOfTheHighChain(t *testing.T) {
	soc := &config.SOC{Name: "X-SOC", Language: "ja", Timezone: "Asia/Tokyo", Escalation: map[string][]config.Step{
		"critical": {{Contact: config.Contact{Slack: "#soc-urgent"}}},
		"high": {{After: config.Duration(5 * time.Minute), Contact: config.Contact{Call: "+81300009999"}},
			{Contact: config.Contact{Slack: "#soc-triage"}}, {Contact: config.Contact{Email: "soc@xsoc.example"}}},
	}}
	customers := &config.Customers{Customers: testCustomers.Customers, SOC: soc}
	a := &Calls{Customers: customers}
	got, err := a.SOCNoticesFor(context.Background(), "acme")
	require.NoError(t, err)
	require.Equal(t, api.SOCNotices{CustomerName: "ACME", Language: "ja", Timezone: "Asia/Tokyo",
		Contacts: []config.Contact{{Slack: "#soc-triage"}, {Email: "soc@xsoc.example"}}}, got, "the high chain's first steps")

	soc.Notices = []config.Contact{{Email: "soc-lead@xsoc.example"}}
	got, err = a.SOCNoticesFor(context.Background(), "acme")
	require.NoError(t, err)
	require.Equal(t, soc.Notices, got.Contacts, "the soc: block's notices, when it names them")

	got, err = (&Calls{Customers: testCustomers}).SOCNoticesFor(context.Background(), "acme")
	require.NoError(t, err)
	require.Empty(t, got.Contacts, "no soc: block, nobody to tell: the poller logs")
}
