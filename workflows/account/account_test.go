package account

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations/messages"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// ledger is an Account under test: its time-skipping environment and every ticket
// notice it sent. Checks made while the Account runs are captured in delayed callbacks
// and asserted once the run is over, so that a failure never unwinds the env's loop.
type ledger struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	start time.Time
	// sendDelay is how long (workflow time) a notification activity takes.
	sendDelay time.Duration
	// failUntil fails every send of a channel before that workflow time.
	failUntil map[string]time.Time

	mu   sync.Mutex
	sent []sentNotice
}

// sentNotice is one notification activity that ran, and when (workflow time).
type sentNotice struct {
	at      time.Time
	channel string
	n       activities.Notification
}

func newLedger(t *testing.T, start time.Time) *ledger {
	t.Helper()
	env := testworld.NewTestEnv(start)
	env.RegisterWorkflowWithOptions(Account, workflow.RegisterOptions{Name: api.AccountWorkflowType})
	l := &ledger{t: t, env: env, start: start}
	acts := &activities.Activities{}
	env.RegisterActivity(acts)
	// The call channel is mocked too, so that a notice phoned by mistake shows up as
	// a "call" in l.sent instead of failing somewhere inside the real activity.
	for channel, fn := range map[string]any{"email": acts.SendEmail, "slack": acts.PostSlack, "sms": acts.SendSMS, "call": acts.PlaceCall} {
		env.OnActivity(fn, mock.Anything, mock.Anything).
			AfterFn(func() time.Duration { return l.sendDelay }).
			Return(func(_ context.Context, n activities.Notification) (activities.Delivery, error) {
				l.mu.Lock()
				defer l.mu.Unlock()
				if env.Now().Before(l.failUntil[channel]) {
					return activities.Delivery{}, temporal.NewNonRetryableApplicationError("550 mailbox unavailable", "SMTP", nil)
				}
				l.sent = append(l.sent, sentNotice{at: env.Now().UTC(), channel: channel, n: n})
				return activities.Delivery{Channel: channel}, nil
			}).Maybe()
	}
	return l
}

func lot(count int, purchased time.Time) config.Lot {
	return config.Lot{Count: count, Purchased: config.Date{Time: purchased}}
}

var testAccountNotify = api.AccountNotify{
	CustomerName: "ACME", Language: "ja",
	Contacts: []config.Contact{
		{Email: "csirt@acme.example"},
		{Slack: "#acme-csirt"},
		{Name: "CSIRT lead", Call: "+81300000009", SMS: "+81900000009"},
	},
}

func accountInput(lots ...config.Lot) Input {
	return Input{Customer: "acme", Plan: "per_response", IDs: 12000, Purchases: lots, Notify: testAccountNotify}
}

// at runs fn at a workflow time.
func (l *ledger) at(when time.Time, fn func()) {
	l.t.Helper()
	require.False(l.t, when.Before(l.start), "callback at %s is before the start %s", when, l.start)
	l.env.RegisterDelayedCallback(fn, when.Sub(l.start))
}

// accountUpdate is what became of one Update sent to the Account.
type accountUpdate struct {
	rejected  error
	err       error
	completed bool
	remaining int
}

// update sends an Update at a workflow time; the outcome is filled in as it comes.
func (l *ledger) update(when time.Time, name, id string, arg any) *accountUpdate {
	outcome := &accountUpdate{}
	l.at(when, func() {
		l.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { outcome.rejected = err },
			OnComplete: func(result any, err error) {
				outcome.err, outcome.completed = err, true
				if remaining, ok := result.(int); ok {
					outcome.remaining = remaining
				}
			},
		}, arg)
	})
	return outcome
}

func (l *ledger) consume(when time.Time, id string, r api.ConsumeRequest) *accountUpdate {
	return l.update(when, api.UpdateConsume, id, r)
}

// accepted fails the test unless the Update completed without error.
func (u *accountUpdate) accepted(t *testing.T, what string) {
	t.Helper()
	require.NoError(t, u.rejected, "%s: rejected", what)
	require.True(t, u.completed, "%s: never completed", what)
	require.NoError(t, u.err, "%s: failed", what)
}

func (l *ledger) signalPurchases(when time.Time, lots ...config.Lot) {
	l.at(when, func() { l.env.SignalWorkflow(api.SignalPurchases, lots) })
}

// balanceAt answers the `balance` query as it was at a workflow time.
func (l *ledger) balanceAt(when time.Time) *api.Balance {
	var b api.Balance
	l.at(when, func() {
		value, err := l.env.QueryWorkflow(api.QueryBalance)
		if assert.NoError(l.t, err, "balance at %s", when) {
			assert.NoError(l.t, value.Get(&b))
		}
	})
	return &b
}

// reportAt answers the `report` query of a month as it was at a workflow time.
func (l *ledger) reportAt(when time.Time, month string) *api.Report {
	var r api.Report
	l.at(when, func() {
		value, err := l.env.QueryWorkflow(api.QueryReport, month)
		if assert.NoError(l.t, err, "report %s at %s", month, when) {
			assert.NoError(l.t, value.Get(&r))
		}
	})
	return &r
}

// runUntil runs the Account and cancels it at end: it never ends by itself. It fails
// the test if the Account ended before (it must go on through refusals and expiries).
func (l *ledger) runUntil(in Input, end time.Time) {
	l.t.Helper()
	running := false
	l.at(end, func() {
		running = !l.env.IsWorkflowCompleted()
		l.env.CancelWorkflow()
	})
	l.env.ExecuteWorkflow(api.AccountWorkflowType, in)
	require.True(l.t, l.env.IsWorkflowCompleted())
	require.True(l.t, running, "the account ended before %s: %v", end, l.env.GetWorkflowError())
	var canceled *temporal.CanceledError
	require.ErrorAs(l.t, l.env.GetWorkflowError(), &canceled)
}

