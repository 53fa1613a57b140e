package incidentv1

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
func (s *IncidentStatus) slaState() string {
	state, open := SLAMet, false
	for _, c := range s.Clocks {
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
	if open || len(s.Clocks) == 0 {
		return SLAOnTrack
	}
	return SLAMet
}

// nextDue is the earliest due time of the open clocks, zero when none is open.
func (s *IncidentStatus) nextDue() time.Time {
	var next time.Time
	for _, c := range s.Clocks {
		if c.open() && (next.IsZero() || c.Due.Before(next)) {
			next = c.Due
		}
	}
	return next
}

// nextClockEvent is when the next clock turns at risk or breaches.
func (s *IncidentStatus) nextClockEvent() (time.Time, bool) {
	var next time.Time
	for _, c := range s.Clocks {
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
	for i := range s.Clocks {
		c := &s.Clocks[i]
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

// watchSLA runs beside the incident: it sleeps until the next clock turns at risk or
// breaches, then marks it, publishes the search attributes and pages on breach.
// A re-plan (Severity raise, a clock met) wakes it early through slaGen.
func (inc *incident) watchSLA(ctx workflow.Context) {
	for !inc.status.concluded() {
		gen := inc.slaGen
		changed := func() bool { return inc.slaGen != gen || inc.status.concluded() }
		next, ok := inc.status.nextClockEvent()
		if !ok {
			_ = workflow.Await(ctx, changed)
			continue
		}
		if wait := next.Sub(workflow.Now(ctx)); wait > 0 {
			woken, err := workflow.AwaitWithTimeout(ctx, wait, changed)
			if err != nil || woken {
				continue
			}
		}
		before := inc.status.slaState()
		breached := inc.status.advanceClocks(workflow.Now(ctx))
		for _, name := range breached {
			inc.record(ctx, "sla_breach", "", "SLA breached: %s was due %s", name, inc.status.clock(name).Due.Format(time.RFC3339))
			inc.pageBreach(ctx, name)
		}
		if inc.status.slaState() != before {
			inc.publish(ctx)
		}
	}
}

// clocksChanged wakes the SLA watcher and publishes the new SLA state.
func (inc *incident) clocksChanged(ctx workflow.Context) {
	inc.slaGen++
	inc.publish(ctx)
}
