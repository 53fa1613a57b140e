// Package incidentv1 is the Incident workflow as it ran before round 2 (two audiences,
// triage, one transition function). It is frozen: incidents started by that version
// keep running here to their end, so that a deployment never breaks them; the
// replay test over workflows/testdata/histories guards it. Do not change its
// commands. Delete the package once no incident older than the round-2 deployment
// runs (`temporal workflow list --query 'WorkflowType="Incident" AND
// ExecutionStatus="Running" AND StartTime < "<deployment time>"'` is empty).
//
// Its names and payloads are the ones the outside world used then; they are copies
// of workflows/api.go's of that time, kept here so that this package depends on
// nothing that may change.
package incidentv1

import "go.temporal.io/sdk/temporal"

// Analyst decisions: each is both a Signal and an Update of the same name.
const (
	DecisionAcknowledge = "acknowledge"
	DecisionVerdict     = "verdict"
	DecisionContain     = "contain"
	DecisionRelease     = "release"
	DecisionEscalate    = "escalate"
	DecisionUseTickets  = "use_tickets"
	DecisionComment     = "comment"
	DecisionClose       = "close"
)

// Decisions lists every decision name.
var Decisions = []string{
	DecisionAcknowledge, DecisionVerdict, DecisionContain, DecisionRelease,
	DecisionEscalate, DecisionUseTickets, DecisionComment, DecisionClose,
}

const (
	UpdateDeliverAlert = "deliver_alert"
	// SignalDeliverAlert is how intake hands over a re-delivery since issue 22.
	SignalDeliverAlert = "deliver_alert"
	QuerySLA           = "sla"
	QueryStatus        = "status"
	SignalCallOutcome  = "call_outcome"
)

var (
	SACustomer     = temporal.NewSearchAttributeKeyKeyword("XsocCustomer")
	SAVendor       = temporal.NewSearchAttributeKeyKeyword("XsocVendor")
	SAHost         = temporal.NewSearchAttributeKeyKeyword("XsocHost")
	SASite         = temporal.NewSearchAttributeKeyKeyword("XsocSite")
	SASeverity     = temporal.NewSearchAttributeKeyKeyword("XsocSeverity")
	SAState        = temporal.NewSearchAttributeKeyKeyword("XsocState")
	SAVerdict      = temporal.NewSearchAttributeKeyKeyword("XsocVerdict")
	SASLAState     = temporal.NewSearchAttributeKeyKeyword("XsocSLAState")
	SASeverityRank = temporal.NewSearchAttributeKeyInt64("XsocSeverityRank")
	SASLADueAt     = temporal.NewSearchAttributeKeyTime("XsocSLADueAt")
	SAContained    = temporal.NewSearchAttributeKeyBool("XsocContained")
)

const (
	StateNew              = "new"
	StateInvestigating    = "investigating"
	StateContaining       = "containing"
	StateContained        = "contained"
	StateAwaitingCustomer = "awaiting_customer"
	StateResolved         = "resolved"
	StateSuppressed       = "suppressed"
)

const (
	VerdictTruePositive       = "true_positive"
	VerdictFalsePositive      = "false_positive"
	VerdictBenignTruePositive = "benign_true_positive"
)

const (
	SLAOnTrack  = "on_track"
	SLAAtRisk   = "at_risk"
	SLABreached = "breached"
	SLAMet      = "met"
)

// Decision is the one JSON argument of every analyst decision.
type Decision struct {
	By       string `json:"by"`
	Note     string `json:"note,omitempty"`
	Verdict  string `json:"verdict,omitempty"`
	Severity string `json:"severity,omitempty"`
	Service  string `json:"service,omitempty"`
	Tickets  int    `json:"tickets,omitempty"`
	Host     string `json:"host,omitempty"`
	Via      string `json:"via,omitempty"`
}

// DecisionResult is what an accepted decision Update answers.
type DecisionResult struct {
	State   string `json:"state"`
	Message string `json:"message"`
}

// DeliveryResult answers UpdateDeliverAlert.
type DeliveryResult struct {
	Duplicate bool   `json:"duplicate"`
	State     string `json:"state"`
}

// CallOutcome is the payload of SignalCallOutcome.
type CallOutcome struct {
	Key    string `json:"key"`
	To     string `json:"to"`
	Status string `json:"status"`
}