// runUntilContinuedAsNew runs the Account until it continues as new and answers the
// input of the next run.
func (l *ledger) runUntilContinuedAsNew(in Input, deadline time.Time) Input {
	l.t.Helper()
	l.at(deadline, func() { l.env.CancelWorkflow() })
	l.env.ExecuteWorkflow(api.AccountWorkflowType, in)
	require.True(l.t, l.env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.ErrorAs(l.t, l.env.GetWorkflowError(), &can, "the account did not continue as new before %s", deadline)
	require.Equal(l.t, api.AccountWorkflowType, can.WorkflowType.Name)
	var next Input
	require.NoError(l.t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	return next
}

func (l *ledger) notices() []sentNotice {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.sent)
}

func forensics(tickets int, requestID string) api.ConsumeRequest {
	return api.ConsumeRequest{Customer: "acme", Incident: "incident/acme/cybereason/malop-1", Service: "forensics",
		Tickets: tickets, By: "hanako", RequestID: requestID}
}

func lotView(purchased, expires string, count, used, expired, remaining int) api.LotView {
	exp, _ := time.Parse(time.DateOnly, expires)
	return api.LotView{Lot: purchased, Purchased: purchased, Expires: expires, Count: count, Used: used, Expired: expired, Remaining: remaining,
		ConvertibleUntil: exp.Add(api.ConvertibleAfterExpiry)}
}

func TestAccountLotExpiresMidYear(t *testing.T) {
	start := time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC)
	l := newLedger(t, start)
	early := l.consume(testworld.Day(2026, 6, 16), "c1", forensics(3, "r1"))
	// The last seconds of the old lot's year still take from it.
	lastSecond := l.consume(testworld.Day(2026, 12, 1).Add(-2*time.Second), "c2", forensics(1, "r2"))
	beforeExpiry := l.balanceAt(testworld.Day(2026, 12, 1).Add(-time.Second))
	afterExpiry := l.balanceAt(testworld.Day(2026, 12, 1).Add(time.Second))
	// The old lot's last ticket never counts again: 11 would be the balance had it carried over.
	beyond := l.consume(testworld.Day(2026, 12, 2), "c3", forensics(11, "r3"))
	late := l.consume(testworld.Day(2026, 12, 2).Add(time.Hour), "c4", forensics(2, "r4"))
	december := l.reportAt(testworld.Day(2026, 12, 3), "2026-12")
	june := l.reportAt(testworld.Day(2026, 12, 3), "2026-06")

	l.runUntil(accountInput(lot(5, testworld.Day(2025, 12, 1)), lot(10, testworld.Day(2026, 6, 1))), testworld.Day(2026, 12, 4))

	early.accepted(t, "consume before expiry")
	require.Equal(t, 12, early.remaining)
	lastSecond.accepted(t, "consume in the last second")
	require.Equal(t, 11, lastSecond.remaining)
	require.Equal(t, api.Balance{Remaining: 11, Lots: []api.LotView{
		lotView("2025-12-01", "2026-12-01", 5, 4, 0, 1),
		lotView("2026-06-01", "2027-06-01", 10, 0, 0, 10),
	}}, *beforeExpiry)
	require.Equal(t, api.Balance{Remaining: 10, Lots: []api.LotView{
		lotView("2025-12-01", "2026-12-01", 5, 4, 1, 0),
		lotView("2026-06-01", "2027-06-01", 10, 0, 0, 10),
	}}, *afterExpiry)
	require.ErrorContains(t, beyond.rejected, "asked 11, balance 10")
	late.accepted(t, "consume after expiry")
	require.Equal(t, 8, late.remaining)

	require.Len(t, june.Consumptions, 1)
	require.Equal(t, []string{"2025-12-01:3"}, june.Consumptions[0].Lots)
	require.Equal(t, 3, june.TicketsUsed)
	require.Len(t, december.Consumptions, 1, "the consumption of 2026-11-30 belongs to November")
	require.Equal(t, []string{"2026-06-01:2"}, december.Consumptions[0].Lots, "nothing is taken from the expired lot")
	require.Equal(t, 2, december.TicketsUsed)
	require.Equal(t, 1, december.TicketsExpired)
}

func TestAccountLotIsValidOneCalendarYear(t *testing.T) {
	// 2027-06-01 plus 365 days is 2028-05-31: a leap day lies in between.
	l := newLedger(t, testworld.Day(2027, 6, 2))
	balance := l.balanceAt(testworld.Day(2027, 6, 3))
	l.runUntil(accountInput(lot(1, testworld.Day(2025, 12, 1)), lot(1, testworld.Day(2027, 6, 1))), testworld.Day(2027, 6, 4))

	var expires []string
	for _, v := range balance.Lots {
		expires = append(expires, v.Purchased+" "+v.Expires)
	}
	require.Equal(t, []string{"2025-12-01 2026-12-01", "2027-06-01 2028-06-01"}, expires)
}

