// Package messages writes what people read and hear from xsoc, in the customer's
// language. Each language's words live in one file (en.go, ja.go); this file only
// puts them together for each channel.
package messages

import (
	"bytes"
	"text/template"
	"time"
)

// Brief is the incident as a message tells it: what happened, what we did, what we need.
// Times are absolute; the renderer shows them in the reader's Zone with its offset.
type Brief struct {
	WorkflowID   string   `json:"workflow_id"`
	CustomerName string   `json:"customer_name"`
	Vendor       string   `json:"vendor"`
	AlertID      string   `json:"alert_id"`
	Detection    string   `json:"detection"`
	Severity     string   `json:"severity"`
	State        string   `json:"state"`
	Verdict      string   `json:"verdict,omitempty"`
	Hosts        []string `json:"hosts"`
	Users        []string `json:"users,omitempty"`
	Site         string   `json:"site,omitempty"`
	// Audience is who reads it: AudienceSOC (analysts triaging every alert, with the
	// decision buttons and the Temporal UI link) or AudienceCustomer (the customer's
	// people, who hear about confirmed incidents and what we did on their side).
	Audience string `json:"audience,omitempty"`
	// Zone is the reader's IANA time zone (empty: UTC).
	Zone     string    `json:"zone,omitempty"`
	OpenedAt time.Time `json:"opened_at,omitzero"`
	// Done is what we did: actions, investigation, verdict.
	Done []Line `json:"done,omitempty"`
	// Need is what we need from the reader: NeedAcknowledge, NeedVerdict,
	// NeedCustomerDecision or empty.
	Need string `json:"need,omitempty"`
	// Recommend is what we recommend the customer does (detect-only customers
	// contain on our recommendation).
	Recommend *Line  `json:"recommend,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// Recent are the incident's last timeline lines.
	Recent []Line `json:"recent,omitempty"`
	// Changes are what a status update reports: every change since the last one.
	Changes []Line `json:"changes,omitempty"`
	// Policy says what the customer's policy already did (SOC pages).
	Policy string `json:"policy,omitempty"`
	// SOCName and SOCContact tell the customer how to reach the SOC.
	SOCName    string `json:"soc_name,omitempty"`
	SOCContact string `json:"soc_contact,omitempty"`
	// Parent is the incident or campaign this alert joined.
	Parent string `json:"parent,omitempty"`
	// Notice is set on account notices (KindNotice) instead of incident fields.
	Notice *TicketNotice `json:"notice,omitempty"`
	// Report is set on monthly reports (KindReport) instead of incident fields.
	Report *MonthReport `json:"report,omitempty"`
	// SOCNotice is set on notices to the SOC (KindSOCNotice): storms, vendor
	// outages, over-broad suppression rules.
	SOCNotice *SOCNotice `json:"soc_notice,omitempty"`
	// Request is set on messages about a customer request (KindRequest).
	Request *RequestNotice `json:"request,omitempty"`
}

// Audiences of a message.
const (
	AudienceSOC      = "soc"
	AudienceCustomer = "customer"
)

// What we need from the reader (Brief.Need).
const (
	NeedAcknowledge      = "acknowledge"
	NeedVerdict          = "verdict"
	NeedCustomerDecision = "customer_decision"
)

// Line is one timeline line. Text is the English line the workflow wrote; Kind and
// Args let a message say it in the reader's language (see LineKinds), falling back
// to Text for kinds a language does not know.
type Line struct {
	At   time.Time         `json:"at"`
	Kind string            `json:"kind"`
	By   string            `json:"by,omitempty"`
	Text string            `json:"text"`
	Args map[string]string `json:"args,omitempty"`
}

// LineKinds are the timeline kinds a message renders from Args in every language,
// with the Args each carries:
//
//	opened          vendor, alert, detection, hosts, severity
//	state           from, to
//	action          action (isolate|release|block|unblock), target, already ("true" when it was in place)
//	action_failed   action, target, error (the vendor's words)
//	investigated    summary (the vendor's words)
//	verdict         verdict, note
//	escalated       from, to
//	recommendation  action (isolate), hosts
//	acknowledged    tier (soc|customer), via
//	sla_breach      clock (ack|verdict|contain), due (RFC 3339)
//	joined          alert, detection, hosts, severity (a correlated alert joined this incident)
//	hosts_added     hosts
//	comment         note
//	suppressed      rule, reason
//	merged          parent
//	closed          state, note
var LineKinds = []string{"opened", "state", "action", "action_failed", "investigated", "verdict", "escalated",
	"recommendation", "acknowledged", "sla_breach", "joined", "hosts_added", "comment", "suppressed", "merged", "closed"}

// SOCNotice is a message to the SOC about no single incident.
type SOCNotice struct {
	// Topic is one of the SOCNotice topics below.
	Topic    string    `json:"topic"`
	Customer string    `json:"customer"`
	At       time.Time `json:"at"`
	// Storm: the alert counts of the digest's period, by detection and by host,
	// highest first, and the Temporal list query that shows them.
	Alerts      int       `json:"alerts,omitempty"`
	ByDetection []Tally   `json:"by_detection,omitempty"`
	ByHost      []Tally   `json:"by_host,omitempty"`
	ListQuery   string    `json:"list_query,omitempty"`
	Since       time.Time `json:"since,omitzero"`
	// Outage: the vendor and its last error.
	Vendor string `json:"vendor,omitempty"`
	Error  string `json:"error,omitempty"`
	// Rule: the suppression rule, its reason and how many alerts it matched in the hour.
	Rule   string `json:"rule,omitempty"`
	Count  int    `json:"count,omitempty"`
	Detail string `json:"detail,omitempty"`
	// First fetch: of the Alerts a new poller fetched since Since, those that were
	// already known (pushed, or fetched before) and so started no incident; Storm says
	// that the new ones were so many that they are an alert storm.
	Known int  `json:"known,omitempty"`
	Storm bool `json:"storm,omitempty"`
}

// SOCNotice topics.
const (
	TopicStormStarted  = "storm_started"
	TopicStormDigest   = "storm_digest"
	TopicStormEnded    = "storm_ended"
	TopicOutage        = "vendor_outage"
	TopicRecovered     = "vendor_recovered"
	TopicRuleOverBroad = "rule_over_broad"
	TopicCancelled     = "incident_cancelled"
	TopicFirstFetch    = "first_fetch"
)

// TicketNotice tells the customer about option tickets about to expire or expired.
type TicketNotice struct {
	Expired   bool   `json:"expired"`
	Count     int    `json:"count"`
	Purchased string `json:"purchased"`
	Expires   string `json:"expires"`
}

// MonthReport is a customer's monthly report as a message tells it; the full figures
// (lots, consumptions, SLA by clock) are in the reports API's JSON and CSV.
type MonthReport struct {
	Month string `json:"month"`
	// Start and End bound the month in the customer's zone: they are written with
	// its offset.
	Start         time.Time `json:"start,omitzero"`
	End           time.Time `json:"end,omitzero"`
	Plan          string    `json:"plan"`
	ContractedIDs int       `json:"contracted_ids,omitempty"`
	// ActiveIDs are the active endpoints by vendor (per_id plan); nil when the
	// vendors could not be asked.
	ActiveIDs        []Tally `json:"active_ids,omitempty"`
	ActiveTotal      int     `json:"active_total,omitempty"`
	Incidents        int     `json:"incidents"`
	BySeverity       []Tally `json:"by_severity,omitempty"`
	Billable         int     `json:"billable"`
	NotBillable      int     `json:"not_billable"`
	SLABreached      int     `json:"sla_breached"`
	TicketsBought    int     `json:"tickets_bought"`
	TicketsUsed      int     `json:"tickets_used"`
	TicketsExpired   int     `json:"tickets_expired"`
	TicketsRemaining int     `json:"tickets_remaining"`
	// Suppressed counts the alerts each suppression rule closed, most first; IdleRules
	// are the active rules without a hit in 30 days.
	Suppressed []Tally  `json:"suppressed,omitempty"`
	IdleRules  []string `json:"idle_rules,omitempty"`
	// OpenAtEnd counts the incidents still open when the month ended, and names the
	// first of them (OpenAtEndNames); TicketsConverted the tickets converted to
	// another service in the month.
	OpenAtEnd        int      `json:"open_at_end,omitempty"`
	OpenAtEndNames   []string `json:"open_at_end_names,omitempty"`
	TicketsConverted int      `json:"tickets_converted,omitempty"`
}

// Tally is one named count, in the order a message lists it.
type Tally struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Plans are the billing plans a report names.
const (
	PlanPerID       = "per_id"
	PlanPerResponse = "per_response"
)

// Kinds of message.
const (
	KindPage   = "page"
	KindBreach = "breach"
	KindStatus = "status"
	// KindNotice is a message about the customer's account (tickets), not an incident.
	KindNotice = "notice"
	// KindReport is the customer's monthly report, mailed on the 1st.
	KindReport = "report"
	// KindSOCNotice tells the SOC about no single incident (storm, outage, rule).
	KindSOCNotice = "soc_notice"
)

// words is one language's vocabulary and sentence templates. Templates keyed by kind
// may have a variant for one audience under "kind/audience" (see pick).
type words struct {
	sayLanguage string
	// stamp is how a time of day is written in full (time.Format layout, with the
	// zone and its offset); lineTime and lineDay write a timeline line's time, the
	// day only when it is not the incident's first day.
	stamp, lineTime, lineDay string
	subject                  map[string]string // by kind; text/template over view
	lead                     map[string]string // first sentence, by kind
	need                     map[string]string // what we need, by Brief.Need (and audience)
	speech, sms              map[string]string // by kind (and audience); text/template over view
	// theSOC names the SOC when the customers file gives it no name.
	theSOC string
	// separator joins timeline lines said in one sentence (SMS, speech); fullStop
	// ends a line said as a sentence of its own.
	separator, fullStop string
	labels              labels
	lines               map[string]string      // timeline lines by kind or kind.variant; text/template over line args
	notices             map[string]noticeWords // by SOCNotice topic
	// speechIntro opens a call about a SOC notice: who is calling.
	speechIntro string
	noInput     string
	// phone answers after a key press: acknowledged, not acknowledged, incident over.
	phoneAcknowledged, phoneDeclined, phoneClosed string
	buttons                                       map[string]string
	report                                        reportWords
	// phoneReopened answers a key press on a call an earlier run of a re-opened
	// incident placed.
	phoneReopened string
	// phoneRefused answers a key press on a call answered at a number the chain did
	// not dial.
	phoneRefused string
}

// noticeWords tell the SOC about one SOCNotice topic: subject and lead in full (with
// times), short for SMS and speech (without).
type noticeWords struct {
	subject, lead, short string
}

// reportWords are the monthly report's words. Its subject and lead live in subject
// and lead under KindReport, as text/templates over reportView.
type reportWords struct {
	labels reportLabels
	plans  map[string]string // by plan name
	// tickets, overUse and noActiveCount are text/templates over reportView. The
	// last two follow the lead sentence as written: English opens them with a space.
	tickets, overUse, noActiveCount string
}

type reportLabels struct {
	Month, Period, Plan, ContractedIDs, ActiveIDs, Billable, NotBillable, Incidents, SLABreached, Tickets string
	Suppressed, IdleRules                                                                                 string
	// OpenAtEnd lists the incidents still open when the month ended; Converted the
	// option tickets converted to another service in it.
	OpenAtEnd, Converted string
}

type labels struct {
	Customer, Detection, Severity, Hosts, Users, Site, Opened, State, Verdict, Parent, Policy, Reason string
	Done, Need, NeedYou, Contact, Changes, Recent, Open, OpenList                                     string
	// SOC notices.
	When, Since, Alerts, ByDetection, ByHost, ListQuery, Vendor, Error, Rule, Matched, Incident, Known string
}

var languages = map[string]words{"en": english, "ja": japanese}

func wordsFor(language string) words {
	if w, ok := languages[language]; ok {
		return w
	}
	return english
}

// pick answers the template of a kind for an audience: its audience variant, else
// the kind's own, else the page's (a kind a language has no words for reads as a page).
func pick(templates map[string]string, kind, audience string) string {
	for _, key := range []string{kind + "/" + audience, kind, KindPage + "/" + audience, KindPage} {
		if t, ok := templates[key]; ok {
			return t
		}
	}
	return ""
}

// Message is one message rendered for every channel.
type Message struct {
	Subject     string
	Text        string
	HTML        string
	Slack       string
	Speech      string
	NoInput     string
	SayLanguage string
	SMS         string
}

// Render writes the message of a kind in a language for the reader the brief names
// (Audience, Zone). link is the SOC's Temporal UI page for it (the incident, or the
// list a storm digest names); only SOC messages show it: the customer has no access
// to the Temporal UI, so customer messages, ticket notices and reports link nowhere.
func Render(language, kind string, b Brief, link string) Message {
	w := wordsFor(language)
	switch {
	case kind == KindReport && b.Report != nil:
		return w.renderReport(b.CustomerName, *b.Report)
	case kind == KindNotice:
		v := view{Brief: b}
		return letter{subject: fill(w.subject[KindNotice], v), lead: fill(w.lead[KindNotice], v)}.message(w)
	case kind == KindSOCNotice && b.SOCNotice != nil:
		return w.socNotice(b, link)
	}
	if kind == KindRequest && b.Request != nil {
		return renderRequest(language, b, link)
	}
	return w.incident(kind, b, link)
}

// Reader answers who reads the brief: AudienceCustomer, or AudienceSOC for any
// other Audience. A brief without one is read by analysts, as every page was before
// the two audiences, so incidents started before them keep their pages.
func (b Brief) Reader() string {
	if b.Audience == AudienceCustomer {
		return AudienceCustomer
	}
	return AudienceSOC
}

func fill(source string, data any) string {
	// Must: the templates are this package's own words, parsed by its tests.
	t := template.Must(template.New("").Option("missingkey=zero").Parse(source))
	var out bytes.Buffer
	if err := t.Execute(&out, data); err != nil {
		return source
	}
	return out.String()
}

// Phone answers after a key press, in the customer's language.
type Phone struct {
	Acknowledged, Declined, Closed, SayLanguage string
	// Reopened: the call was placed by an earlier run of an incident re-opened since.
	Reopened string
	// Refused: the call was answered at a number the chain did not dial.
	Refused string
}

// PhoneAnswers answers what a call says once a key was pressed.
func PhoneAnswers(language string) Phone {
	w := wordsFor(language)
	return Phone{Acknowledged: w.phoneAcknowledged, Declined: w.phoneDeclined, Closed: w.phoneClosed, Reopened: w.phoneReopened,
		Refused: w.phoneRefused, SayLanguage: w.sayLanguage}
}

// ButtonLabels answers the Slack button labels by decision.
func ButtonLabels(language string) map[string]string { return wordsFor(language).buttons }
