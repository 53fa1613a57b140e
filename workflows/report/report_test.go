package report

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations/messages"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
	"xsoc/workflows/start"
)

// reportRun is a SendMonthlyReport under test, with every activity mocked: the
// vendors' count, the Account (which keeps what it is told) and the mail.
type reportRun struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment

	// countErrors fail the vendors' count, one per attempt, before it answers counts.
	countErrors []error
	counts      map[string]int
	// bounds are the Start and End the Account's report answers.
	bounds [2]time.Time
	// mailError fails every mail to this address.
	mailTo    string
	mailError error

	mu       sync.Mutex
	counted  int
	recorded []api.ActiveIDs
	read     []string // months read
	mailed   []activities.Notification
}

func newReportRun(t *testing.T, at time.Time) *reportRun {
	t.Helper()
	env := testworld.NewTestEnv(at)
	env.RegisterWorkflowWithOptions(SendMonthlyReport, workflow.RegisterOptions{Name: api.MonthlyReportWorkflowType})
	r := &reportRun{t: t, env: env, counts: map[string]int{"cybereason": 180, "withsecure": 30}}
	a, own := &activities.Activities{}, &start.Calls{}
	env.RegisterActivity(a)
	env.RegisterActivity(own)
	env.OnActivity(a.CountActiveEndpoints, mock.Anything, mock.Anything).Return(func(_ context.Context, customer string) (map[string]int, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.counted++
		if r.counted <= len(r.countErrors) {
			return nil, r.countErrors[r.counted-1]
		}
		return r.counts, nil
	}).Maybe()
	env.OnActivity(own.RecordActiveIDs, mock.Anything, mock.Anything).Return(func(_ context.Context, in api.ActiveIDs) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.recorded = append(r.recorded, in)
		return nil
	}).Maybe()
	env.OnActivity(own.ReadMonthlyReport, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, customer, month string) (api.Report, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.read = append(r.read, month)
			report := api.Report{Customer: customer, Month: month, Plan: "per_id", ContractedIDs: 200,
				Incidents: 3, BySeverity: map[string]int{"high": 2, "critical": 1},
				SLA:           map[string]map[string]int{"ack": {api.SLAMet: 2, api.SLABreached: 1}, "contain": {api.SLABreached: 1}},
				TicketsBought: 5, TicketsUsed: 2, TicketsRemaining: 23, Start: r.bounds[0], End: r.bounds[1]}
			for _, rec := range r.recorded {
				if rec.Month == month {
					report.ActiveIDs, report.ActiveTotal = rec.Counts, 0
					for _, n := range rec.Counts {
						report.ActiveTotal += n
					}
				}
			}
			return report, nil
		}).Maybe()
	env.OnActivity(a.SendEmail, mock.Anything, mock.Anything).Return(func(_ context.Context, n activities.Notification) (activities.Delivery, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if n.Contact.Email == r.mailTo && r.mailError != nil {
			return activities.Delivery{}, r.mailError
		}
		r.mailed = append(r.mailed, n)
		return activities.Delivery{Channel: "email", Address: n.Contact.Email}, nil
	}).Maybe()
	return r
}

var reportContacts = []config.Contact{
	{Email: "csirt@acme.example"},
	{Slack: "#acme-csirt"},
	{Email: "cfo@acme.example", Slack: "#acme-finance", Name: "CFO"},
	{Call: "+81300000009"},
}

func reportInput(plan string) api.MonthlyReportInput {
	return api.MonthlyReportInput{Customer: "acme", Plan: plan,
		Notify: api.AccountNotify{CustomerName: "ACME", Language: "ja", Contacts: reportContacts}}
}

// run runs the report as the schedule starts it: with the action's due time as a
// search attribute, unless due is zero (started by hand).
func (r *reportRun) run(in api.MonthlyReportInput, due time.Time) (api.Report, error) {
	r.t.Helper()
	if !due.IsZero() {
		require.NoError(r.t, r.env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(scheduledStartTime.ValueSet(due))))
	}
	r.env.ExecuteWorkflow(api.MonthlyReportWorkflowType, in)
	require.True(r.t, r.env.IsWorkflowCompleted())
	var report api.Report
	err := r.env.GetWorkflowError()
	if err == nil {
		require.NoError(r.t, r.env.GetWorkflowResult(&report))
	}
	return report, err
}

func TestMonthlyReportPerIDCountsRecordsAndMails(t *testing.T) {
	due := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r := newReportRun(t, due.Add(26*time.Hour)) // the worker was down until the 2nd
	report, err := r.run(reportInput("per_id"), due)
	require.NoError(t, err)

	require.Equal(t, 1, r.counted)
	require.Equal(t, []api.ActiveIDs{{Customer: "acme", Month: "2026-11", Counts: map[string]int{"cybereason": 180, "withsecure": 30}}}, r.recorded)
	require.Equal(t, []string{"2026-11"}, r.read, "the month before the action's due time, not before the start")
	require.Equal(t, 210, report.ActiveTotal)

	keys := map[string]string{}
	for _, n := range r.mailed {
		keys[n.Contact.Email] = n.Key
		require.Equal(t, activities.KindReport, n.Kind)
		require.Equal(t, "ja", n.Language)
		require.Equal(t, "acme", n.Customer)
		require.Empty(t, n.Contact.Slack, "one channel per notification")
		require.Equal(t, "ACME", n.Incident.CustomerName)
		require.Equal(t, &messages.MonthReport{
			Month: "2026-11", Plan: "per_id", ContractedIDs: 200,
			ActiveIDs: []messages.Tally{{Name: "cybereason", Count: 180}, {Name: "withsecure", Count: 30}}, ActiveTotal: 210,
			Incidents: 3, BySeverity: []messages.Tally{{Name: "critical", Count: 1}, {Name: "high", Count: 2}}, SLABreached: 2,
			TicketsBought: 5, TicketsUsed: 2, TicketsRemaining: 23,
		}, n.Incident.Report)
	}
	// Keys name the customer, month and contact, never the run: a second run of the
	// month mails nobody twice.
	require.Equal(t, map[string]string{
		"csirt@acme.example": "report/acme/2026-11/0/email",
		"cfo@acme.example":   "report/acme/2026-11/2/email",
	}, keys, "every email contact, and only them")
}