func TestAccountConsumesFromTheLotThatExpiresFirst(t *testing.T) {
	// The customers file lists lots in any order; the ledger keeps them by expiry.
	lots := []config.Lot{lot(10, testworld.Day(2026, 5, 1)), lot(4, testworld.Day(2026, 2, 1)), lot(6, testworld.Day(2026, 3, 1))}
	cases := []struct {
		name      string
		consume   []int
		lastTaken []string
		used      []int // per lot, by expiry
		remaining int
	}{
		{"within the first lot", []int{3}, []string{"2026-02-01:3"}, []int{3, 0, 0}, 17},
		{"spills into the next", []int{7}, []string{"2026-02-01:4", "2026-03-01:3"}, []int{4, 3, 0}, 13},
		{"spans every lot", []int{15}, []string{"2026-02-01:4", "2026-03-01:6", "2026-05-01:5"}, []int{4, 6, 5}, 5},
		{"one after another", []int{3, 3}, []string{"2026-02-01:1", "2026-03-01:2"}, []int{4, 2, 0}, 14},
		{"the whole balance", []int{20}, []string{"2026-02-01:4", "2026-03-01:6", "2026-05-01:10"}, []int{4, 6, 10}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := testworld.Day(2026, 6, 1)
			l := newLedger(t, start)
			var outcomes []*accountUpdate
			for i, n := range tc.consume {
				when := start.Add(time.Duration(i+1) * time.Hour)
				outcomes = append(outcomes, l.consume(when, fmt.Sprint("c", i), forensics(n, fmt.Sprint("r", i))))
			}
			balance := l.balanceAt(start.Add(12 * time.Hour))
			report := l.reportAt(start.Add(12*time.Hour), "2026-06")
			var raw map[string]any
			l.at(start.Add(12*time.Hour), func() {
				value, err := l.env.QueryWorkflow(api.QueryBalance)
				if assert.NoError(t, err) {
					assert.NoError(t, value.Get(&raw))
				}
			})
			l.runUntil(accountInput(lots...), start.Add(24*time.Hour))

			for i, o := range outcomes {
				o.accepted(t, fmt.Sprint("consume ", i))
			}
			require.Equal(t, tc.remaining, outcomes[len(outcomes)-1].remaining)
			require.Equal(t, tc.remaining, balance.Remaining)
			require.Len(t, balance.Lots, 3)
			for i, v := range balance.Lots {
				require.Equal(t, []string{"2026-02-01", "2026-03-01", "2026-05-01"}[i], v.Purchased, "lots by expiry")
				require.Equal(t, tc.used[i], v.Used, "used of lot %s", v.Purchased)
				require.Equal(t, v.Count-v.Used, v.Remaining, "remaining of lot %s", v.Purchased)
			}
			require.Len(t, report.Consumptions, len(tc.consume))
			last := report.Consumptions[len(report.Consumptions)-1]
			require.Equal(t, tc.lastTaken, last.Lots)
			require.Equal(t, "incident/acme/cybereason/malop-1", last.Incident)
			require.Equal(t, "hanako", last.By)

			// The shape the HTTP API and the Temporal UI show.
			require.ElementsMatch(t, []string{"remaining", "lots"}, keys(raw))
			first := raw["lots"].([]any)[0].(map[string]any)
			require.ElementsMatch(t, []string{"lot", "purchased", "expires", "count", "used", "converted", "expired", "remaining", "convertible_until"}, keys(first))
			require.Equal(t, "2027-02-01", first["expires"])
		})
	}
}

func keys(m map[string]any) []string {
	var list []string
	for k := range m {
		list = append(list, k)
	}
	return list
}

func TestAccountRefusesBeyondTheBalanceAndGoesOn(t *testing.T) {
	start := testworld.Day(2026, 6, 1)
	l := newLedger(t, start)
	hour := func(n int) time.Time { return start.Add(time.Duration(n) * time.Hour) }
	tooMany := l.consume(hour(1), "c1", forensics(6, "r1"))
	all := l.consume(hour(2), "c2", forensics(5, "r2"))
	empty := l.consume(hour(3), "c3", forensics(1, "r3"))
	invalid := []struct {
		request api.ConsumeRequest
		reason  string
	}{
		{api.ConsumeRequest{Service: "forensics", Tickets: 1}, `"by" is required`},
		{api.ConsumeRequest{By: "hanako", Tickets: 1}, `"service" is required`},
		{api.ConsumeRequest{By: "hanako", Service: "forensics"}, `"tickets" must be at least 1, got 0`},
		{api.ConsumeRequest{By: "hanako", Service: "forensics", Tickets: -2}, `"tickets" must be at least 1, got -2`},
	}
	var invalidOutcomes []*accountUpdate
	for i, c := range invalid {
		invalidOutcomes = append(invalidOutcomes, l.consume(hour(4+i), fmt.Sprint("invalid-", i), c.request))
	}
	balance := l.balanceAt(hour(10))
	report := l.reportAt(hour(10), "2026-06")

	l.runUntil(accountInput(lot(5, testworld.Day(2026, 5, 1))), hour(11))

	require.ErrorContains(t, tooMany.rejected, "not enough option tickets for customer acme: asked 6, balance 5")
	require.False(t, tooMany.completed, "a rejected Update is never run")
	all.accepted(t, "consume the whole balance")
	require.Equal(t, 0, all.remaining)
	require.ErrorContains(t, empty.rejected, "asked 1, balance 0")
	for i, c := range invalid {
		require.ErrorContains(t, invalidOutcomes[i].rejected, c.reason)
	}
	require.Equal(t, 0, balance.Remaining)
	require.Equal(t, 5, report.TicketsUsed, "refusals take nothing")
	require.Len(t, report.Consumptions, 1)
}

func TestAccountConsumesOnceUnderRetries(t *testing.T) {
	start := testworld.Day(2026, 6, 1)
	l := newLedger(t, start)
	hour := func(n int) time.Time { return start.Add(time.Duration(n) * time.Hour) }
	first := l.consume(hour(1), "update-1", forensics(5, "inc-1#run/tickets/3"))
	// The activity's retry: same Update id (Temporal itself answers it the first outcome).
	retried := l.consume(hour(2), "update-1", forensics(5, "inc-1#run/tickets/3"))
	// A re-delivered decision reaching the Account under another Update id: the request
	// id is what makes it the same; it is accepted although the balance is now 0.
	redelivered := l.consume(hour(3), "update-2", forensics(5, "inc-1#run/tickets/3"))
	other := l.consume(hour(4), "update-3", forensics(1, "inc-1#run/tickets/4"))
	balance := l.balanceAt(hour(5))
	report := l.reportAt(hour(5), "2026-06")

	l.runUntil(accountInput(lot(5, testworld.Day(2026, 5, 1))), hour(6))

	for what, u := range map[string]*accountUpdate{"first": first, "retried": retried, "redelivered": redelivered} {
		u.accepted(t, what)
		require.Equal(t, 0, u.remaining, what)
	}
	require.ErrorContains(t, other.rejected, "balance 0", "another request is a new consumption")
	require.Equal(t, 0, balance.Remaining)
	require.Equal(t, 5, balance.Lots[0].Used)
	require.Equal(t, 5, report.TicketsUsed)
	require.Len(t, report.Consumptions, 1)
}

