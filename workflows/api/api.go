// Package api is what the outside world and the workflows use to reach one another:
// the task queue, workflow types and ids, signal/update/query names, search attribute
// keys, states, and every payload that crosses a workflow boundary (the inputs others
// start a workflow with, signal and update arguments, query answers). Nothing else: the
// workflows' logic is in their own packages, and a workflow reaches another only by
// these names.
package api

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"

	"xsoc/identity"
)

// TaskQueue is the one task queue xsoc's workers poll.
const TaskQueue = "xsoc"

// DeploymentName is the Worker Deployment every xsoc worker joins, each build as one
// of its versions (docs/deploy.md): `temporal worker deployment describe --name xsoc`.
const DeploymentName = "xsoc"

// Workflow types.
const (
	IncidentWorkflowType = "Incident"
	AccountWorkflowType  = "Account"
	PollerWorkflowType   = "Poller"
	// TriageWorkflowType is the per-customer entity that decides, for each new alert,
	// who must hear of it: suppression rules, correlation by host, campaigns, storms.
	TriageWorkflowType = "Triage"
	// TuningWorkflowType holds a customer's suppression rules and their history.
	TuningWorkflowType = "Tuning"
	// MonthlyReportWorkflowType (SendMonthlyReport) mails a customer's Report of the
	// month just ended, started by the customer's report schedule on the 1st of each
	// month. The schedules of running deployments start it by this name.
	MonthlyReportWorkflowType = "MonthlyReport"
	// RequestWorkflowType is a customer's request to operate their platform for them.
	RequestWorkflowType = "Request"
)

// IncidentWorkflowID is the incident's id: incident/{customer}/{vendor}/{vendor alert id}.
// Pushed and polled copies of one alert compute the same id.
func IncidentWorkflowID(customer, vendor, alertID string) string {
	return fmt.Sprintf("incident/%s/%s/%s", customer, vendor, alertID)
}

// ParseIncidentWorkflowID splits an incident id into customer, vendor and alert id.
func ParseIncidentWorkflowID(id string) (customer, vendor, alertID string, err error) {
	parts := strings.SplitN(id, "/", 4)
	if len(parts) != 4 || parts[0] != "incident" || parts[1] == "" || parts[2] == "" || parts[3] == "" {
		return "", "", "", fmt.Errorf("%q is not an incident workflow id (incident/{customer}/{vendor}/{alert id})", id)
	}
	return parts[1], parts[2], parts[3], nil
}

// CampaignWorkflowID is a campaign incident's id:
// incident/{customer}/campaign/{first member's alert id}.
func CampaignWorkflowID(customer, firstAlertID string) string {
	return IncidentWorkflowID(customer, CampaignVendor, firstAlertID)
}

// CampaignVendor stands in an incident id for a campaign, whose hosts may be on
// several vendors' platforms.
const CampaignVendor = "campaign"

// TriageWorkflowID is the customer's triage entity: triage/{customer}.
func TriageWorkflowID(customer string) string { return "triage/" + customer }

// TuningWorkflowID is the customer's suppression rules: tuning/{customer}.
func TuningWorkflowID(customer string) string { return "tuning/" + customer }

// AccountWorkflowID is the customer's ledger: account/{customer}.
func AccountWorkflowID(customer string) string { return "account/" + customer }

// ReportScheduleID is the customer's monthly report schedule: report/{customer}. The
// workflows it starts are named after it, with the time of each action appended.
func ReportScheduleID(customer string) string { return "report/" + customer }

// RequestWorkflowID is a customer request's id: request/{customer}/{request id}.
func RequestWorkflowID(customer, id string) string { return "request/" + customer + "/" + id }

// PollerWorkflowID is the durable poller of one customer's platform.
func PollerWorkflowID(customer, vendor string) string {
	return fmt.Sprintf("poller/%s/%s", customer, vendor)
}

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

// Decisions lists every decision name, in the order the UI should offer them.
var Decisions = []string{
	DecisionAcknowledge, DecisionVerdict, DecisionContain, DecisionRelease,
	DecisionEscalate, DecisionUseTickets, DecisionComment, DecisionClose,
}

// UpdateDeliverAlert is how a caller that wants the incident's answer hands a
// re-delivered or updated alert to its running incident (the first delivery is the
// incident's input).
const UpdateDeliverAlert = "deliver_alert"

