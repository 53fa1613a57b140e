package api

import (
	"time"

	"xsoc/config"
	"xsoc/identity"
)

// AccountInput starts a customer's Account (the account package's Input carries its
// state over when it continues as new). Purchases are the lots of the customers file,
// merged in on every worker start.
type AccountInput struct {
	Customer  string        `json:"customer"`
	Plan      string        `json:"plan,omitempty"`
	IDs       int           `json:"ids,omitempty"`
	Purchases []config.Lot  `json:"purchases,omitempty"`
	Notify    AccountNotify `json:"notify"`
	// Timezone is the customer's IANA zone: its billing months run from the 1st
	// 00:00 to the 1st 00:00 there, and its lots end at midnight there.
	Timezone string `json:"timezone,omitempty"`
}

// AccountSettings is what the Account knows of the customer from the customers file:
// the `settings` signal's argument, sent on every worker start so that a running
// Account follows the file.
type AccountSettings struct {
	Plan     string        `json:"plan"`
	IDs      int           `json:"ids"`
	Notify   AccountNotify `json:"notify"`
	Timezone string        `json:"timezone"`
}

// AccountNotify says how to tell the customer about their tickets.
type AccountNotify struct {
	CustomerName string           `json:"customer_name"`
	Language     string           `json:"language"`
	Contacts     []config.Contact `json:"contacts,omitempty"`
}

// Balance answers the `balance` query.
type Balance struct {
	Remaining int       `json:"remaining"`
	Lots      []LotView `json:"lots"`
}

// ConsumeRequest, the `consume` Update's argument, asks the customer's Account to take option tickets for an incident.
// RequestID makes it exactly-once across retries and re-delivered decisions.
//
// A person's consume carries their stamp; an incident's use_tickets and a request's
// accept pass their decision's stamp on, so the Account records the same author.
type ConsumeRequest struct {
	identity.Stamp
	Customer  string `json:"customer"`
	Incident  string `json:"incident"`
	Service   string `json:"service"`
	Tickets   int    `json:"tickets"`
	By        string `json:"by"`
	RequestID string `json:"request_id"`
}

// IncidentSummary, the `record_incident` Update's argument, is what an incident reports to its customer's Account when it
// ends: the figures of the monthly report and of the managers' view.
type IncidentSummary struct {
	Customer string            `json:"customer"`
	Incident string            `json:"incident"`
	Vendor   string            `json:"vendor"`
	Severity string            `json:"severity"`
	State    string            `json:"state"`
	Verdict  string            `json:"verdict,omitempty"`
	OpenedAt time.Time         `json:"opened_at"`
	ClosedAt time.Time         `json:"closed_at"`
	Billable bool              `json:"billable"`
	Clocks   map[string]string `json:"clocks"`
	// DetectedAt is when the vendor detected the alert (ingest lag).
	DetectedAt time.Time `json:"detected_at,omitzero"`
	// AcknowledgedAt is the triaging tier's acknowledgement, VerdictAt the verdict
	// (a rule's, for a suppressed alert), ContainedAt the vendor's confirmation that
	// the containment holds: zero when it did not happen.
	AcknowledgedAt time.Time `json:"acknowledged_at,omitzero"`
	VerdictAt      time.Time `json:"verdict_at,omitzero"`
	ContainedAt    time.Time `json:"contained_at,omitzero"`
	// BreachedAt is when each breached clock ran out.
	BreachedAt map[string]time.Time `json:"breached_at,omitempty"`
	// Rule is the suppression rule that closed the incident (or sampled it for QA);
	// Parent the incident or campaign its alert was merged into.
	Rule   string `json:"rule,omitempty"`
	Parent string `json:"parent,omitempty"`
	// CustomerPaged: the customer's own chain paged them; CustomerCalled: by phone.
	CustomerPaged  bool `json:"customer_paged,omitempty"`
	CustomerCalled bool `json:"customer_called,omitempty"`
}

// ActiveIDs, the `record_active_ids` Update's argument, are the endpoints each vendor reported active for a customer's month
// ("2026-11"), recorded in the Account for the per_id plan's report.
type ActiveIDs struct {
	Customer string         `json:"customer,omitempty"`
	Month    string         `json:"month"`
	Counts   map[string]int `json:"counts"`
}