// recordID is the Update id the RecordIncident activity gives a summary.
const recordID = "record/incident/acme/cybereason/malop-1/20260502T010000.000"

func TestAccountCarriesAppliedRequestsAcrossContinueAsNew(t *testing.T) {
	start := testworld.Day(2026, 5, 1)
	first := newLedger(t, start)
	hour := func(n int) time.Time { return start.Add(time.Duration(n) * time.Hour) }
	byActivity := first.consume(hour(1), "inc-1/tickets/1", forensics(2, "inc-1/tickets/1"))
	// From the Temporal UI: no request id, the Update id stands for it.
	fromUI := first.consume(hour(2), "ui-1", forensics(1, ""))
	recorded := first.update(hour(3), api.UpdateRecordIncident, recordID, testworld.Summary)
	// The test env runs a workflow task after each delayed callback, as the server
	// hands the suggestion over with a workflow task.
	first.at(hour(4), func() { first.env.SetContinueAsNewSuggested(true) })
	next := first.runUntilContinuedAsNew(accountInput(lot(3, testworld.Day(2026, 4, 1))), hour(5))

	byActivity.accepted(t, "consume by the activity")
	fromUI.accepted(t, "consume from the UI")
	recorded.accepted(t, "record incident")
	require.Equal(t, "acme", next.Customer)
	require.Equal(t, testAccountNotify, next.Notify)
	require.Equal(t, "per_response", next.State.Plan)
	require.Equal(t, 12000, next.State.IDs)
	require.Subset(t, next.State.Applied, []string{"inc-1/tickets/1", "ui-1", recordID})
	require.Len(t, next.State.Lots, 1)
	require.Equal(t, 3, next.State.Lots[0].Used)
	require.Equal(t, 1, next.State.Months["2026-05"].Incidents)
	require.Equal(t, 3, next.State.Months["2026-05"].TicketsUsed)

	// The next run: the same requests once more, as retries that outlived the first run.
	restart := hour(4)
	second := newLedger(t, restart)
	again := second.consume(restart.Add(time.Hour), "inc-1/tickets/1#retry", forensics(2, "inc-1/tickets/1"))
	fromUIAgain := second.consume(restart.Add(2*time.Hour), "ui-1", forensics(1, ""))
	recordedAgain := second.update(restart.Add(3*time.Hour), api.UpdateRecordIncident, recordID, testworld.Summary)
	balance := second.balanceAt(restart.Add(4 * time.Hour))
	report := second.reportAt(restart.Add(4*time.Hour), "2026-05")
	second.runUntil(next, restart.Add(5*time.Hour))

	again.accepted(t, "consume retried in the next run")
	fromUIAgain.accepted(t, "consume from the UI re-sent in the next run")
	recordedAgain.accepted(t, "record incident re-sent in the next run")
	require.Equal(t, 0, balance.Remaining)
	require.Equal(t, 3, balance.Lots[0].Used)
	require.Equal(t, 1, report.Incidents)
	require.Equal(t, 3, report.TicketsUsed)
	require.Len(t, report.Consumptions, 2)
}

func TestAccountKeepsPurchasesSignalledAsItContinuesAsNew(t *testing.T) {
	start := testworld.Day(2026, 5, 1)
	l := newLedger(t, start)
	// The signal and the suggestion reach the ledger in the same workflow task: the
	// signal is delivered without a task of its own, the suggestion comes with the next.
	l.at(start.Add(time.Hour), func() {
		l.env.SignalWorkflowSkippingWorkflowTask(api.SignalPurchases, []config.Lot{lot(3, testworld.Day(2026, 4, 1)), lot(7, testworld.Day(2026, 5, 1))})
	})
	l.at(start.Add(time.Hour+time.Second), func() { l.env.SetContinueAsNewSuggested(true) })
	next := l.runUntilContinuedAsNew(accountInput(lot(3, testworld.Day(2026, 4, 1))), start.Add(2*time.Hour))

	var counts []int
	for _, lot := range next.State.Lots {
		counts = append(counts, lot.Count)
	}
	require.Equal(t, []int{3, 7}, counts, "the lot signalled in the last task is carried over")
}

func TestAccountContinuesAsNewOnlyAfterItsNoticesAreSent(t *testing.T) {
	start := testworld.Day(2026, 10, 31)
	l := newLedger(t, start)
	l.sendDelay = 10 * time.Minute
	// The notice of the 2025-12-01 lot goes out on 2026-11-01; the history is long
	// while it is being sent.
	l.at(testworld.Day(2026, 11, 1).Add(time.Minute), func() { l.env.SetContinueAsNewSuggested(true) })
	next := l.runUntilContinuedAsNew(accountInput(lot(4, testworld.Day(2025, 12, 1))), testworld.Day(2026, 11, 2))

	require.True(t, next.State.Lots[0].NoticeSent)
	require.Len(t, l.notices(), 3, "every channel's notice was sent before the run ended")
}

// expectedNotice is one notice of a lot, sent to every channel but calls.
type expectedNotice struct {
	at     time.Time
	notice messages.TicketNotice
}

