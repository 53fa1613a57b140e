package casework

import (
	"time"

	"xsoc/config"
	"xsoc/workflows/api"
)

// AtRiskShare is how much of a clock's time may pass before it shows as at risk.
const AtRiskShare = 0.8

// ClockOpen tells whether a clock still runs (on track or at risk).
func ClockOpen(c api.Clock) bool { return c.State == api.ClockRunning || c.State == api.SLAAtRisk }

func atRiskAt(c api.Clock) time.Time {
	return c.StartedAt.Add(time.Duration(float64(c.Due.Sub(c.StartedAt)) * AtRiskShare))
}

func clockBudgets(sla config.SLA) []struct {
	name   string
	budget time.Duration
} {
	return []struct {
		name   string
		budget time.Duration
	}{{api.ClockAck, sla.Ack.D()}, {api.ClockVerdict, sla.Verdict.D()}, {api.ClockContain, sla.Contain.D()}}
}

// PlanClocks starts the clocks a Severity promises, or, on a Severity raise, brings
// each open clock's due time forward to what the new Severity promises from now.
// Clocks never move backwards.
func PlanClocks(clocks *[]api.Clock, now time.Time, sla config.SLA) {
	for _, b := range clockBudgets(sla) {
		if b.budget <= 0 {
			continue
		}
		due := now.Add(b.budget)
		clock := FindClock(*clocks, b.name)
		switch {
		case clock == nil:
			*clocks = append(*clocks, api.Clock{Name: b.name, StartedAt: now, Due: due, State: api.ClockRunning})
		case ClockOpen(*clock) && due.Before(clock.Due):
			clock.StartedAt, clock.Due, clock.State = now, due, api.ClockRunning
		}
	}
}

// FindClock answers the clock of a name, nil when there is none.
func FindClock(clocks []api.Clock, name string) *api.Clock {
	for i := range clocks {
		if clocks[i].Name == name {
			return &clocks[i]
		}
	}
	return nil
}

// MeetClock stops a clock as met; a breached clock stays breached.
func MeetClock(clocks []api.Clock, name string, now time.Time) bool {
	c := FindClock(clocks, name)
	if c == nil || !ClockOpen(*c) {
		return false
	}
	c.State, c.MetAt = api.SLAMet, now
	return true
}

// DropClock stops a clock that no longer applies (no containment after a false positive).
func DropClock(clocks []api.Clock, name string) {
	if c := FindClock(clocks, name); c != nil && ClockOpen(*c) {
		c.State = api.ClockNotNeeded
	}
}

// SLAState sums clocks up for XsocSLAState: an incident's, or a request's one clock.
func SLAState(clocks []api.Clock) string {
	state, open := api.SLAMet, false
	for _, c := range clocks {
		switch c.State {
		case api.SLABreached:
			return api.SLABreached
		case api.SLAAtRisk:
			state = api.SLAAtRisk
		case api.ClockRunning:
			open = true
		}
	}
	if state == api.SLAAtRisk {
		return api.SLAAtRisk
	}
	if open || len(clocks) == 0 {
		return api.SLAOnTrack
	}
	return api.SLAMet
}

// NextDue is the earliest due time of the open clocks, zero when none is open.
func NextDue(clocks []api.Clock) time.Time {
	var next time.Time
	for _, c := range clocks {
		if ClockOpen(c) && (next.IsZero() || c.Due.Before(next)) {
			next = c.Due
		}
	}
	return next
}

// NextClockEvent is when the next clock turns at risk or breaches.
func NextClockEvent(clocks []api.Clock) (time.Time, bool) {
	var next time.Time
	for _, c := range clocks {
		var at time.Time
		switch c.State {
		case api.ClockRunning:
			at = atRiskAt(c)
		case api.SLAAtRisk:
			at = c.Due
		default:
			continue
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next, !next.IsZero()
}

// AdvanceClocks moves clocks whose moment has come; it answers the clocks that breached.
func AdvanceClocks(clocks []api.Clock, now time.Time) (breached []string) {
	for i := range clocks {
		c := &clocks[i]
		if ClockOpen(*c) && !now.Before(c.Due) {
			c.State, c.BreachedAt = api.SLABreached, now
			breached = append(breached, c.Name)
			continue
		}
		if c.State == api.ClockRunning && !now.Before(atRiskAt(*c)) {
			c.State = api.SLAAtRisk
		}
	}
	return breached
}

// ViewSLA is the clocks as the `sla` query answers them.
func ViewSLA(clocks []api.Clock, now time.Time) api.SLAView {
	view := api.SLAView{State: SLAState(clocks), NextDue: NextDue(clocks)}
	for _, c := range clocks {
		remaining := time.Duration(0)
		if ClockOpen(c) {
			remaining = c.Due.Sub(now)
		}
		view.Clocks = append(view.Clocks, api.ClockView{Clock: c, Remaining: remaining.Round(time.Second).String(),
			Breached: c.State == api.SLABreached, Met: c.State == api.SLAMet})
	}
	return view
}
