package incidentv1

import (
	"fmt"
	"time"

	"xsoc/integrations"
)

// IncidentInput starts an incident. Carried is set only when an incident continues
// as new, to take its state over into the new run.
type IncidentInput struct {
	Customer      string             `json:"customer"`
	Vendor        string             `json:"vendor"`
	Alert         integrations.Alert `json:"alert"`
	Policy        Policy             `json:"policy"`
	PreviousRunID string             `json:"previous_run_id,omitempty"`
	Carried       *IncidentStatus    `json:"carried,omitempty"`
}

// IncidentStatus is the incident as the `status` query answers it, and the state an
// incident carries over when it continues as new.
type IncidentStatus struct {
	WorkflowID    string                      `json:"workflow_id"`
	Customer      string                      `json:"customer"`
	Vendor        string                      `json:"vendor"`
	Alert         integrations.Alert          `json:"alert"`
	Severity      integrations.Severity       `json:"severity"`
	State         string                      `json:"state"`
	Verdict       string                      `json:"verdict,omitempty"`
	OpenedAt      time.Time                   `json:"opened_at"`
	ClosedAt      time.Time                   `json:"closed_at,omitzero"`
	Acknowledged  *Acknowledgement            `json:"acknowledged,omitempty"`
	Containment   Containment                 `json:"containment"`
	Findings      *integrations.Findings      `json:"findings,omitempty"`
	Paged         []Page                      `json:"paged"`
	Clocks        []Clock                     `json:"clocks"`
	Chain         Chain                       `json:"chain"`
	Tickets       []TicketUse                 `json:"tickets,omitempty"`
	Deliveries    int                         `json:"deliveries"`
	PreviousRunID string                      `json:"previous_run_id,omitempty"`
	Timeline      []Entry                     `json:"timeline"`
	Dropped       int                         `json:"timeline_dropped,omitempty"`
	Decisions     int                         `json:"decisions"`
	Site          string                      `json:"site,omitempty"`
	Recommend     string                      `json:"recommendation,omitempty"`
	Actions       []integrations.ActionResult `json:"actions,omitempty"`
}

// Acknowledgement says who stopped the paging, when and how.
type Acknowledgement struct {
	By  string    `json:"by"`
	At  time.Time `json:"at"`
	Via string    `json:"via,omitempty"`
}

// Containment is what we hold contained for this incident.
type Containment struct {
	Hosts      []string                 `json:"hosts,omitempty"`
	Indicators []integrations.Indicator `json:"indicators,omitempty"`
}

// Active tells whether anything is contained.
func (c Containment) Active() bool { return len(c.Hosts) > 0 || len(c.Indicators) > 0 }

// Page is one notification sent (or attempted) to one contact.
type Page struct {
	Key     string    `json:"key"`
	Kind    string    `json:"kind"`
	Channel string    `json:"channel"`
	Address string    `json:"address"`
	Name    string    `json:"name,omitempty"`
	At      time.Time `json:"at"`
	Ref     string    `json:"ref,omitempty"`
	Error   string    `json:"error,omitempty"`
	// FallbackSMS is the number texted if this call is not answered by a person.
	FallbackSMS string `json:"fallback_sms,omitempty"`
}

// TicketUse is one consumption of option tickets for this incident.
type TicketUse struct {
	Service string    `json:"service"`
	Tickets int       `json:"tickets"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// Entry is one line of the incident's timeline: what happened, when, by whom.
type Entry struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"`
	By   string    `json:"by,omitempty"`
	Text string    `json:"text"`
}

// timelineLimit bounds the timeline kept in state; older entries are counted, not
// kept, so that a long incident's state (and its continue-as-new input) stays small.
const timelineLimit = 300

func (s *IncidentStatus) record(at time.Time, kind, by, format string, args ...any) {
	s.Timeline = append(s.Timeline, Entry{At: at, Kind: kind, By: by, Text: fmt.Sprintf(format, args...)})
	if over := len(s.Timeline) - timelineLimit; over > 0 {
		s.Timeline = append([]Entry(nil), s.Timeline[over:]...)
		s.Dropped += over
	}
}

func (s *IncidentStatus) concluded() bool {
	return s.State == StateResolved || s.State == StateSuppressed
}

func (s *IncidentStatus) hostNames() []string { return s.Alert.HostNames() }