func TestAccountExpiryNotices(t *testing.T) {
	noticeDay, expiryDay := testworld.Day(2026, 11, 1), testworld.Day(2026, 12, 1)
	notice := func(count int) expectedNotice {
		return expectedNotice{noticeDay, messages.TicketNotice{Count: count, Purchased: "2025-12-01", Expires: "2026-12-01"}}
	}
	expired := func(count int) expectedNotice {
		return expectedNotice{expiryDay, messages.TicketNotice{Expired: true, Count: count, Purchased: "2025-12-01", Expires: "2026-12-01"}}
	}
	type use struct {
		at      time.Time
		tickets int
	}
	cases := []struct {
		name    string
		lots    []config.Lot
		uses    []use
		want    []expectedNotice
		expired int
	}{
		{"tickets left at notice and expiry", []config.Lot{lot(10, testworld.Day(2025, 12, 1))},
			[]use{{testworld.Day(2026, 6, 1), 4}}, []expectedNotice{notice(6), expired(6)}, 6},
		{"used up between notice and expiry", []config.Lot{lot(10, testworld.Day(2025, 12, 1))},
			[]use{{testworld.Day(2026, 6, 1), 4}, {testworld.Day(2026, 11, 15), 6}}, []expectedNotice{notice(6)}, 0},
		{"nothing left before the notice", []config.Lot{lot(10, testworld.Day(2025, 12, 1))},
			[]use{{testworld.Day(2026, 6, 1), 10}}, nil, 0},
		{"two lots bought the same day", []config.Lot{lot(3, testworld.Day(2025, 12, 1)), lot(2, testworld.Day(2025, 12, 1))},
			nil, []expectedNotice{notice(3), notice(2), expired(3), expired(2)}, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := testworld.Day(2026, 5, 1)
			l := newLedger(t, start)
			for i, u := range tc.uses {
				l.consume(u.at, fmt.Sprint("c", i), forensics(u.tickets, fmt.Sprint("r", i)))
			}
			report := l.reportAt(testworld.Day(2026, 12, 10), "2026-12")
			l.runUntil(accountInput(tc.lots...), testworld.Day(2026, 12, 15))

			// The notifications run concurrently: compare them as a set.
			type delivered struct {
				at      time.Time
				channel string
				notice  messages.TicketNotice
			}
			var want, got []delivered
			for _, w := range tc.want {
				for _, channel := range []string{"email", "slack", "sms"} {
					want = append(want, delivered{w.at, channel, w.notice})
				}
			}
			usedKeys := map[string]bool{}
			for _, s := range l.notices() {
				n := s.n
				require.Equal(t, activities.KindNotice, n.Kind)
				require.Equal(t, "acme", n.Customer)
				require.Equal(t, "ja", n.Language)
				require.Equal(t, "ACME", n.Incident.CustomerName)
				require.NotNil(t, n.Incident.Notice)
				require.Len(t, n.Contact.Channels(), 1, "one channel per notification")
				require.Equal(t, s.channel, n.Contact.Channels()[0].Name)
				require.False(t, usedKeys[n.Key], "key %s is used twice: the second would be taken for a retry of the first", n.Key)
				usedKeys[n.Key] = true
				got = append(got, delivered{s.at, s.channel, *n.Incident.Notice})
			}
			require.ElementsMatch(t, want, got, "every notice goes by email, Slack and SMS, never by phone")
			require.Equal(t, tc.expired, report.TicketsExpired)
		})
	}
}

func TestAccountMergesPurchases(t *testing.T) {
	start := testworld.Day(2026, 10, 1)
	l := newLedger(t, start)
	september, october := lot(10, testworld.Day(2026, 9, 1)), lot(5, testworld.Day(2026, 10, 1))
	steps := []struct {
		name   string
		lots   []config.Lot
		counts []int // of the ledger's lots, by expiry
	}{
		{"the config as at start", []config.Lot{september}, []int{10}},
		{"a new lot", []config.Lot{september, october}, []int{10, 5}},
		{"the same config again", []config.Lot{september, october}, []int{10, 5}},
		{"a second lot the same day", []config.Lot{september, september, october}, []int{10, 10, 5}},
		{"a lot left out of the file stays", []config.Lot{october}, []int{10, 10, 5}},
	}
	var balances []*api.Balance
	for i, step := range steps {
		when := start.Add(time.Duration(i+1) * time.Hour)
		l.signalPurchases(when, step.lots...)
		balances = append(balances, l.balanceAt(when.Add(time.Minute)))
	}
	// A lot bought last year, added late: its notice (2026-10-21) comes before anything
	// the ledger was waiting for, so it must cut that wait short.
	l.signalPurchases(testworld.Day(2026, 10, 2), lot(4, testworld.Day(2025, 11, 20)))

	l.runUntil(accountInput(september), testworld.Day(2026, 10, 25))

	for i, step := range steps {
		var counts []int
		for _, v := range balances[i].Lots {
			counts = append(counts, v.Count)
		}
		require.Equal(t, step.counts, counts, step.name)
	}
	sent := l.notices()
	require.Len(t, sent, 3)
	for _, s := range sent {
		require.Equal(t, testworld.Day(2026, 10, 21), s.at)
		require.Equal(t, messages.TicketNotice{Count: 4, Purchased: "2025-11-20", Expires: "2026-11-20"}, *s.n.Incident.Notice)
	}
}

