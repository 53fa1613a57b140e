package api

import (
	"fmt"
	"time"

	"xsoc/integrations"
)

// TriageInput starts a customer's Triage (the triage package's Input carries its state
// over when it continues as new).
type TriageInput struct {
	Customer string         `json:"customer"`
	Settings TriageSettings `json:"settings"`
}

// TriageSettings are the SOC's triage settings and what a campaign incident needs
// of the customer.
type TriageSettings struct {
	StormPerMinute int           `json:"storm_per_minute"`
	DigestEvery    time.Duration `json:"digest_every"`
	CampaignHosts  int           `json:"campaign_hosts"`
	CampaignWindow time.Duration `json:"campaign_window"`
	NotifyOver     int           `json:"notify_over"`
	QAEvery        int           `json:"qa_every"`
	// Policy is the customer's policy, for the campaign incidents triage opens.
	Policy Policy `json:"policy"`
	// SignalsInFlight is the most signals triage keeps out at once (hand-overs wait
	// beyond it): half the server's limit.numPendingSignals.error, from
	// XSOC_SERVER_PENDING_SIGNALS_LIMIT; DefaultSignalsInFlight when unset.
	SignalsInFlight int `json:"signals_in_flight,omitempty"`
}

// DefaultSignalsInFlight is half the Temporal server's default limit of signals in
// flight from one workflow (limit.numPendingSignals.error, 2,000): the other half is
// room for the answers and joins triage sends without waiting.
const DefaultSignalsInFlight = 1000

// Admission is what a new incident tells triage about its alert.
type Admission struct {
	Incident string `json:"incident"`
	// Customer names the triage to ask (an admission by Signal goes to it already).
	Customer string `json:"customer,omitempty"`
	// Run is the incident's run (admissions by Update).
	Run        string                   `json:"run,omitempty"`
	Vendor     string                   `json:"vendor"`
	AlertID    string                   `json:"alert_id"`
	Detection  string                   `json:"detection"`
	Severity   integrations.Severity    `json:"severity"`
	Hosts      []integrations.Host      `json:"hosts"`
	Users      []string                 `json:"users,omitempty"`
	Indicators []integrations.Indicator `json:"indicators,omitempty"`
	Site       string                   `json:"site,omitempty"`
	At         time.Time                `json:"at"`
	// Gone is the incident an earlier answer told this one to join, which turned out
	// to be over: triage forgets it as an owner and decides again.
	Gone string `json:"gone,omitempty"`
	// HandOver says the incident takes an answer "merged, handed over": triage hands
	// its alert to the parent itself (in a batch with others), and the incident closes
	// as merged at once, without a join round trip of its own.
	HandOver bool `json:"hand_over,omitempty"`
	// AnswerLate says the incident takes a late answer by Signal: when triage is
	// busy, the worker answers TriagePending before the incident's local activity
	// runs out of time, and signals triage's answer (TriageAnswer.Asked) when it comes.
	AnswerLate bool `json:"answer_late,omitempty"`
}

// Validate names the first field an admission cannot go without.
func (a Admission) Validate() error {
	if a.Incident == "" {
		return fmt.Errorf("admission without its incident's workflow id (field incident)")
	}
	if a.AlertID == "" {
		return fmt.Errorf("admission of incident %s without its alert id (field alert_id)", a.Incident)
	}
	return nil
}

// MaxAdmissionBatch bounds an admission batch: its payload (an admission is about
// 1 KiB with its hosts) stays far below the server's 2 MiB limit on a request.
const MaxAdmissionBatch = 200

// AdmissionBatch is the admissions of one customer asked at the same moment
// (UpdateAdmitBatch).
type AdmissionBatch struct {
	Admissions []Admission `json:"admissions"`
}

// Validate refuses an empty or oversized batch, or one with an admission that
// cannot be decided, naming it.
func (b AdmissionBatch) Validate() error {
	if len(b.Admissions) == 0 {
		return fmt.Errorf("an admission batch without admissions")
	}
	if len(b.Admissions) > MaxAdmissionBatch {
		return fmt.Errorf("an admission batch of %d admissions: at most %d", len(b.Admissions), MaxAdmissionBatch)
	}
	for i, a := range b.Admissions {
		if err := a.Validate(); err != nil {
			return fmt.Errorf("admission %d of the batch: %w", i+1, err)
		}
	}
	return nil
}

// Triage's decisions.
const (
	TriageOwn        = "own"
	TriageSuppressed = "suppressed"
	TriageMerged     = "merged"
	TriageQASample   = "qa_sample"
	// TriagePending is not triage's answer but the worker's: the question waits at a
	// busy triage, and the answer comes by Signal (Admission.AnswerLate).
	TriagePending = "pending"
)