// SignalDeliverAlert hands the same to the running incident without waiting for it:
// intake's way, since a Signal the server accepted is durably the incident's, while an
// Update waits for a worker that a storm may keep busy, and is aborted when the
// incident closes before taking it. The incident applies both the same way.
const SignalDeliverAlert = "deliver_alert"

// Tuning: suppression rules are added, approved (by a second, verified person) and
// retired by Update, listed by Query.
const (
	UpdateAddRule     = "add_rule"
	UpdateApproveRule = "approve_rule"
	UpdateRetireRule  = "retire_rule"
	QueryRules        = "rules"
)

// Triage's conversation with incidents and with Tuning. A new incident asks by Update
// and has its answer at once; everything else goes by Signal, so that an entity that
// hears from every alert of a storm never holds a caller it need not answer.
const (
	// UpdateAdmit: a new incident asks triage what it is (Admission → TriageAnswer).
	UpdateAdmit = "admit"
	// UpdateAdmitBatch: the admissions a worker's incidents asked at the same moment,
	// in one Update (AdmissionBatch → []TriageAnswer, in the batch's order). It is how
	// one customer's worm is sorted at the rate it arrives: one Triage decision round
	// for many alerts instead of one each.
	UpdateAdmitBatch = "admit_batch"
	// SignalAdmit: the same question from an incident that pages before asking, or
	// that an older worker started; answered by SignalTriaged.
	SignalAdmit = "admit"
	// SignalTriaged: triage's answer to the incident (TriageAnswer).
	SignalTriaged = "triaged"
	// SignalIncidentClosed: an incident that owned its hosts concluded (Closure).
	SignalIncidentClosed = "incident_closed"
	// SignalJoin: triage asks an open incident to join a campaign (JoinRequest).
	SignalJoin = "join"
	// SignalJoinedAlert: an alert joins an open incident or campaign (JoinedAlert).
	SignalJoinedAlert = "joined_alert"
	// SignalJoinAnswer: the parent's answer to a joined alert (JoinAnswer).
	SignalJoinAnswer = "join_answer"
	// SignalJoinedAlerts: triage hands an open incident or campaign the alerts that
	// joined it, many at once (JoinedAlerts).
	SignalJoinedAlerts = "joined_alerts"
	// SignalRules: Tuning hands triage the rules in force (RuleSet).
	SignalRules = "rules"
	// SignalRuleHits: triage hands Tuning the incidents each rule suppressed (RuleHits).
	SignalRuleHits = "rule_hits"
)

// Queries.
const (
	QuerySLA     = "sla"
	QueryStatus  = "status"
	QueryBalance = "balance"
)

// Account updates, signal and query.
const (
	UpdateConsume         = "consume"
	UpdateRecordIncident  = "record_incident"
	UpdateRecordActiveIDs = "record_active_ids"
	UpdateRecordRequest   = "record_request"
	SignalPurchases       = "purchases"
	// SignalRecordIncident carries a concluded incident's summary (IncidentSummary) to
	// its Account: a signal, not an Update, because a storm's incidents conclude by
	// the thousand and a workflow takes only a few Updates in flight at once. It is
	// applied once per incident run (the Account names it by the incident and its opening).
	SignalRecordIncident = "record_incident"
	// SignalSettings hands a running Account the customer's current plan, IDs,
	// contacts, language and time zone from the customers file (AccountSettings).
	SignalSettings = "settings"
	QueryReport    = "report"
	// QueryPerformance answers the managers' figures of a month ("YYYY-MM") and the
	// trend of the months before it (Performance).
	QueryPerformance = "performance"
)

// Search attribute keys.
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
	// SARule names the suppression rule that closed the incident.
	SARule = temporal.NewSearchAttributeKeyKeyword("XsocRule")
	// SAParent names the incident or campaign the incident's alert joined.
	SAParent = temporal.NewSearchAttributeKeyKeyword("XsocParent")
)

// SearchAttributeTypes is what a Temporal server must have registered, as the dev
// server's --search-attribute flag takes them (Name=Type).
var SearchAttributeTypes = []string{
	"XsocCustomer=Keyword", "XsocVendor=Keyword", "XsocHost=Keyword", "XsocSite=Keyword",
	"XsocSeverity=Keyword", "XsocState=Keyword", "XsocVerdict=Keyword", "XsocSLAState=Keyword",
	"XsocSeverityRank=Int", "XsocSLADueAt=Datetime", "XsocContained=Bool",
	"XsocRule=Keyword", "XsocParent=Keyword",
}

