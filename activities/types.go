package activities

import (
	"time"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/integrations/messages"
)

// HostAction asks to isolate or release one host of an incident.
type HostAction struct {
	Customer   string            `json:"customer"`
	Vendor     string            `json:"vendor"`
	IncidentID string            `json:"incident_id"`
	Host       integrations.Host `json:"host"`
}

// IndicatorAction asks to block or unblock an incident's indicators.
type IndicatorAction struct {
	Customer   string                   `json:"customer"`
	Vendor     string                   `json:"vendor"`
	IncidentID string                   `json:"incident_id"`
	Indicators []integrations.Indicator `json:"indicators"`
}

// InvestigateRequest asks the vendor what it knows about an alert.
type InvestigateRequest struct {
	Customer string             `json:"customer"`
	Vendor   string             `json:"vendor"`
	Alert    integrations.Alert `json:"alert"`
}

// WriteBackRequest sets the vendor's own status for the alert when we conclude.
type WriteBackRequest struct {
	Customer   string                  `json:"customer"`
	Vendor     string                  `json:"vendor"`
	Conclusion integrations.Conclusion `json:"conclusion"`
}

// Notification is one message to one contact: a page of the escalation chain, a
// breach page, or a status update. Key makes it idempotent: the same Key is
// delivered once, however often the activity is retried.
type Notification struct {
	Key      string `json:"key"`
	Customer string `json:"customer"`
	Language string `json:"language"`
	// Zone is the reader's IANA time zone; Audience is messages.AudienceSOC or
	// messages.AudienceCustomer.
	Zone     string         `json:"zone,omitempty"`
	Audience string         `json:"audience,omitempty"`
	Kind     string         `json:"kind"`
	Contact  config.Contact `json:"contact"`
	Incident Brief          `json:"incident"`
}

// Notification kinds.
const (
	KindPage   = "page"
	KindBreach = "breach"
	KindStatus = "status"
	KindNotice = "notice"
	KindReport = "report"
	// KindSOCNotice tells the SOC about no single incident (storm, outage, rule).
	KindSOCNotice = messages.KindSOCNotice
)

// Brief is the incident as a message tells it.
type Brief = messages.Brief

// Delivery says where a notification went and the channel's reference for it
// (email Message-ID, Slack ts, Twilio SID).
type Delivery struct {
	Channel string `json:"channel"`
	Address string `json:"address"`
	Ref     string `json:"ref"`
}

// ConsumeRequest asks the customer's Account to take option tickets for an incident.
// RequestID makes it exactly-once across retries and re-delivered decisions.
type ConsumeRequest struct {
	Customer  string `json:"customer"`
	Incident  string `json:"incident"`
	Service   string `json:"service"`
	Tickets   int    `json:"tickets"`
	By        string `json:"by"`
	RequestID string `json:"request_id"`
}

// IncidentSummary is what an incident reports to its customer's Account when it
// ends: the figures of the monthly report.
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
}

// ActiveIDs are the endpoints each vendor reported active for a customer's month
// ("2026-11"), recorded in the Account for the per_id plan's report.
type ActiveIDs struct {
	Customer string         `json:"customer,omitempty"`
	Month    string         `json:"month"`
	Counts   map[string]int `json:"counts"`
}

// MonthlyReport is a customer's month as the Account tells it: the `report` query,
// GET /v1/reports/{customer} and the report mailed on the 1st.
type MonthlyReport struct {
	Customer      string `json:"customer"`
	Month         string `json:"month"`
	Plan          string `json:"plan"`
	ContractedIDs int    `json:"contracted_ids,omitempty"`
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
}

// LotView is one lot of option tickets as a balance or a report shows it.
type LotView struct {
	Purchased string `json:"purchased"`
	Expires   string `json:"expires"`
	Count     int    `json:"count"`
	Used      int    `json:"used"`
	Expired   int    `json:"expired"`
	Remaining int    `json:"remaining"`
}

// Consumption is one use of tickets, recorded against the incident and the analyst.
type Consumption struct {
	At       time.Time `json:"at"`
	Incident string    `json:"incident"`
	Service  string    `json:"service"`
	Tickets  int       `json:"tickets"`
	By       string    `json:"by"`
	Lots     []string  `json:"lots"`
}
