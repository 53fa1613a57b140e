package workflows

import (
	"fmt"
	"time"

	"xsoc/integrations"
)

// IncidentInput starts an incident. Resume is set only when an incident continues as
// new, to take its state over into the new run.
type IncidentInput struct {
	Customer      string             `json:"customer"`
	Vendor        string             `json:"vendor"`
	Alert         integrations.Alert `json:"alert"`
	Policy        Policy             `json:"policy"`
	PreviousRunID string             `json:"previous_run_id,omitempty"`
	Resume        *IncidentStatus    `json:"resume,omitempty"`
	// Campaign is set on a campaign incident, which triage opened for alerts that
	// share a detection or an indicator across hosts.
	Campaign *CampaignInfo `json:"campaign,omitempty"`
}

// IncidentStatus is the incident as the `status` query answers it, and the state an
// incident carries over when it continues as new.
type IncidentStatus struct {
	WorkflowID string                `json:"workflow_id"`
	Customer   string                `json:"customer"`
	Vendor     string                `json:"vendor"`
	Alert      integrations.Alert    `json:"alert"`
	Severity   integrations.Severity `json:"severity"`
	State      string                `json:"state"`
	Verdict    string                `json:"verdict,omitempty"`
	// Decider is the analyst who gave the verdict, and their note: what the vendor's
	// console is told when the incident ends.
	Decider  *DecisionRecord `json:"decider,omitempty"`
	OpenedAt time.Time       `json:"opened_at"`
	ClosedAt time.Time       `json:"closed_at,omitzero"`
	// Acknowledged is the triaging tier's acknowledgement (the SOC's, or the customer's
	// without a SOC): it meets the ack clock.
	Acknowledged *Acknowledgement `json:"acknowledged,omitempty"`
	// CustomerAcknowledged is the customer's own acknowledgement of their chain.
	CustomerAcknowledged *Acknowledgement            `json:"customer_acknowledged,omitempty"`
	Containment          Containment                 `json:"containment"`
	Findings             *integrations.Findings      `json:"findings,omitempty"`
	Paged                []Page                      `json:"paged"`
	Clocks               []Clock                     `json:"clocks"`
	Chains               []Chain                     `json:"chains"`
	Tickets              []TicketUse                 `json:"tickets,omitempty"`
	Deliveries           int                         `json:"deliveries"`
	PreviousRunID        string                      `json:"previous_run_id,omitempty"`
	Timeline             []Entry                     `json:"timeline"`
	Dropped              int                         `json:"timeline_dropped,omitempty"`
	Decisions            int                         `json:"decisions"`
	Site                 string                      `json:"site,omitempty"`
	Recommend            string                      `json:"recommendation,omitempty"`
	Actions              []integrations.ActionResult `json:"actions,omitempty"`
	// Vendor work waiting its turn: containment actions run one at a time, in order.
	Pending []VendorAction `json:"pending_actions,omitempty"`
	// Outbox gathers the changes the customer's contacts hear about next.
	Outbox Outbox `json:"outbox"`
	// Rule is the suppression rule that closed the incident, or sampled it for QA.
	Rule *RuleRef `json:"rule,omitempty"`
	// Parent is the incident or campaign this incident's alert joined (merged).
	Parent string `json:"parent,omitempty"`
	// Joined are the alerts that joined this incident.
	Joined []JoinedRef `json:"joined,omitempty"`
	// JoinPending is a campaign this incident joins once its vendor work is done.
	JoinPending *JoinRequest `json:"join_pending,omitempty"`
	// Sequence numbers the vendor actions and status messages of this incident, so
	// that their idempotency keys stay unique across continue-as-new.
	Sequence int `json:"sequence"`
	// Fingerprint is that of the last version of the alert the incident took, when a
	// re-delivery brought one other than the first (see tookVersion); empty until then.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// DecisionRecord is who decided, and why.
type DecisionRecord struct {
	By   string    `json:"by"`
	Note string    `json:"note,omitempty"`
	At   time.Time `json:"at"`
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
	// Carried are indicators blocked through other platforms by incidents that joined
	// this one: this incident holds them now, and releases each through its platform.
	Carried []CarriedBlock `json:"carried,omitempty"`
}

// CarriedBlock is indicators blocked through one platform.
type CarriedBlock struct {
	Vendor     string                   `json:"vendor"`
	Indicators []integrations.Indicator `json:"indicators"`
}

// Active tells whether anything is contained.
func (c Containment) Active() bool {
	return len(c.Hosts) > 0 || len(c.Indicators) > 0 || len(c.Carried) > 0
}

// Page is one notification sent (or attempted) to one contact.
type Page struct {
	Key     string    `json:"key"`
	Kind    string    `json:"kind"`
	Tier    string    `json:"tier,omitempty"`
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

// Entry is one line of the incident's timeline: what happened, when, by whom. Args
// carry the line's facts so that messages can say it in the reader's language.
type Entry struct {
	At   time.Time         `json:"at"`
	Kind string            `json:"kind"`
	By   string            `json:"by,omitempty"`
	Text string            `json:"text"`
	Args map[string]string `json:"args,omitempty"`
}

// timelineLimit bounds the timeline kept in state; older entries are counted, not
// kept, so that a long incident's state (and its continue-as-new input) stays small.
const timelineLimit = 300

func (s *IncidentStatus) add(e Entry) {
	s.Timeline = append(s.Timeline, e)
	if over := len(s.Timeline) - timelineLimit; over > 0 {
		s.Timeline = append([]Entry(nil), s.Timeline[over:]...)
		s.Dropped += over
	}
}

func (s *IncidentStatus) concluded() bool { return terminal(s.State) }

func (s *IncidentStatus) hostNames() []string { return s.Alert.HostNames() }

// facts builds an Entry's Args from name/value pairs.
func facts(pairs ...string) map[string]string {
	if len(pairs) == 0 {
		return nil
	}
	args := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		args[pairs[i]] = pairs[i+1]
	}
	return args
}

func entry(at time.Time, kind, by string, args map[string]string, format string, a ...any) Entry {
	return Entry{At: at, Kind: kind, By: by, Text: fmt.Sprintf(format, a...), Args: args}
}