// Report is a customer's month as the Account tells it: the answer of the `report`
// query, of GET /v1/reports/{customer}, and what SendMonthlyReport (workflow type
// "MonthlyReport") mails on the 1st.
type Report struct {
	Customer string `json:"customer"`
	Month    string `json:"month"`
	// Timezone is the customer's zone, where the month runs from Start (the 1st at
	// 00:00) to End (the next 1st at 00:00), both written with the zone's offset.
	Timezone      string    `json:"timezone"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	Plan          string    `json:"plan"`
	ContractedIDs int       `json:"contracted_ids,omitempty"`
	// ActiveIDs are the endpoints each vendor reported active (per_id plan), and
	// ActiveTotal their sum: above ContractedIDs is over-use.
	ActiveIDs         map[string]int            `json:"active_ids,omitempty"`
	ActiveTotal       int                       `json:"active_total,omitempty"`
	Incidents         int                       `json:"incidents"`
	BillableResponses int                       `json:"billable_responses"`
	NotBillable       int                       `json:"not_billable"`
	BySeverity        map[string]int            `json:"by_severity"`
	ByVerdict         map[string]int            `json:"by_verdict"`
	SLA               map[string]map[string]int `json:"sla"`
	TicketsBought     int                       `json:"tickets_bought"`
	TicketsUsed       int                       `json:"tickets_used"`
	TicketsExpired    int                       `json:"tickets_expired"`
	TicketsRemaining  int                       `json:"tickets_remaining"`
	Lots              []LotView                 `json:"lots"`
	Consumptions      []Consumption             `json:"consumptions"`
	// Requests counts the customer requests that ended in the month by kind and state
	// ({"isolate": {"done": 2, "declined": 1}}); RequestsAck how their ack clocks ended.
	Requests    map[string]map[string]int `json:"requests,omitempty"`
	RequestsAck map[string]int            `json:"requests_ack,omitempty"`
	// ByRule counts the alerts each suppression rule closed in the month (they count
	// in Incidents, and are not billable); IdleRules are the active rules without a
	// hit in the last 30 days — a rule nobody needs any more should be retired.
	ByRule    map[string]int `json:"by_rule,omitempty"`
	IdleRules []string       `json:"idle_rules,omitempty"`
	// Figures are the month as the managers' view shows it (GET /v1/sla): the
	// funnel, the durations, the breaches, each Severity's share, the requests.
	Figures MonthPerformance `json:"figures"`
	// OpenAtEnd are the incidents still open when the month ended (the first
	// openAtEndLimit, oldest first); OpenAtEndCount counts them all.
	OpenAtEnd      []OpenAtEnd `json:"open_at_end"`
	OpenAtEndCount int         `json:"open_at_end_count"`
	// TicketsConverted counts the tickets converted to another service in the month;
	// Conversions lists the conversions.
	TicketsConverted int          `json:"tickets_converted"`
	Conversions      []Conversion `json:"conversions"`
}

// LotView is one lot of option tickets as a balance or a report shows it: Count is
// Used + Converted + Expired (unused at expiry, not converted since) + Remaining.
// Lot names it for convert_tickets; ConvertibleUntil is the last moment its unused
// tickets may be converted.
type LotView struct {
	Lot              string    `json:"lot"`
	Purchased        string    `json:"purchased"`
	Expires          string    `json:"expires"`
	Count            int       `json:"count"`
	Used             int       `json:"used"`
	Converted        int       `json:"converted"`
	Expired          int       `json:"expired"`
	Remaining        int       `json:"remaining"`
	ConvertibleUntil time.Time `json:"convertible_until,omitzero"`
}

// Consumption is one use of tickets, recorded against the incident and the analyst.
type Consumption struct {
	At       time.Time `json:"at"`
	Incident string    `json:"incident"`
	Service  string    `json:"service"`
	Tickets  int       `json:"tickets"`
	By       string    `json:"by"`
	// Verified: By is proven (Via: token, sso, slack, call); else declared.
	Verified bool     `json:"verified"`
	Via      string   `json:"via,omitempty"`
	Lots     []string `json:"lots"`
}

// Durations measured from each incident, each from the incident's opening except ingest
// and the customer's acknowledgement.
const (
	// DurationIngest: the vendor's detection → the incident opened.
	DurationIngest = "ingest"
	// DurationAck: opened → acknowledged by the triaging tier (MTTA).
	DurationAck = "ack"
	// DurationCustomerAck: the customer first paged by their own chain → the customer
	// acknowledged (with a SOC in front of them).
	DurationCustomerAck = "customer_ack"
	// DurationVerdict: opened → an analyst's verdict.
	DurationVerdict = "verdict"
	// DurationContain: opened → the vendor confirmed the containment.
	DurationContain = "contain"
	// DurationResolve: opened → closed (MTTR).
	DurationResolve = "resolve"
)

// DurationNames lists the durations in the order a page shows them.
var DurationNames = []string{DurationIngest, DurationAck, DurationCustomerAck, DurationVerdict, DurationContain, DurationResolve}

// SeverityDurationNames are the durations each Severity's share of a month shows.
var SeverityDurationNames = []string{DurationAck, DurationCustomerAck, DurationVerdict, DurationContain, DurationResolve}

// TrendMonths is how many months the performance query answers, the asked one last;
// the Account keeps the duration samples of as many months.
const TrendMonths = 6

// TimeToAckBuckets are the upper bounds, in seconds, of the time-to-acknowledge
// histogram the Account keeps over its whole life (the starter's Prometheus
// histogram). Changing them starts the histogram over in every Account.
var TimeToAckBuckets = []float64{30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400}

// Funnel is where a month's alerts went: in, closed by a suppression rule, merged into
// another incident, handled by the SOC (or the customer's triage), confirmed as true
// positives, and how many of those the customer was paged and phoned for.
type Funnel struct {
	AlertsIn       int `json:"alerts_in"`
	Suppressed     int `json:"suppressed"`
	Merged         int `json:"merged"`
	Handled        int `json:"handled"`
	Confirmed      int `json:"confirmed"`
	CustomerPaged  int `json:"customer_paged"`
	CustomerCalled int `json:"customer_called"`
}

// Breach is one SLA clock an incident breached.
type Breach struct {
	Incident string    `json:"incident"`
	Clock    string    `json:"clock"`
	Severity string    `json:"severity"`
	At       time.Time `json:"at"`
}

// Quantiles sum one duration up over a month: the nearest-rank median and 90th
// percentile of the durations kept (every one when Sampled equals Count).
type Quantiles struct {
	Count         int     `json:"count"`
	Sampled       int     `json:"sampled"`
	MedianSeconds float64 `json:"median_seconds"`
	P90Seconds    float64 `json:"p90_seconds"`
}

// Histogram counts durations in TimeToAckBuckets (cumulative, as Prometheus reads them).
type Histogram struct {
	Buckets    []uint64 `json:"buckets"`
	Count      uint64   `json:"count"`
	SumSeconds float64  `json:"sum_seconds"`
}

// Performance answers the performance query: one month in full and the trend of the
// TrendMonths months ending with it (oldest first, without their breach lists).
type Performance struct {
	Customer string             `json:"customer"`
	Timezone string             `json:"timezone"`
	Month    MonthPerformance   `json:"month"`
	Trend    []MonthPerformance `json:"trend"`
	// TimeToAck is the histogram of every acknowledgement by the triaging tier the
	// Account recorded, TimeToCustomerAck of the customers' own; BreachTotals the
	// breaches by clock, also over the Account's life. Each counts when it happens.
	TimeToAck         Histogram      `json:"time_to_ack"`
	TimeToCustomerAck Histogram      `json:"time_to_customer_ack"`
	BreachTotals      map[string]int `json:"breach_totals"`
}

// MonthPerformance is one month of a customer as managers see it, from Start to End
// in the customer's zone: each figure counts in the month its moment fell in (an
// alert when it came in, an acknowledgement when it was given, a breach when its
// clock ran out, a close when the incident concluded).
type MonthPerformance struct {
	Month     string                    `json:"month"`
	Start     time.Time                 `json:"start"`
	End       time.Time                 `json:"end"`
	Incidents int                       `json:"incidents"`
	Funnel    Funnel                    `json:"funnel"`
	Durations map[string]Quantiles      `json:"durations"`
	SLA       map[string]map[string]int `json:"sla"`
	// BreachesByClock counts the month's breaches by clock; Breaches lists them (the
	// first breachListLimit).
	BreachesByClock map[string]int `json:"breaches_by_clock"`
	Breaches        []Breach       `json:"breaches,omitempty"`
	// RuleHits counts the alerts each suppression rule closed in the month.
	RuleHits map[string]int `json:"rule_hits"`
	// BySeverity is each Severity's share of the month.
	BySeverity map[string]SeverityPerformance `json:"by_severity"`
	// Requests are the month's customer requests; TicketsConverted the option
	// tickets converted to another service in it (convert_tickets).
	Requests         RequestFigures `json:"requests"`
	TicketsConverted int            `json:"tickets_converted"`
	// CountedAtConclusion is set on a month the Account counted (at least in part)
	// before it counted live: its incidents counted when they concluded, its figures
	// by Severity are empty.
	CountedAtConclusion bool `json:"counted_at_conclusion,omitempty"`
}

// MonthlyReportInput is what a customer's report schedule starts SendMonthlyReport
// with: the customer as the customers file described it when the worker last started.
type MonthlyReportInput struct {
	Customer string        `json:"customer"`
	Plan     string        `json:"plan"`
	Notify   AccountNotify `json:"notify"`
	// Timezone is the customer's zone, where the schedule fires and the month runs
	// (UTC when empty: schedules made before zones).
	Timezone string `json:"timezone,omitempty"`
}

// RequestSummary is what a customer request reports to its customer's Account when
// it ends: the monthly report counts requests by kind and state.
type RequestSummary struct {
	Customer string    `json:"customer"`
	Request  string    `json:"request"`
	Kind     string    `json:"kind"`
	State    string    `json:"state"`
	Urgent   bool      `json:"urgent,omitempty"`
	OpenedAt time.Time `json:"opened_at"`
	ClosedAt time.Time `json:"closed_at"`
	// Ack is how the request's ack clock ended (met, breached, not_needed).
	Ack string `json:"ack,omitempty"`
	// AcceptedAt is when the SOC accepted the request (time to accept), zero when it
	// did not.
	AcceptedAt time.Time `json:"accepted_at,omitzero"`
}