func TestAccountMonthlyReport(t *testing.T) {
	start := testworld.Day(2026, 5, 1)
	l := newLedger(t, start)
	summary := func(incident, severity, state, verdict string, billable bool, closed time.Time, clocks map[string]string) api.IncidentSummary {
		s := testworld.Summary
		s.Incident, s.Severity, s.State, s.Verdict, s.Billable, s.Clocks = incident, severity, state, verdict, billable, clocks
		s.OpenedAt, s.ClosedAt = closed.Add(-time.Hour), closed
		return s
	}
	summaries := []struct {
		id string
		s  api.IncidentSummary
	}{
		{recordID, testworld.Summary},
		{"record/2", summary("incident/acme/withsecure/2", "medium", api.StateSuppressed, api.VerdictFalsePositive, false, testworld.Day(2026, 5, 10),
			map[string]string{"ack": api.SLAMet})},
		{"record/3", summary("incident/acme/cybereason/3", "critical", api.StateResolved, api.VerdictTruePositive, true, testworld.Day(2026, 5, 20),
			map[string]string{"ack": api.SLABreached, "verdict": api.SLAMet})},
		// Reported again (the activity retried): counts once.
		{recordID, testworld.Summary},
		// Concluded without a verdict, in June.
		{"record/4", summary("incident/acme/zscaler/4", "low", api.StateResolved, "", true, testworld.Day(2026, 6, 2),
			map[string]string{"ack": api.SLAMet})},
	}
	summaries[1].s.Rule = "R-7" // closed by a suppression rule
	var recorded []*accountUpdate
	for i, s := range summaries {
		recorded = append(recorded, l.update(s.s.ClosedAt.Add(time.Duration(i)*time.Minute), api.UpdateRecordIncident, s.id, s.s))
	}
	l.consume(testworld.Day(2026, 5, 5), "c1", forensics(2, "r1"))
	l.consume(testworld.Day(2026, 6, 3), "c2", forensics(1, "r2"))
	may := l.reportAt(testworld.Day(2026, 6, 10), "2026-05")
	june := l.reportAt(testworld.Day(2026, 6, 10), "2026-06")
	march := l.reportAt(testworld.Day(2026, 6, 10), "2026-03")
	var badMonth error
	l.at(testworld.Day(2026, 6, 10), func() { _, badMonth = l.env.QueryWorkflow(api.QueryReport, "May 2026") })

	// A lot of April, one bought in May and last year's lot, expiring in May.
	l.runUntil(accountInput(lot(20, testworld.Day(2026, 4, 1)), lot(5, testworld.Day(2026, 5, 10)), lot(3, testworld.Day(2025, 5, 20))), testworld.Day(2026, 6, 11))

	for i, u := range recorded {
		u.accepted(t, "record "+summaries[i].id)
	}
	require.Equal(t, "acme", may.Customer)
	require.Equal(t, "2026-05", may.Month)
	require.Equal(t, "per_response", may.Plan)
	require.Equal(t, 12000, may.ContractedIDs)
	require.Equal(t, 3, may.Incidents)
	require.Equal(t, 2, may.BillableResponses)
	require.Equal(t, 1, may.NotBillable)
	require.Equal(t, map[string]int{"high": 1, "medium": 1, "critical": 1}, may.BySeverity)
	require.Equal(t, map[string]int{api.VerdictTruePositive: 2, api.VerdictFalsePositive: 1}, may.ByVerdict)
	require.Equal(t, map[string]int{"R-7": 1}, may.ByRule, "suppressed alerts listed by their rule")
	require.Empty(t, june.ByRule)
	require.Equal(t, map[string]map[string]int{
		"ack":     {api.SLAMet: 2, api.SLABreached: 1},
		"verdict": {api.SLAMet: 2},
		"contain": {api.SLABreached: 1},
	}, may.SLA)
	require.Equal(t, 5, may.TicketsBought)
	require.Equal(t, 2, may.TicketsUsed)
	require.Equal(t, 1, may.TicketsExpired)
	require.Equal(t, 19+5, may.TicketsRemaining, "what is left now of the lots valid in May")
	require.Equal(t, []api.LotView{
		lotView("2025-05-20", "2026-05-20", 3, 2, 1, 0),
		lotView("2026-04-01", "2027-04-01", 20, 1, 0, 19),
		lotView("2026-05-10", "2027-05-10", 5, 0, 0, 5),
	}, may.Lots)
	require.Len(t, may.Consumptions, 1)
	require.Equal(t, []string{"2025-05-20:2"}, may.Consumptions[0].Lots, "last year's lot, valid until 2026-05-20, goes first")

	require.Equal(t, 1, june.Incidents)
	require.Equal(t, map[string]int{"none": 1}, june.ByVerdict)
	require.Equal(t, map[string]int{"low": 1}, june.BySeverity)
	require.Equal(t, 0, june.TicketsBought)
	require.Equal(t, 1, june.TicketsUsed)
	require.Len(t, june.Consumptions, 1)

	require.Zero(t, march.Incidents)
	require.Empty(t, march.BySeverity)
	require.NotNil(t, march.BySeverity, "an empty month answers empty maps, not null")
	require.Empty(t, march.Consumptions)

	require.Error(t, badMonth)
	require.Contains(t, badMonth.Error(), "want YYYY-MM")
}

func TestAccountRecordsActiveIDsBesideTheContract(t *testing.T) {
	start := testworld.Day(2026, 11, 20)
	l := newLedger(t, start)
	hour := func(n int) time.Time { return start.Add(time.Duration(n) * time.Hour) }
	first := l.update(hour(1), api.UpdateRecordActiveIDs, "active-1",
		api.ActiveIDs{Customer: "acme", Month: "2026-11", Counts: map[string]int{"cybereason": 180, "withsecure": 30}})
	// A later count of the same month (the report run again) replaces the first.
	recount := l.update(hour(2), api.UpdateRecordActiveIDs, "active-2",
		api.ActiveIDs{Customer: "acme", Month: "2026-11", Counts: map[string]int{"cybereason": 182, "withsecure": 30}})
	refusals := []struct {
		name string
		arg  api.ActiveIDs
		says string
	}{
		{"month not YYYY-MM", api.ActiveIDs{Month: "November", Counts: map[string]int{"cybereason": 1}}, "want YYYY-MM"},
		{"negative count", api.ActiveIDs{Month: "2026-11", Counts: map[string]int{"cybereason": -1}}, "cannot be negative"},
		{"unnamed vendor", api.ActiveIDs{Month: "2026-11", Counts: map[string]int{"": 3}}, "vendor name is empty"},
	}
	var refused []*accountUpdate
	for i, r := range refusals {
		refused = append(refused, l.update(hour(3), api.UpdateRecordActiveIDs, fmt.Sprintf("bad-%d", i), r.arg))
	}
	november := l.reportAt(hour(4), "2026-11")
	october := l.reportAt(hour(4), "2026-10")
	in := accountInput()
	in.Plan, in.IDs = "per_id", 200
	// The figures are carried into the next run with the rest of the months.
	l.at(hour(5), func() { l.env.SetContinueAsNewSuggested(true) })
	next := l.runUntilContinuedAsNew(in, hour(6))

	first.accepted(t, "first count")
	recount.accepted(t, "recount")
	for i, r := range refusals {
		require.Error(t, refused[i].rejected, r.name)
		require.Contains(t, refused[i].rejected.Error(), r.says, r.name)
		require.False(t, refused[i].completed, "%s: a refused count must not be applied", r.name)
	}
	require.Equal(t, "per_id", november.Plan)
	require.Equal(t, 200, november.ContractedIDs)
	require.Equal(t, map[string]int{"cybereason": 182, "withsecure": 30}, november.ActiveIDs)
	require.Equal(t, 212, november.ActiveTotal)
	require.Nil(t, october.ActiveIDs, "a month never counted has no active IDs")
	require.Zero(t, october.ActiveTotal)
	require.Equal(t, map[string]int{"cybereason": 182, "withsecure": 30}, next.State.Months["2026-11"].ActiveIDs)
}