// ServerDynamicConfig is the dynamic config a Temporal server needs for xsoc, as the
// dev server's --dynamic-config-value flag takes it (key=value); a cluster takes the
// same in examples/temporal-dynamicconfig.yaml.
var ServerDynamicConfig = []string{
	// Task priority (critical incidents' tasks served before a storm's lower ones) is
	// honoured only by the new matcher, off by default in server 1.29.
	"matching.useNewMatcher=true",
	// Every new incident asks its customer's Triage by Update; in a storm hundreds are
	// in flight at once on that one workflow, which the default (10) would refuse
	// (the askers retry, but each refusal is a wasted round trip).
	"history.maxInFlightUpdates=1000",
}

// Incident states (XsocState).
const (
	StateNew              = "new"
	StateInvestigating    = "investigating"
	StateContaining       = "containing"
	StateContained        = "contained"
	StateAwaitingCustomer = "awaiting_customer"
	StateResolved         = "resolved"
	StateSuppressed       = "suppressed"
	// StateMerged: the alert joined another open incident or a campaign (XsocParent).
	StateMerged = "merged"
)

// IncidentConcluded tells whether an incident in this state is over (resolved,
// suppressed or merged): it takes no alert and no decision but comments.
func IncidentConcluded(state string) bool {
	return state == StateResolved || state == StateSuppressed || state == StateMerged
}

// Poller states (XsocState on a Poller): `XsocState="outage"` lists the pollers
// that cannot reach their vendor.
const (
	PollerPolling     = "polling"
	PollerOutageState = "outage"
)

// Customer requests: what a customer may ask (kind), the SOC's decisions on a request
// (each both a Signal and an Update; acknowledge is the incidents' own, so that a phone
// keypress stops a request's paging too), and a request's states (XsocState).
const (
	RequestIsolate     = "isolate"
	RequestRelease     = "release"
	RequestBlock       = "block"
	RequestUnblock     = "unblock"
	RequestInvestigate = "investigate"
	RequestOption      = "option"

	DecisionAccept  = "accept"
	DecisionDecline = "decline"
	DecisionDone    = "done"

	StateRequested = "requested"
	StateAccepted  = "accepted"
	StateDone      = "done"
	StateDeclined  = "declined"
)

// RequestKinds lists every kind of request, in the order the SPEC names them.
var RequestKinds = []string{RequestIsolate, RequestRelease, RequestBlock, RequestUnblock, RequestInvestigate, RequestOption}

// RequestDecisions lists a request's decisions, in the order the UI should offer them.
var RequestDecisions = []string{DecisionAcknowledge, DecisionAccept, DecisionDecline, DecisionDone}

// Verdicts.
const (
	VerdictTruePositive       = "true_positive"
	VerdictFalsePositive      = "false_positive"
	VerdictBenignTruePositive = "benign_true_positive"
)

// SLA states (XsocSLAState).
const (
	SLAOnTrack  = "on_track"
	SLAAtRisk   = "at_risk"
	SLABreached = "breached"
	SLAMet      = "met"
)

// Decision is the one JSON argument of every analyst decision. Sent through the codec
// server (the Temporal UI, the CLI with its codec endpoint), a Slack button or a call,
// it carries its sender's stamp (identity.Stamp): By may be left out, and a By naming
// someone else is refused. Without a stamp By is required, and recorded as declared
// (docs/identity-contract.md). Fields beyond By and Note belong to one decision each.
type Decision struct {
	identity.Stamp
	By       string `json:"by"`
	Note     string `json:"note,omitempty"`
	Verdict  string `json:"verdict,omitempty"`
	Severity string `json:"severity,omitempty"`
	Service  string `json:"service,omitempty"`
	Tickets  int    `json:"tickets,omitempty"`
	// Host narrows contain/release to one host of the incident; empty means all.
	Host string `json:"host,omitempty"`
	// Via says where the decision came from (ui, slack, phone), for the timeline.
	Via string `json:"via,omitempty"`
	// Page is the key of the page a phone keypress or Slack button answered: it tells
	// a customer's acknowledgement (their chain) from the SOC's.
	Page string `json:"page,omitempty"`
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

// SignalCallOutcome tells an incident how a call of its chain ended when no person
// pressed a key (no answer, busy, voicemail), so the chain moves on at once.
const SignalCallOutcome = "call_outcome"

// CallOutcome is the payload of SignalCallOutcome.
type CallOutcome struct {
	Key    string `json:"key"`
	To     string `json:"to"`
	Status string `json:"status"`
}