func TestMonthlyReportPerResponseLeavesTheVendorsAlone(t *testing.T) {
	due := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r := newReportRun(t, due)
	_, err := r.run(reportInput("per_response"), due)
	require.NoError(t, err)
	require.Zero(t, r.counted)
	require.Empty(t, r.recorded)
	require.Len(t, r.mailed, 2)
}

func TestMonthlyReportReportsTheMonthBeforeTheActionTime(t *testing.T) {
	cases := []struct {
		name       string
		start, due time.Time
		month      string
	}{
		{"on time", time.Date(2026, 12, 1, 0, 0, 5, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "2026-11"},
		{"caught up in the next month", time.Date(2027, 1, 3, 9, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "2026-11"},
		{"across the year", time.Date(2027, 1, 1, 0, 0, 1, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "2026-12"},
		{"started by hand", time.Date(2026, 12, 15, 10, 0, 0, 0, time.UTC), time.Time{}, "2026-11"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newReportRun(t, tc.start)
			_, err := r.run(reportInput("per_response"), tc.due)
			require.NoError(t, err)
			require.Equal(t, []string{tc.month}, r.read)
			for _, n := range r.mailed {
				require.Contains(t, n.Key, "/"+tc.month+"/")
			}
		})
	}
}

func TestMonthlyReportWaitsForVendorsThatAreDown(t *testing.T) {
	due := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r := newReportRun(t, due)
	down := temporal.NewApplicationError("customer acme: counting active endpoints on cybereason: HTTP 503", "VendorError")
	r.countErrors = []error{down, down}
	_, err := r.run(reportInput("per_id"), due)
	require.NoError(t, err)
	require.Equal(t, 3, r.counted)
	require.Len(t, r.recorded, 1)
	require.NotNil(t, r.mailed[0].Incident.Report.ActiveIDs)
}

func TestMonthlyReportGoesOutWithoutACountTheVendorsRefuse(t *testing.T) {
	due := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r := newReportRun(t, due)
	r.countErrors = []error{temporal.NewNonRetryableApplicationError("customer acme: cybereason count sensors: HTTP 403: no Sensor Viewer role", "VendorError", nil)}
	_, err := r.run(reportInput("per_id"), due)
	require.NoError(t, err)
	require.Equal(t, 1, r.counted)
	require.Empty(t, r.recorded)
	require.Len(t, r.mailed, 2)
	require.Nil(t, r.mailed[0].Incident.Report.ActiveIDs, "the mail says the count is missing")
}

func TestMonthlyReportFailsNamingWhomItDidNotReach(t *testing.T) {
	due := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r := newReportRun(t, due)
	r.mailTo, r.mailError = "cfo@acme.example", temporal.NewNonRetryableApplicationError("550 mailbox unavailable", "SMTP", nil)
	_, err := r.run(reportInput("per_response"), due)
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
	for _, want := range []string{"2026-11", "customer acme", "cfo@acme.example", "550 mailbox unavailable"} {
		require.Contains(t, err.Error(), want)
	}
	require.Len(t, r.mailed, 1, "the other contact still got the report")
	require.Equal(t, "csirt@acme.example", r.mailed[0].Contact.Email)
}

func TestMonthlyReportOfATokyoCustomerIsDueAtMidnightInTokyo(t *testing.T) {
	// The schedule fires at 2026-12-01 00:00 in Tokyo: 2026-11-30T15:00Z.
	due := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		zone  string
		month string
	}{"Asia/Tokyo": {"Asia/Tokyo", "2026-11"}, "UTC": {"", "2026-10"}} {
		t.Run(name, func(t *testing.T) {
			r := newReportRun(t, due.Add(time.Second))
			in := reportInput("per_response")
			in.Timezone = tc.zone
			_, err := r.run(in, due)
			require.NoError(t, err)
			require.Equal(t, []string{tc.month}, r.read, "the month before the 1st in the customer's zone")
		})
	}

	// The mail bounds the month as the Account does, in the customer's zone.
	r := newReportRun(t, due.Add(time.Second))
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, tokyo)
	r.bounds = [2]time.Time{start, start.AddDate(0, 1, 0)}
	in := reportInput("per_response")
	in.Timezone = "Asia/Tokyo"
	_, err = r.run(in, due)
	require.NoError(t, err)
	mailed := r.mailed[0].Incident.Report
	require.Equal(t, "2026-11-01T00:00:00+09:00", mailed.Start.Format(time.RFC3339))
	require.Equal(t, "2026-12-01T00:00:00+09:00", mailed.End.Format(time.RFC3339))
}
