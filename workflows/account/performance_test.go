package account

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// performanceAt answers the `performance` query of a month as it was at a workflow time.
func (l *ledger) performanceAt(when time.Time, month string) *api.Performance {
	var p api.Performance
	l.at(when, func() {
		value, err := l.env.QueryWorkflow(api.QueryPerformance, month)
		if assert.NoError(l.t, err, "performance %s at %s", month, when) {
			assert.NoError(l.t, value.Get(&p))
		}
	})
	return &p
}

func TestAccountPerformanceFunnelDurationsBreachesAndTrend(t *testing.T) {
	start := testworld.Day(2026, 4, 1)
	l := newLedger(t, start)
	opened := time.Date(2026, 5, 10, 9, 0, 0, 0, time.UTC)
	after := func(d time.Duration) time.Time { return opened.Add(d) }
	summary := func(id string, edit func(*api.IncidentSummary)) api.IncidentSummary {
		s := api.IncidentSummary{Customer: "acme", Incident: "incident/acme/cybereason/" + id, Vendor: "cybereason", Severity: "high",
			State: api.StateResolved, OpenedAt: opened, ClosedAt: after(time.Hour), DetectedAt: opened.Add(-30 * time.Second),
			Clocks: map[string]string{api.ClockAck: api.SLAMet, api.ClockVerdict: api.SLAMet}}
		edit(&s)
		return s
	}
	summaries := []api.IncidentSummary{
		// Confirmed, contained, the customer phoned.
		summary("tp", func(s *api.IncidentSummary) {
			s.Verdict, s.AcknowledgedAt, s.VerdictAt, s.ContainedAt = api.VerdictTruePositive, after(2*time.Minute), after(10*time.Minute), after(20*time.Minute)
			s.CustomerPaged, s.CustomerCalled = true, true
			s.Clocks[api.ClockContain] = api.SLAMet
		}),
		// A false positive acknowledged late: the ack clock breached.
		summary("fp", func(s *api.IncidentSummary) {
			s.Verdict, s.AcknowledgedAt, s.VerdictAt, s.ClosedAt = api.VerdictFalsePositive, after(8*time.Minute), after(30*time.Minute), after(40*time.Minute)
			s.Clocks[api.ClockAck] = api.SLABreached
			s.BreachedAt = map[string]time.Time{api.ClockAck: after(5 * time.Minute)}
			s.CustomerPaged = true
		}),
		// Closed by a rule: counted in, never among the handled durations.
		summary("sup", func(s *api.IncidentSummary) {
			s.State, s.Verdict, s.Rule, s.VerdictAt, s.ClosedAt = api.StateSuppressed, api.VerdictFalsePositive, "rule-7", opened, opened
		}),
		// Merged into another incident.
		summary("merged", func(s *api.IncidentSummary) {
			s.State, s.Parent, s.ClosedAt = api.StateMerged, "incident/acme/cybereason/tp", after(time.Minute)
		}),
		// A campaign: handled, but no alert of its own.
		summary("campaign", func(s *api.IncidentSummary) {
			s.Vendor, s.Incident, s.AcknowledgedAt, s.DetectedAt = api.CampaignVendor, "incident/acme/campaign/c1", after(4*time.Minute), time.Time{}
		}),
	}
	var recorded []*accountUpdate
	for i, s := range summaries {
		recorded = append(recorded, l.update(s.ClosedAt.Add(time.Duration(i)*time.Second), api.UpdateRecordIncident, "record/"+s.Incident, s))
	}
	// The first summary once more (a retried activity): counted once.
	recorded = append(recorded, l.update(after(2*time.Hour), api.UpdateRecordIncident, "record/"+summaries[0].Incident, summaries[0]))
	// April: one incident, acknowledged in a minute.
	april := summary("april", func(s *api.IncidentSummary) {
		s.OpenedAt, s.AcknowledgedAt, s.ClosedAt = testworld.Day(2026, 4, 3), testworld.Day(2026, 4, 3).Add(time.Minute), testworld.Day(2026, 4, 3).Add(time.Hour)
	})
	recorded = append(recorded, l.update(april.ClosedAt, api.UpdateRecordIncident, "record/april", april))
	may := l.performanceAt(testworld.Day(2026, 5, 20), "2026-05")
	var badMonth error
	l.at(testworld.Day(2026, 5, 20), func() { _, badMonth = l.env.QueryWorkflow(api.QueryPerformance, "May") })
	l.runUntil(accountInput(lot(5, testworld.Day(2026, 4, 1))), testworld.Day(2026, 5, 21))

	for i, u := range recorded {
		u.accepted(t, fmt.Sprintf("record %d", i))
	}
	require.Equal(t, "2026-05", may.Month.Month)
	require.Equal(t, 5, may.Month.Incidents)
	require.Equal(t, api.Funnel{AlertsIn: 4, Suppressed: 1, Merged: 1, Handled: 3, Confirmed: 1, CustomerPaged: 2, CustomerCalled: 1}, may.Month.Funnel)
	require.Equal(t, map[string]int{"rule-7": 1}, may.Month.RuleHits)
	require.Equal(t, map[string]int{api.ClockAck: 1}, may.Month.BreachesByClock)
	require.Equal(t, []api.Breach{{Incident: "incident/acme/cybereason/fp", Clock: api.ClockAck, Severity: "high", At: after(5 * time.Minute)}}, may.Month.Breaches)
	// Handled acks: 2m, 8m, 4m → median 4m, p90 8m (nearest rank).
	require.Equal(t, api.Quantiles{Count: 3, Sampled: 3, MedianSeconds: 240, P90Seconds: 480}, may.Month.Durations[api.DurationAck])
	require.Equal(t, api.Quantiles{Count: 2, Sampled: 2, MedianSeconds: 600, P90Seconds: 1800}, may.Month.Durations[api.DurationVerdict])
	require.Equal(t, api.Quantiles{Count: 1, Sampled: 1, MedianSeconds: 1200, P90Seconds: 1200}, may.Month.Durations[api.DurationContain])
	require.Equal(t, api.Quantiles{Count: 3, Sampled: 3, MedianSeconds: 3600, P90Seconds: 3600}, may.Month.Durations[api.DurationResolve])
	// Every alert, suppressed and merged too, but not the campaign.
	require.Equal(t, api.Quantiles{Count: 4, Sampled: 4, MedianSeconds: 30, P90Seconds: 30}, may.Month.Durations[api.DurationIngest])

	require.Len(t, may.Trend, api.TrendMonths)
	var months []string
	for _, m := range may.Trend {
		months = append(months, m.Month)
	}
	require.Equal(t, []string{"2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05"}, months)
	require.Equal(t, 60.0, may.Trend[4].Durations[api.DurationAck].MedianSeconds)
	require.Equal(t, may.Month.Durations, may.Trend[5].Durations)
	require.Nil(t, may.Trend[5].Breaches, "the trend leaves the breach lists out")

	// The lifetime histogram: 1m, 2m, 4m, 8m.
	require.Equal(t, uint64(4), may.TimeToAck.Count)
	require.Equal(t, 15*60.0, may.TimeToAck.SumSeconds)
	want := make([]uint64, len(api.TimeToAckBuckets))
	for i, bound := range api.TimeToAckBuckets {
		for _, s := range []float64{60, 120, 240, 480} {
			if s <= bound {
				want[i]++
			}
		}
	}
	require.Equal(t, want, may.TimeToAck.Buckets)
	require.Equal(t, map[string]int{api.ClockAck: 1}, may.BreachTotals)

	require.Error(t, badMonth)
	require.Contains(t, badMonth.Error(), "want YYYY-MM")
}