var changedSettings = api.AccountSettings{Plan: "per_id", IDs: 300,
	Notify: api.AccountNotify{CustomerName: "ACME Corp", Language: "en", Contacts: []config.Contact{{Email: "billing@acme.example"}}}}

func TestAccountFollowsTheCustomersFile(t *testing.T) {
	start := testworld.Day(2026, 10, 1)
	l := newLedger(t, start)
	before := l.reportAt(start.Add(time.Hour), "2026-10")
	// The worker restarts with an edited customers file.
	l.at(testworld.Day(2026, 10, 2), func() { l.env.SignalWorkflow(api.SignalSettings, changedSettings) })
	after := l.reportAt(testworld.Day(2026, 10, 3), "2026-10")
	// The lot of 2025-12-01 has its expiry notice on 2026-11-01.
	l.runUntil(accountInput(lot(4, testworld.Day(2025, 12, 1))), testworld.Day(2026, 11, 2))

	require.Equal(t, "per_response", before.Plan)
	require.Equal(t, 12000, before.ContractedIDs)
	require.Equal(t, "per_id", after.Plan, "the plan of the file as it is now")
	require.Equal(t, 300, after.ContractedIDs)
	sent := l.notices()
	require.Len(t, sent, 1, "the notice goes to the contacts of the file as it is now, and only to them")
	n := sent[0].n
	require.Equal(t, "billing@acme.example", n.Contact.Email)
	require.Equal(t, "en", n.Language)
	require.Equal(t, "ACME Corp", n.Incident.CustomerName)
}

func TestAccountKeepsSettingsSignalledAsItContinuesAsNew(t *testing.T) {
	start := testworld.Day(2026, 5, 1)
	l := newLedger(t, start)
	// As with purchases: the signal and the suggestion reach the ledger in one task.
	l.at(start.Add(time.Hour), func() { l.env.SignalWorkflowSkippingWorkflowTask(api.SignalSettings, changedSettings) })
	l.at(start.Add(time.Hour+time.Second), func() { l.env.SetContinueAsNewSuggested(true) })
	next := l.runUntilContinuedAsNew(accountInput(lot(3, testworld.Day(2026, 4, 1))), start.Add(2*time.Hour))

	require.Equal(t, changedSettings.Notify, next.Notify, "the contacts signalled in the last task are carried over")
	require.Equal(t, "per_id", next.State.Plan)
	require.Equal(t, 300, next.State.IDs)
}

func TestAccountNoticeThatFailedIsSentLaterOnceToEachContact(t *testing.T) {
	noticeDay := testworld.Day(2026, 11, 1)
	// The mail server refuses the notice for a day and a half; Slack and SMS take it.
	failUntil := map[string]time.Time{"email": noticeDay.Add(36 * time.Hour)}
	first := newLedger(t, testworld.Day(2026, 10, 31))
	first.failUntil = failUntil
	first.at(noticeDay.Add(2*time.Hour), func() { first.env.SetContinueAsNewSuggested(true) })
	next := first.runUntilContinuedAsNew(accountInput(lot(4, testworld.Day(2025, 12, 1))), noticeDay.Add(3*time.Hour))

	channels := func(l *ledger) []string {
		var list []string
		for _, s := range l.notices() {
			list = append(list, s.channel)
		}
		return list
	}
	require.ElementsMatch(t, []string{"slack", "sms"}, channels(first))
	// Refused at 00:00 and at 01:00: the wait doubles, and the next try is carried over.
	require.False(t, next.State.Lots[0].NoticeSent, "a notice that did not reach everyone is not sent")
	require.Equal(t, 2, next.State.Lots[0].NoticeFailures)
	require.Equal(t, noticeDay.Add(3*time.Hour), next.State.Lots[0].NoticeRetryAt)

	// The next run goes on trying, 03:00, 07:00, 15:00, then 07:00 on the 2nd (the
	// wait is at most a day), and mails at 07:00 on the 3rd, the server being back.
	second := newLedger(t, noticeDay.Add(3*time.Hour))
	second.failUntil = failUntil
	second.at(testworld.Day(2026, 11, 4), func() { second.env.SetContinueAsNewSuggested(true) })
	last := second.runUntilContinuedAsNew(next, testworld.Day(2026, 11, 5))

	require.Equal(t, []string{"email"}, channels(second), "Slack and SMS, already told, are not told again")
	sent := second.notices()[0]
	require.Equal(t, testworld.Day(2026, 11, 3).Add(7*time.Hour), sent.at)
	require.Equal(t, "csirt@acme.example", sent.n.Contact.Email)
	require.Equal(t, messages.TicketNotice{Count: 4, Purchased: "2025-12-01", Expires: "2026-12-01"}, *sent.n.Incident.Notice)
	require.True(t, last.State.Lots[0].NoticeSent)
	require.Zero(t, last.State.Lots[0].NoticeFailures)
}

