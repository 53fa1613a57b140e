package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"xsoc/config"
)

// SLA clock names.
const (
	ClockAck     = "ack"
	ClockVerdict = "verdict"
	ClockContain = "contain"
)

// Clock states beyond the search attribute's SLA states.
const (
	clockRunning   = "running"
	clockNotNeeded = "not_needed"
)

// atRiskShare is how much of a clock's time may pass before it shows as at risk.
const atRiskShare = 0.8

// Clock is one SLA promise of the incident: acknowledge, verdict or contain by Due.
type Clock struct {
	Name       string    `json:"name"`
	StartedAt  time.Time `json:"started_at"`
	Due        time.Time `json:"due"`
	State      string    `json:"state"`
	MetAt      time.Time `json:"met_at,omitzero"`
	BreachedAt time.Time `json:"breached_at,omitzero"`
}

// ClockView is one clock as the `sla` query answers it.
type ClockView struct {
	Clock
	Remaining string `json:"remaining"`
	Breached  bool   `json:"breached"`
	Met       bool   `json:"met"`
}

// SLAView answers the `sla` query.
type SLAView struct {
	State   string      `json:"state"`
	NextDue time.Time   `json:"next_due,omitzero"`
	Clocks  []ClockView `json:"clocks"`
}

func (c *Clock) open() bool { return c.State == clockRunning || c.State == SLAAtRisk }

func (c *Clock) atRiskAt() time.Time {
	return c.StartedAt.Add(time.Duration(float64(c.Due.Sub(c.StartedAt)) * atRiskShare))
}

func clockBudgets(sla config.SLA) []struct {
	name   string
	budget time.Duration
} {
	return []struct {
		name   string
		budget time.Duration
	}{{ClockAck, sla.Ack.D()}, {ClockVerdict, sla.Verdict.D()}, {ClockContain, sla.Contain.D()}}
}

// planClocks starts the clocks a Severity promises, or, on a Severity raise, brings
// each open clock's due time forward to what the new Severity promises from now.
// Clocks never move backwards.
func (s *IncidentStatus) planClocks(now time.Time, sla config.SLA) {
	for _, b := range clockBudgets(sla) {
		if b.budget <= 0 {
			continue
		}
		due := now.Add(b.budget)
		clock := s.clock(b.name)
		switch {
		case clock == nil:
			s.Clocks = append(s.Clocks, Clock{Name: b.name, StartedAt: now, Due: due, State: clockRunning})
		case clock.open() && due.Before(clock.Due):
			clock.StartedAt, clock.Due, clock.State = now, due, clockRunning
		}
	}
}

func (s *IncidentStatus) clock(name string) *Clock {
	for i := range s.Clocks {
		if s.Clocks[i].Name == name {
			return &s.Clocks[i]
		}
	}
	return nil
}

// meetClock stops a clock as met; a breached clock stays breached.
func (s *IncidentStatus) meetClock(name string, now time.Time) bool {
	c := s.clock(name)
	if c == nil || !c.open() {
		return false
	}
	c.State, c.MetAt = SLAMet, now
	return true
}

// dropClock stops a clock that no longer applies (no containment after a false positive).
func (s *IncidentStatus) dropClock(name string) {
	if c := s.clock(name); c != nil && c.open() {
		c.State = clockNotNeeded
	}
}

// slaState sums the clocks up for XsocSLAState.
func (s *IncidentStatus) slaState() string { return slaStateOf(s.Clocks) }

// slaStateOf sums clocks up for XsocSLAState: an incident's, or a request's one clock.
func slaStateOf(clocks []Clock) string {
	state, open := SLAMet, false
	for _, c := range clocks {
		switch c.State {
		case SLABreached:
			return SLABreached
		case SLAAtRisk:
			state = SLAAtRisk
		case clockRunning:
			open = true
		}
	}
	if state == SLAAtRisk {
		return SLAAtRisk
	}
	if open || len(clocks) == 0 {
		return SLAOnTrack
	}
	return SLAMet
}

// nextDue is the earliest due time of the open clocks, zero when none is open.
func (s *IncidentStatus) nextDue() time.Time { return nextDueOf(s.Clocks) }

func nextDueOf(clocks []Clock) time.Time {
	var next time.Time
	for _, c := range clocks {
		if c.open() && (next.IsZero() || c.Due.Before(next)) {
			next = c.Due
		}
	}
	return next
}

// nextClockEvent is when the next clock turns at risk or breaches.
func (s *IncidentStatus) nextClockEvent() (time.Time, bool) { return nextClockEventOf(s.Clocks) }

func nextClockEventOf(clocks []Clock) (time.Time, bool) {
	var next time.Time
	for _, c := range clocks {
		var at time.Time
		switch c.State {
		case clockRunning:
			at = c.atRiskAt()
		case SLAAtRisk:
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

// advanceClocks moves clocks whose moment has come; it answers the clocks that breached.
func (s *IncidentStatus) advanceClocks(now time.Time) (breached []string) {
	return advanceClocksOf(s.Clocks, now)
}

func advanceClocksOf(clocks []Clock, now time.Time) (breached []string) {
	for i := range clocks {
		c := &clocks[i]
		if c.open() && !now.Before(c.Due) {
			c.State, c.BreachedAt = SLABreached, now
			breached = append(breached, c.Name)
			continue
		}
		if c.State == clockRunning && !now.Before(c.atRiskAt()) {
			c.State = SLAAtRisk
		}
	}
	return breached
}

func (s *IncidentStatus) slaView(now time.Time) SLAView {
	view := SLAView{State: s.slaState(), NextDue: s.nextDue()}
	for _, c := range s.Clocks {
		remaining := time.Duration(0)
		if c.open() {
			remaining = c.Due.Sub(now)
		}
		view.Clocks = append(view.Clocks, ClockView{Clock: c, Remaining: remaining.Round(time.Second).String(),
			Breached: c.State == SLABreached, Met: c.State == SLAMet})
	}
	return view
}

// passClocks moves the clocks whose moment has come: at risk, or breached, which is
// recorded and pages the next level of the triaging tier.
func (inc *incident) passClocks(ctx workflow.Context) {
	before := inc.status.slaState()
	for _, name := range inc.status.advanceClocks(workflow.Now(ctx)) {
		due := inc.status.clock(name).Due
		inc.record(ctx, entry(workflow.Now(ctx), "sla_breach", "", facts("clock", name, "due", due.Format(time.RFC3339)),
			"SLA breached: %s was due %s", name, due.Format(time.RFC3339)))
		inc.pageBreach(ctx, name)
	}
	if inc.status.slaState() != before {
		inc.publish(ctx)
	}
}

// closeClocks stops every clock still running: the incident is over.
func (inc *incident) closeClocks() {
	for _, name := range []string{ClockAck, ClockVerdict, ClockContain} {
		inc.status.dropClock(name)
	}
}

// clocksChanged publishes the new SLA state.
func (inc *incident) clocksChanged(ctx workflow.Context) { inc.publish(ctx) }