func TestDurationSampleIsBoundedAndIndependentOfOrder(t *testing.T) {
	const n = 3 * durationSampleLimit
	var forward, backward DurationSample
	for i := range n {
		forward.add(fmt.Sprintf("incident/acme/cybereason/%d", i), time.Duration(i)*time.Second)
		j := n - 1 - i
		backward.add(fmt.Sprintf("incident/acme/cybereason/%d", j), time.Duration(j)*time.Second)
	}
	require.Equal(t, n, forward.Count)
	require.Len(t, forward.Kept, durationSampleLimit)
	sorted := func(kept [][2]int64) [][2]int64 {
		kept = slices.Clone(kept)
		slices.SortFunc(kept, func(a, b [2]int64) int { return int(a[0] - b[0]) })
		return kept
	}
	require.Equal(t, sorted(forward.Kept), sorted(backward.Kept))
	q := forward.quantiles()
	require.Equal(t, n, q.Count)
	require.Equal(t, durationSampleLimit, q.Sampled)
	// A uniform sample of 0..749 s: its median is near 375 s.
	require.InDelta(t, 375, q.MedianSeconds, 100)
}

func TestNearestRank(t *testing.T) {
	for _, c := range []struct {
		values []int64
		p      float64
		want   int64
	}{
		{nil, 0.5, 0},
		{[]int64{7}, 0.9, 7},
		{[]int64{1, 2}, 0.5, 1},
		{[]int64{1, 2, 3}, 0.5, 2},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9, 9},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 0.9, 10},
	} {
		require.Equal(t, c.want, NearestRank(c.values, c.p), "%v p%v", c.values, c.p)
	}
}

func TestAccountFreezesTheSamplesOfMonthsPastTheTrend(t *testing.T) {
	acc := &account{zone: time.UTC}
	for i := range api.TrendMonths + 2 {
		m := acc.monthOf(time.Date(2026, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC).Format("2006-01"))
		m.addDuration(api.DurationAck, "a", time.Duration(i+1)*time.Minute)
		m.addDuration(api.DurationAck, "b", time.Duration(i+2)*time.Minute)
	}
	before := acc.monthPerformance("2026-01").Durations
	acc.trimMonths()
	require.Nil(t, acc.state.Months["2026-01"].Durations[api.DurationAck].Kept)
	require.Nil(t, acc.state.Months["2026-02"].Durations[api.DurationAck].Kept)
	require.NotNil(t, acc.state.Months["2026-03"].Durations[api.DurationAck].Kept)
	require.Equal(t, before, acc.monthPerformance("2026-01").Durations)
}
