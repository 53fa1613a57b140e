package account

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// Before liveFiguresVersion the Account counted an incident all at once, in the month
// it concluded, from its summary (applyIncident). An Account whose run began so keeps
// counting so until it continues as new: replaying its history must give the figures
// it gave. Its next run counts live, and keeps the months counted before as they are,
// marked CountedAtConclusion (countLive).

// liveFiguresVersion guards counting each figure at its moment.
const liveFiguresVersion = "account-live-figures"

// countLive decides how this run counts, once, before anything else: live from
// liveFiguresVersion on. The first run that counts live marks the months counted
// before: their figures stay as they are, never recounted.
func (acc *account) countLive(ctx workflow.Context) {
	acc.live = workflow.GetVersion(ctx, liveFiguresVersion, workflow.DefaultVersion, 1) >= 1
	if !acc.live || acc.state.Live {
		return
	}
	for _, key := range casework.SortedKeys(acc.state.Months) {
		acc.state.Months[key].CountedAtConclusion = true
	}
	acc.state.Live = true
}

// recordConcludedPerformance adds a concluded incident to the managers' figures of the
// month it concluded in, and to the Account's lifetime histogram and breach counts: how
// the Account counted before it counted live.
func (acc *account) recordConcludedPerformance(m *MonthFigures, s api.IncidentSummary) {
	suppressed := s.State == api.StateSuppressed && s.Rule != ""
	merged := s.State == api.StateMerged
	if s.Vendor != api.CampaignVendor {
		m.Funnel.AlertsIn++
		if !s.DetectedAt.IsZero() {
			m.addDuration(api.DurationIngest, s.Incident, max(0, s.OpenedAt.Sub(s.DetectedAt)))
		}
	}
	switch {
	case suppressed:
		m.Funnel.Suppressed++
		if m.RuleHits == nil {
			m.RuleHits = map[string]int{}
		}
		m.RuleHits[s.Rule]++
	case merged:
		m.Funnel.Merged++
	default:
		acc.recordConcludedHandled(m, s)
	}
	for _, clock := range casework.SortedKeys(s.Clocks) {
		if s.Clocks[clock] != api.SLABreached {
			continue
		}
		if acc.state.BreachTotals == nil {
			acc.state.BreachTotals = map[string]int{}
		}
		acc.state.BreachTotals[clock]++
		if len(m.Breaches) < breachListLimit {
			m.Breaches = append(m.Breaches, api.Breach{Incident: s.Incident, Clock: clock, Severity: s.Severity, At: s.BreachedAt[clock]})
		}
	}
}

// recordConcludedHandled counts an incident that people worked on, and how long each
// step took.
func (acc *account) recordConcludedHandled(m *MonthFigures, s api.IncidentSummary) {
	m.Funnel.Handled++
	if s.Verdict == api.VerdictTruePositive {
		m.Funnel.Confirmed++
	}
	if s.CustomerPaged {
		m.Funnel.CustomerPaged++
	}
	if s.CustomerCalled {
		m.Funnel.CustomerCalled++
	}
	since := func(at time.Time) (time.Duration, bool) {
		if at.IsZero() {
			return 0, false
		}
		return max(0, at.Sub(s.OpenedAt)), true
	}
	if d, ok := since(s.AcknowledgedAt); ok {
		m.addDuration(api.DurationAck, s.Incident, d)
		observe(&acc.state.TimeToAck, d)
	}
	if d, ok := since(s.VerdictAt); ok {
		m.addDuration(api.DurationVerdict, s.Incident, d)
	}
	if d, ok := since(s.ContainedAt); ok {
		m.addDuration(api.DurationContain, s.Incident, d)
	}
	if d, ok := since(s.ClosedAt); ok {
		m.addDuration(api.DurationResolve, s.Incident, d)
	}
}
