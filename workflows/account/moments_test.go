package account

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// tell signals an incident's record to the Account at a workflow time.
func (l *ledger) tell(when time.Time, record api.IncidentMoments) {
	l.at(when, func() { l.env.SignalWorkflow(api.SignalIncidentMoments, record) })
}

// An incident opened at 23:50 JST on 30 November, acknowledged (late: its 30-minute
// clock breached) at 00:40 JST on 1 December, and closed on the 2nd: each event counts
// in the Tokyo month it happened in, the November one while the incident is still open.
func TestAccountCountsEachMomentInTheCustomersMonthAsItHappens(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)
	opened := time.Date(2026, 11, 30, 23, 50, 0, 0, tokyo)
	breached := opened.Add(30 * time.Minute) // 00:20 JST on 1 December, still 30 November in UTC
	acked := opened.Add(50 * time.Minute)
	verdict := opened.Add(10 * time.Hour)
	closed := opened.Add(26 * time.Hour)
	incident := "incident/acme/cybereason/malop-77"
	record := func(moments ...api.Moment) api.IncidentMoments {
		for i := range moments {
			moments[i].Severity = "high"
		}
		return api.IncidentMoments{Customer: "acme", Incident: incident, Run: "run-1", Vendor: "cybereason", OpenedAt: opened, Moments: moments}
	}
	in := api.Moment{Kind: api.MomentIn, At: opened, Since: opened.Add(-2 * time.Minute)}
	triaged := api.Moment{Kind: api.MomentTriaged, At: opened, Outcome: api.OutcomeHandled}
	breach := api.Moment{Kind: api.MomentClock, At: breached, Clock: api.ClockAck, State: api.SLABreached}
	ack := api.Moment{Kind: api.MomentAck, At: acked, Since: opened}
	tp := api.Moment{Kind: api.MomentVerdict, At: verdict, Since: opened, Verdict: api.VerdictTruePositive}

	start := opened.Add(-time.Hour).UTC()
	l := newLedger(t, start)
	l.tell(opened.Add(time.Second), record(in, triaged))
	novemberWhileOpen := l.performanceAt(opened.Add(time.Minute), "2026-11")
	l.tell(breached, record(in, triaged, breach))
	l.tell(acked, record(in, triaged, breach, ack))
	// A record sent again (a retry, a continued run) counts nothing twice.
	l.tell(acked.Add(time.Second), record(in, triaged, breach, ack))
	decemberWhileOpen := l.performanceAt(acked.Add(time.Minute), "2026-12")
	novemberReportWhileOpen := l.reportAt(acked.Add(time.Minute), "2026-11")
	done := record(in, triaged, breach, ack, tp)
	done.Concluded = &api.Conclusion{At: closed, State: api.StateResolved, Severity: "high", Billable: true}
	l.tell(closed, done)
	l.tell(closed.Add(time.Minute), done)
	november := l.reportAt(closed.Add(time.Hour), "2026-11")
	december := l.reportAt(closed.Add(time.Hour), "2026-12")
	in0 := accountInput()
	in0.Timezone = "Asia/Tokyo"
	l.runUntil(in0, closed.Add(2*time.Hour))

	nov := novemberWhileOpen.Month
	require.Equal(t, 1, nov.Funnel.AlertsIn, "the alert is in November from its first minute")
	require.Equal(t, 1, nov.Funnel.Handled)
	require.Equal(t, 1, nov.BySeverity["high"].AlertsIn)
	require.Equal(t, 1, nov.Durations[api.DurationIngest].Count)
	require.Empty(t, nov.Breaches, "the clock has not breached yet")

	dec := decemberWhileOpen.Month
	require.Zero(t, dec.Funnel.AlertsIn, "the alert came in in November")
	require.Equal(t, []api.Breach{{Incident: incident, Clock: api.ClockAck, Severity: "high", At: breached.UTC()}}, normalize(dec.Breaches),
		"the breach at 00:20 JST is December's, though it was still November in UTC")
	require.Equal(t, 1, dec.BySeverity["high"].BreachesByClock[api.ClockAck])
	require.Equal(t, 1, dec.Durations[api.DurationAck].Count, "counted once though told twice")
	require.InDelta(t, 3000, dec.Durations[api.DurationAck].MedianSeconds, 0.001)
	require.InDelta(t, 3000, dec.BySeverity["high"].Durations[api.DurationAck].MedianSeconds, 0.001)
	require.Equal(t, uint64(1), decemberWhileOpen.TimeToAck.Count)
	require.Equal(t, map[string]int{api.ClockAck: 1}, decemberWhileOpen.BreachTotals)

	require.Equal(t, 1, novemberReportWhileOpen.OpenAtEndCount, "open when November ended, and still open")
	require.Equal(t, incident, novemberReportWhileOpen.OpenAtEnd[0].Incident)
	require.True(t, novemberReportWhileOpen.OpenAtEnd[0].ClosedAt.IsZero())

	require.Equal(t, 1, november.Incidents)
	require.Equal(t, 1, november.Figures.Funnel.AlertsIn, "the report's figures are the managers' view's")
	require.Equal(t, 1, november.OpenAtEndCount, "it stays listed as open at November's end once it closed")
	require.True(t, closed.Equal(november.OpenAtEnd[0].ClosedAt))
	require.Zero(t, december.Incidents)
	require.Equal(t, 1, december.BillableResponses, "billed in the month it concluded")
	require.Equal(t, 1, december.Figures.Funnel.Confirmed)
	require.Equal(t, 1, december.SLA[api.ClockAck][api.SLABreached])
	require.Equal(t, 1, december.Figures.Durations[api.DurationResolve].Count)
	require.Equal(t, 1, december.Figures.Durations[api.DurationVerdict].Count)
	require.Zero(t, december.OpenAtEndCount)
}