// TriageAnswer tells an incident what it is.
type TriageAnswer struct {
	Decision string `json:"decision"`
	// Rule is the suppression rule that matched (suppressed, qa_sample).
	Rule *Rule `json:"rule,omitempty"`
	// Parent is the incident or campaign to join (merged).
	Parent string `json:"parent,omitempty"`
	// Quiet tells an own incident not to page the SOC by itself: the customer is in
	// an alert storm and the SOC gets digests instead.
	Quiet bool `json:"quiet,omitempty"`
	// Why is the answer in a sentence, for the incident's timeline.
	Why string `json:"why"`
	// HandedOver (merged): triage hands the alert to Parent itself; the incident
	// closes as merged at once.
	HandedOver bool `json:"handed_over,omitempty"`
	// Asked is the question answered (its admission's Update id) when a worker
	// delivers, by Signal, the answer to an incident that stopped waiting for it: an
	// incident takes only the answer to the question it asked last.
	Asked string `json:"asked,omitempty"`
}

// JoinedAlerts are alerts triage hands to the open incident or campaign they join,
// in one Signal (SignalJoinedAlerts): their own incidents closed as merged already.
type JoinedAlerts struct {
	Alerts []JoinedAlert `json:"alerts"`
}

// ReopenRequest asks to start again, as incidents of their own, alerts that were
// handed to a parent that could not take them (it was over): they are decided afresh.
type ReopenRequest struct {
	Customer string        `json:"customer"`
	Parent   string        `json:"parent"`
	Why      string        `json:"why"`
	Alerts   []JoinedAlert `json:"alerts"`
}

// MembersWriteBack asks to write a parent's verdict back to the vendor alerts of every
// incident that joined it, as visibility lists them (XsocParent): a campaign of
// thousands keeps only the latest of its members in its state.
type MembersWriteBack struct {
	Customer string `json:"customer"`
	Parent   string `json:"parent"`
	Verdict  string `json:"verdict"`
	Note     string `json:"note,omitempty"`
	By       string `json:"by"`
}

// Closure tells triage an incident that owned hosts is over.
type Closure struct {
	Incident string `json:"incident"`
	// Run is the incident's first run ("" from incidents before round 3).
	Run string `json:"run,omitempty"`
}

// JoinRequest asks an open incident to join a campaign.
type JoinRequest struct {
	Parent string `json:"parent"`
	Why    string `json:"why"`
}

// RuleRef is the suppression rule an incident was closed (or sampled) by.
type RuleRef struct {
	ID         string `json:"id"`
	Reason     string `json:"reason"`
	By         string `json:"by"`
	ApprovedBy string `json:"approved_by"`
}

// JoinedAlert is an alert handed to the open incident (or campaign) it joins, with
// what its own incident held contained, which the parent now holds.
type JoinedAlert struct {
	Incident  string             `json:"incident"`
	Vendor    string             `json:"vendor"`
	Alert     integrations.Alert `json:"alert"`
	Contained []string           `json:"contained,omitempty"`
	// Blocked are the indicators its incident blocked through its vendor, and Carried
	// those it held from alerts that had joined it: the parent holds them now.
	Blocked []integrations.Indicator `json:"blocked,omitempty"`
	Carried []CarriedBlock           `json:"carried,omitempty"`
	Why     string                   `json:"why"`
	// Run is the run of the incident triage answered "merged, handed over", which
	// closes in its first workflow task: one re-opening the alert waits for that run to
	// close rather than take it for a newer run that handles the alert. Alerts an
	// incident joined itself have none: that incident stays open until the parent
	// answers, and handles the alert itself when it cannot join.
	Run string `json:"run,omitempty"`
}

// JoinAnswer is the parent's answer to a joined alert.
type JoinAnswer struct {
	Accepted bool   `json:"accepted"`
	Why      string `json:"why,omitempty"`
}

// JoinedRef is an alert that joined this incident.
type JoinedRef struct {
	Incident  string                `json:"incident"`
	Vendor    string                `json:"vendor"`
	AlertID   string                `json:"alert_id"`
	Detection string                `json:"detection"`
	Severity  integrations.Severity `json:"severity"`
	At        time.Time             `json:"at"`
}

// CampaignInfo marks a campaign incident: what its members share.
type CampaignInfo struct {
	Key     string   `json:"key"`
	Members []string `json:"members"`
}

// IncidentRun names one incident's run chain: its workflow id and its first run.
type IncidentRun struct {
	WorkflowID string `json:"workflow_id"`
	// FirstRun is the run that started the chain ("" for whatever runs now).
	FirstRun string `json:"first_run,omitempty"`
}

// Liveness is what IncidentAlive found.
type Liveness struct {
	Alive bool `json:"alive"`
	// Why says what was found, for the log and the incident's timeline.
	Why string `json:"why"`
}

// SignalConfigure hands a running Triage the settings of the customers file the
// worker started with.
const SignalConfigure = "configure"

// SignalHandOver asks Tuning to hand Triage the rules in force again.
const SignalHandOver = "hand_over"

// ErrorTriageContinuing is the type of the error triage refuses an admission with
// while it continues as new: the worker asks again a moment later, and the new run
// answers. Its name does not start with "Triage", which marks refusals that make the
// incident page as a new one (start.TriageRefused).
const ErrorTriageContinuing = "ContinuingAsNew"
