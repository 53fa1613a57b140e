package api

import (
	"time"

	"xsoc/identity"
)

// The managers' month, live: an incident tells its customer's Account each figure at
// the moment it happens (IncidentMoments), so that an incident open for days counts
// in the month's figures from its first minute, and an incident that spans two
// months counts each event in the month it happened.

// SignalIncidentMoments carries an incident's moments (IncidentMoments) to its
// customer's Account: a signal, like SignalRecordIncident, sent by a local activity
// with Signal-With-Start. The Account counts each moment once per incident run.
const SignalIncidentMoments = "incident_moments"

// SignalIncidentMomentsBatch carries the records many incidents told at the same
// moment (IncidentMomentsBatch), gathered by a worker into one Signal-With-Start: in a
// worm, a signal per closing incident buffered hundreds of events while one of the
// Account's workflow tasks ran, past the server's limit, which failed that task.
const SignalIncidentMomentsBatch = "incident_moments_batch"

// UpdateIncidentMomentsBatch carries a batch (IncidentMomentsBatch) as an Update, the
// way a worker tells the Account since the Account took it: in a worm the Account
// continues as new while batches keep coming, and a signal that arrived during that
// workflow task made the server refuse the task (UnhandledCommand), where an Update is
// handed to the next run. The signal stays for Accounts of earlier builds.
const UpdateIncidentMomentsBatch = "tell_moments"

// IncidentMomentsBatch is records of SignalIncidentMoments, applied in order.
type IncidentMomentsBatch struct {
	Records []IncidentMoments `json:"records"`
}

// MaxMomentsBatch bounds the records of one batch (a payload under the server's limit).
const MaxMomentsBatch = 100

// UpdateConvertTickets converts unused option tickets of a lot to another service
// (ConvertTickets); it answers the conversion recorded (Conversion).
const UpdateConvertTickets = "convert_tickets"

// Moment kinds: what happened to an incident, once each per incident run.
const (
	// MomentIn: the alert came in, its incident opened (At); Since is the vendor's
	// detection (ingest lag).
	MomentIn = "in"
	// MomentTriaged: triage said what the alert is (Outcome): an incident people
	// handle, or one a rule suppressed, or one merged into another.
	MomentTriaged = "triaged"
	// MomentAck: the triaging tier (the SOC, or the customer without one) first
	// acknowledged; Since is the incident's opening (MTTA).
	MomentAck = "ack"
	// MomentCustomerAck: the customer acknowledged their own chain (with a SOC in
	// front); Since is when the customer was first paged.
	MomentCustomerAck = "customer_ack"
	// MomentVerdict: the first verdict (Verdict); Since is the opening.
	MomentVerdict = "verdict"
	// MomentContained: the vendor confirmed the containment; Since is the opening.
	MomentContained = "contained"
	// MomentClock: an SLA clock (Clock) ended (State: met, breached, not_needed).
	MomentClock = "clock"
	// MomentCustomerPaged, MomentCustomerCalled: the customer's own chain first reached
	// them, first by phone.
	MomentCustomerPaged  = "customer_paged"
	MomentCustomerCalled = "customer_called"
)

// Triage outcomes of a MomentTriaged.
const (
	OutcomeHandled    = "handled"
	OutcomeSuppressed = "suppressed"
	OutcomeMerged     = "merged"
)

// Moment is one thing that happened to an incident, at the Severity the incident had
// then.
type Moment struct {
	Kind     string    `json:"kind"`
	At       time.Time `json:"at"`
	Severity string    `json:"severity"`
	// Since is where the moment's duration starts (zero: no duration).
	Since   time.Time `json:"since,omitzero"`
	Clock   string    `json:"clock,omitempty"`
	State   string    `json:"state,omitempty"`
	Verdict string    `json:"verdict,omitempty"`
	Outcome string    `json:"outcome,omitempty"`
	Rule    string    `json:"rule,omitempty"`
}

