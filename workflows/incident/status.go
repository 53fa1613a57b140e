package incident

import (
	"time"

	"xsoc/config"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// incidentStatus is the incident's state as the story changes it: the `status`
// query's answer (api.IncidentStatus), with the incident's own ways of reading and
// changing it.
type incidentStatus api.IncidentStatus

// timelineLimit bounds the timeline kept in state; older entries are counted, not
// kept, so that a long incident's state (and its continue-as-new input) stays small.
const timelineLimit = 300

func (s *incidentStatus) add(e api.Entry) {
	s.Timeline = append(s.Timeline, e)
	if over := len(s.Timeline) - timelineLimit; over > 0 {
		s.Timeline = append([]api.Entry(nil), s.Timeline[over:]...)
		s.Dropped += over
	}
}

func (s *incidentStatus) concluded() bool { return terminal(s.State) }

func (s *incidentStatus) hostNames() []string { return s.Alert.HostNames() }

// planClocks starts the clocks a Severity promises, or, on a Severity raise, brings
// each open clock's due time forward to what the new Severity promises from now.
// Clocks never move backwards.
func (s *incidentStatus) planClocks(now time.Time, sla config.SLA) {
	casework.PlanClocks(&s.Clocks, now, sla)
}

func (s *incidentStatus) clock(name string) *api.Clock { return casework.FindClock(s.Clocks, name) }

// meetClock stops a clock as met; a breached clock stays breached.
func (s *incidentStatus) meetClock(name string, now time.Time) bool {
	return casework.MeetClock(s.Clocks, name, now)
}

// dropClock stops a clock that no longer applies (no containment after a false positive).
func (s *incidentStatus) dropClock(name string) { casework.DropClock(s.Clocks, name) }

// slaState sums the clocks up for XsocSLAState.
func (s *incidentStatus) slaState() string { return casework.SLAState(s.Clocks) }

// nextDue is the earliest due time of the open clocks, zero when none is open.
func (s *incidentStatus) nextDue() time.Time { return casework.NextDue(s.Clocks) }

// nextClockEvent is when the next clock turns at risk or breaches.
func (s *incidentStatus) nextClockEvent() (time.Time, bool) { return casework.NextClockEvent(s.Clocks) }

// advanceClocks moves clocks whose moment has come; it answers the clocks that breached.
func (s *incidentStatus) advanceClocks(now time.Time) (breached []string) {
	return casework.AdvanceClocks(s.Clocks, now)
}

func (s *incidentStatus) slaView(now time.Time) api.SLAView { return casework.ViewSLA(s.Clocks, now) }

// containedAt (for the incident's summary) is when the vendor first confirmed the
// incident's containment: the contain clock met, or, for a Severity without that
// clock, the first move to contained in the timeline.
func containedAt(s incidentStatus) time.Time {
	if c := s.clock(api.ClockContain); c != nil && c.State == api.SLAMet && s.State != api.StateSuppressed {
		return c.MetAt
	}
	for _, e := range s.Timeline {
		if e.Kind == "state" && e.Args["to"] == api.StateContained {
			return e.At
		}
	}
	return time.Time{}
}