func TestAccountExpiryNoticeThatFailedIsSentLater(t *testing.T) {
	expiryDay := testworld.Day(2026, 12, 1)
	l := newLedger(t, expiryDay.Add(-time.Hour))
	l.failUntil = map[string]time.Time{"email": expiryDay.Add(time.Hour), "slack": expiryDay.Add(time.Hour), "sms": expiryDay.Add(time.Hour)}
	l.at(expiryDay.Add(5*time.Hour), func() { l.env.SetContinueAsNewSuggested(true) })
	// The notice 30 days before, due since 2026-11-01, is tried at once and refused;
	// at expiry it is moot, and the expiry notice takes its place.
	next := l.runUntilContinuedAsNew(accountInput(lot(4, testworld.Day(2025, 12, 1))), expiryDay.Add(6*time.Hour))

	var got []string
	for _, s := range l.notices() {
		require.True(t, s.n.Incident.Notice.Expired)
		require.Equal(t, expiryDay.Add(time.Hour), s.at, "tried again an hour after every channel refused it")
		got = append(got, s.channel)
	}
	require.ElementsMatch(t, []string{"email", "slack", "sms"}, got)
	require.False(t, next.State.Lots[0].ExpiryNoticeDue)
	require.Equal(t, 4, next.State.Months["2026-12"].TicketsExpired, "the expired tickets count once, however often the notice is tried")
}

func TestAccountBillingMonthIsTheCustomersMonth(t *testing.T) {
	// 2026-11-30T15:30Z is 2026-12-01 00:30 in Tokyo.
	closed := time.Date(2026, 11, 30, 15, 30, 0, 0, time.UTC)
	summary := testworld.Summary
	// Opened and concluded in the same month in either zone: each moment counts in its own month.
	summary.OpenedAt, summary.ClosedAt = closed.Add(-10*time.Minute), closed
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)
	cases := []struct {
		zone             string
		incidentMonth    string
		otherMonth       string
		start, end       time.Time
		lotTakenFrom     string
		novemberExpired  int
		decemberExpired  int
		novemberConsumed int
	}{
		{"UTC", "2026-11", "2026-12", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
			"2025-12-01:1", 0, 4, 1},
		// The lot bought 2025-12-01 ends at 00:00 on 2026-12-01 in Tokyo: 15:00Z.
		{"Asia/Tokyo", "2026-12", "2026-11", time.Date(2026, 11, 1, 0, 0, 0, 0, tokyo), time.Date(2026, 12, 1, 0, 0, 0, 0, tokyo),
			"2026-06-01:1", 0, 5, 0},
	}
	for _, tc := range cases {
		t.Run(tc.zone, func(t *testing.T) {
			start := closed.Add(-2 * time.Hour)
			l := newLedger(t, start)
			recorded := l.update(closed, api.UpdateRecordIncident, recordID, summary)
			consumed := l.consume(closed, "c1", forensics(1, "r1"))
			// Past the lot's end in both zones.
			november := l.reportAt(testworld.Day(2026, 12, 1).Add(time.Hour), "2026-11")
			december := l.reportAt(testworld.Day(2026, 12, 1).Add(time.Hour), "2026-12")
			in := accountInput(lot(5, testworld.Day(2025, 12, 1)), lot(10, testworld.Day(2026, 6, 1)))
			in.Timezone = tc.zone
			l.runUntil(in, testworld.Day(2026, 12, 1).Add(2*time.Hour))

			recorded.accepted(t, "record incident")
			consumed.accepted(t, "consume")
			reports := map[string]*api.Report{"2026-11": november, "2026-12": december}
			require.Equal(t, 1, reports[tc.incidentMonth].Incidents, "the incident counts in the customer's month")
			require.Zero(t, reports[tc.otherMonth].Incidents)
			require.Equal(t, tc.zone, november.Timezone)
			require.True(t, tc.start.Equal(november.Start) && tc.end.Equal(november.End), "November runs %s to %s", november.Start, november.End)
			require.Equal(t, tc.start.Format(time.RFC3339), november.Start.Format(time.RFC3339), "written with the zone's offset")
			require.Len(t, reports[tc.incidentMonth].Consumptions, 1)
			require.Equal(t, []string{tc.lotTakenFrom}, reports[tc.incidentMonth].Consumptions[0].Lots)
			require.Equal(t, tc.novemberConsumed, november.TicketsUsed)
			require.Equal(t, tc.novemberExpired, november.TicketsExpired)
			require.Equal(t, tc.decemberExpired, december.TicketsExpired, "a lot ending on the 1st expires in the customer's December")
		})
	}
}

// A storm's incidents report by signal (a workflow takes few Updates in flight); a
// summary signalled twice, or signalled and sent as an Update by an older worker,
// counts once, in this run and across continue-as-new.
func TestIncidentsSignalledCountOnceAcrossContinueAsNew(t *testing.T) {
	start := testworld.Day(2026, 5, 1)
	hour := func(n int) time.Time { return start.Add(time.Duration(n) * time.Hour) }
	require.Equal(t, recordID, summaryID(testworld.Summary), "the signal and the Update name a summary alike")
	first := newLedger(t, start)
	other := testworld.Summary
	other.Incident = "incident/acme/cybereason/malop-2"
	first.at(hour(1), func() { first.env.SignalWorkflow(api.SignalRecordIncident, testworld.Summary) })
	first.at(hour(1), func() { first.env.SignalWorkflow(api.SignalRecordIncident, other) })
	first.at(hour(2), func() { first.env.SignalWorkflow(api.SignalRecordIncident, testworld.Summary) })
	byUpdate := first.update(hour(2), api.UpdateRecordIncident, recordID, testworld.Summary)
	first.at(hour(3), func() { first.env.SetContinueAsNewSuggested(true) })
	next := first.runUntilContinuedAsNew(accountInput(), hour(4))

	byUpdate.accepted(t, "record incident by Update")
	require.Equal(t, 2, next.State.Months["2026-05"].Incidents)

	second := newLedger(t, hour(4))
	second.at(hour(5), func() { second.env.SignalWorkflow(api.SignalRecordIncident, other) })
	report := second.reportAt(hour(6), "2026-05")
	second.runUntil(next, hour(7))
	require.Equal(t, 2, report.Incidents, "a summary signalled again after continue-as-new counts once")
}