func normalize(breaches []api.Breach) []api.Breach {
	for i := range breaches {
		breaches[i].At = breaches[i].At.UTC()
	}
	return breaches
}

// The months an Account counted before it counted live keep their figures: the first
// live run marks them, and neither recounts them nor loses them.
func TestAccountKeepsTheMonthsCountedBeforeItCountedLive(t *testing.T) {
	start := testworld.Day(2026, 5, 1)
	hour := func(n int) time.Time { return start.Add(time.Duration(n) * time.Hour) }
	old := newLedger(t, start)
	old.env.OnGetVersion(liveFiguresVersion, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	summary := testworld.Summary
	old.at(hour(1), func() { old.env.SignalWorkflow(api.SignalRecordIncident, summary) })
	old.at(hour(2), func() { old.env.SetContinueAsNewSuggested(true) })
	next := old.runUntilContinuedAsNew(accountInput(), hour(3))
	require.False(t, next.State.Live)
	before := *next.State.Months[summary.ClosedAt.Format("2006-01")]

	live := newLedger(t, hour(3))
	// The same summary again (an old incident's retry) counts nothing more.
	live.at(hour(4), func() { live.env.SignalWorkflow(api.SignalRecordIncident, summary) })
	p := live.performanceAt(hour(5), summary.ClosedAt.Format("2006-01"))
	live.at(hour(6), func() { live.env.SetContinueAsNewSuggested(true) })
	after := live.runUntilContinuedAsNew(next, hour(7))

	require.True(t, after.State.Live)
	month := after.State.Months[summary.ClosedAt.Format("2006-01")]
	require.True(t, month.CountedAtConclusion)
	require.Equal(t, before.Incidents, month.Incidents)
	require.Equal(t, before.Funnel, month.Funnel)
	require.True(t, p.Month.CountedAtConclusion, "the managers' view says how the month was counted")
	require.Equal(t, before.Funnel.AlertsIn, p.Month.Funnel.AlertsIn)
}

// Records many incidents told at the same moment arrive in one signal (a worker's
// batch): each counts as if told alone, and once, however often told.
func TestAccountCountsTheRecordsOfABatchAsIfToldAlone(t *testing.T) {
	start := testworld.Day(2026, 11, 2)
	merged := func(i int) api.IncidentMoments { return mergedWormRecord(start.Add(time.Hour), i) }
	l := newLedger(t, start)
	l.at(start.Add(time.Hour), func() {
		l.env.SignalWorkflow(api.SignalIncidentMomentsBatch, api.IncidentMomentsBatch{Records: []api.IncidentMoments{merged(1), merged(2), merged(3)}})
	})
	// A record told again, alone and in another batch (a retried local activity).
	l.tell(start.Add(2*time.Hour), merged(2))
	l.at(start.Add(3*time.Hour), func() {
		l.env.SignalWorkflow(api.SignalIncidentMomentsBatch, api.IncidentMomentsBatch{Records: []api.IncidentMoments{merged(3), merged(4)}})
	})
	p := l.performanceAt(start.Add(4*time.Hour), "2026-11")
	l.runUntil(accountInput(), start.Add(5*time.Hour))

	require.Equal(t, 4, p.Month.Funnel.AlertsIn, "four alerts, each counted once")
	require.Equal(t, 4, p.Month.BySeverity["high"].AlertsIn)
}

// A worker tells a batch by Update (tell_moments): each record counts as if told
// alone, once however often told, and a batch taken just before the Account
// continues as new is in the next run's ledger.
func TestAccountCountsABatchToldByUpdateAndCarriesItIntoTheNextRun(t *testing.T) {
	start := testworld.Day(2026, 11, 2)
	batch := func(is ...int) api.IncidentMomentsBatch {
		var b api.IncidentMomentsBatch
		for _, i := range is {
			b.Records = append(b.Records, mergedWormRecord(start.Add(time.Hour), i))
		}
		return b
	}
	l := newLedger(t, start)
	first := l.update(start.Add(time.Hour), api.UpdateIncidentMomentsBatch, "batch-1", batch(1, 2, 3))
	again := l.update(start.Add(2*time.Hour), api.UpdateIncidentMomentsBatch, "batch-2", batch(2, 3, 4))
	p := l.performanceAt(start.Add(3*time.Hour), "2026-11")
	last := l.update(start.Add(4*time.Hour), api.UpdateIncidentMomentsBatch, "batch-3", batch(5))
	l.at(start.Add(4*time.Hour+time.Second), func() { l.env.SetContinueAsNewSuggested(true) })
	next := l.runUntilContinuedAsNew(accountInput(), start.Add(5*time.Hour))

	for _, u := range []*accountUpdate{first, again, last} {
		require.NoError(t, u.rejected)
		require.True(t, u.completed)
		require.NoError(t, u.err)
	}
	require.Equal(t, 4, p.Month.Funnel.AlertsIn, "four alerts, each counted once")
	require.Equal(t, 5, next.State.Months["2026-11"].Funnel.AlertsIn, "the batch taken as the run ended is carried")
}

// mergedWormRecord is the one record of the i-th alert of a worm, merged at once.
func mergedWormRecord(at time.Time, i int) api.IncidentMoments {
	return api.IncidentMoments{Customer: "acme", Incident: fmt.Sprintf("incident/acme/cybereason/worm-%d", i), Run: "run-1", Vendor: "cybereason", OpenedAt: at,
		Moments: []api.Moment{
			{Kind: api.MomentIn, At: at, Since: at.Add(-time.Minute), Severity: "high"},
			{Kind: api.MomentTriaged, At: at, Outcome: api.OutcomeMerged, Severity: "high"},
		},
		Concluded: &api.Conclusion{At: at, State: api.StateMerged, Severity: "high"}}
}