// Key names the moment among its incident's: one of each kind, one per clock.
func (m Moment) Key() string {
	if m.Kind == MomentClock {
		return m.Kind + "/" + m.Clock
	}
	return m.Kind
}

// IncidentMoments is what an incident tells its Account: the moments that happened
// since it last told it, and, in its last record, how it concluded. Incident and Run
// (the first run's id, the same across continue-as-new) name the incident run.
type IncidentMoments struct {
	Customer  string      `json:"customer"`
	Incident  string      `json:"incident"`
	Run       string      `json:"run"`
	Vendor    string      `json:"vendor"`
	OpenedAt  time.Time   `json:"opened_at"`
	Moments   []Moment    `json:"moments"`
	Concluded *Conclusion `json:"concluded,omitempty"`
}

// Conclusion is how an incident ended: what is left to count once it is over.
type Conclusion struct {
	At       time.Time `json:"at"`
	State    string    `json:"state"`
	Severity string    `json:"severity"`
	Billable bool      `json:"billable"`
}

// SeverityPerformance is one Severity's share of a month: the alerts that came in at
// it, the incidents people handled, those confirmed, the clocks breached, and how
// long each step took (median and 90th percentile).
type SeverityPerformance struct {
	AlertsIn        int                  `json:"alerts_in"`
	Incidents       int                  `json:"incidents"`
	Confirmed       int                  `json:"confirmed"`
	BreachesByClock map[string]int       `json:"breaches_by_clock"`
	Durations       map[string]Quantiles `json:"durations"`
}

// RequestFigures are the customer requests of a month: those that ended in it, by
// kind and outcome (done, declined, ...), their ack clocks, how long the SOC took to
// accept them, and the option tickets requests used in the month.
type RequestFigures struct {
	Ended        int                       `json:"ended"`
	ByKind       map[string]int            `json:"by_kind"`
	ByOutcome    map[string]int            `json:"by_outcome"`
	ByKindState  map[string]map[string]int `json:"by_kind_state"`
	Ack          map[string]int            `json:"ack"`
	TimeToAccept Quantiles                 `json:"time_to_accept"`
	TicketsUsed  int                       `json:"tickets_used"`
}

// OpenAtEnd is an incident that was still open when a month ended: opened before the
// month's end, not concluded then (ClosedAt zero while it is still open).
type OpenAtEnd struct {
	Incident string    `json:"incident"`
	Severity string    `json:"severity"`
	OpenedAt time.Time `json:"opened_at"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
}

// ConvertTickets is the convert_tickets Update's argument: unused option tickets of
// one lot converted to another service. Lot names the lot by its purchase day
// ("2026-04-01"), or "2026-04-01#2" for the second lot bought that day; To is
// "training" or a service in free text. A lot may be converted while it is valid and
// until ConvertibleAfterExpiry after it expired.
type ConvertTickets struct {
	identity.Stamp
	Lot   string `json:"lot"`
	Count int    `json:"count"`
	To    string `json:"to"`
	By    string `json:"by"`
	Note  string `json:"note,omitempty"`
}

// ConvertibleAfterExpiry is how long after its expiry a lot's unused tickets may
// still be converted.
const ConvertibleAfterExpiry = 90 * 24 * time.Hour

// ConversionTraining is the service of a conversion to security training.
const ConversionTraining = "training"

// Conversion is one conversion of tickets, recorded against the lot and the person.
type Conversion struct {
	// ID is the Update's: the same Update again answers this conversion.
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
	Lot     string    `json:"lot"`
	Expires string    `json:"expires"`
	Tickets int       `json:"tickets"`
	To      string    `json:"to"`
	By      string    `json:"by"`
	// Verified says the codec proved who converted (identity.Author), and Via how.
	Verified bool   `json:"verified"`
	Via      string `json:"via,omitempty"`
	Note     string `json:"note,omitempty"`
	// AfterExpiry: the tickets had expired unused when they were converted.
	AfterExpiry bool `json:"after_expiry,omitempty"`
}
