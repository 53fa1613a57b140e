// Package messages writes what people read and hear from xsoc, in the customer's
// language. Each language's words live in one file (en.go, ja.go); this file only
// puts them together for each channel.
package messages

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"text/template"
	"time"
)

// Brief is the incident as a message tells it: what happened, what we did, what we need.
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
	Done         []string `json:"done,omitempty"`
	Need         string   `json:"need,omitempty"`
	Reason       string   `json:"reason,omitempty"`
	Recent       []string `json:"recent,omitempty"`
	// Notice is set on account notices (KindNotice) instead of incident fields.
	Notice *TicketNotice `json:"notice,omitempty"`
	// Report is set on monthly reports (KindReport) instead of incident fields.
	Report *MonthReport `json:"report,omitempty"`
	// Outage is set on vendor outage notices to the SOC (KindOutage, KindOutageOver).
	Outage *PlatformOutage `json:"outage,omitempty"`
}

// PlatformOutage tells the SOC that a customer's vendor platform cannot be polled
// (KindOutage), or can be again (KindOutageOver). Times are in the reader's zone.
type PlatformOutage struct {
	Vendor   string    `json:"vendor"`
	Since    time.Time `json:"since"`
	Error    string    `json:"error"`
	Failures int       `json:"failures"`
	// Over is when polling worked again (KindOutageOver).
	Over time.Time `json:"over,omitzero"`
}

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
	// KindOutage tells the SOC that a vendor platform cannot be polled, and
	// KindOutageOver that it can again.
	KindOutage     = "outage"
	KindOutageOver = "outage_over"
)

// words is one language's vocabulary and sentence templates.
type words struct {
	sayLanguage string
	subject     map[string]string // by kind; text/template over view
	lead        map[string]string // first sentence, by kind
	need        map[string]string // what we need, by Brief.Need
	labels      labels
	speech      string // text/template over view
	noInput     string
	// phone answers after a key press: acknowledged, not acknowledged, incident over.
	phoneAcknowledged, phoneDeclined, phoneClosed string
	buttons                                       map[string]string
	sms                                           string // text/template over view
	report                                        reportWords
	outage                                        outageWords
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
}

type labels struct {
	Customer, Detection, Severity, Hosts, Users, Site, State, Verdict, Done, Need, Recent, Open, Reason string
}

var languages = map[string]words{"en": english, "ja": japanese}

func wordsFor(language string) words {
	if w, ok := languages[language]; ok {
		return w
	}
	return english
}

// view is what templates see: the brief plus derived strings.
type view struct {
	Brief
	SEVERITY string
	HostList string
	Link     string
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

// Render writes the message of a kind about an incident in a language. uiURL links
// to the incident in the Temporal UI.
func Render(language, kind string, b Brief, link string) Message {
	w := wordsFor(language)
	if kind == KindReport && b.Report != nil {
		return w.renderReport(b.CustomerName, *b.Report)
	}
	if (kind == KindOutage || kind == KindOutageOver) && b.Outage != nil {
		return w.renderOutage(kind, b.CustomerName, *b.Outage, link)
	}
	v := view{Brief: b, SEVERITY: strings.ToUpper(b.Severity), HostList: strings.Join(b.Hosts, ", "), Link: link}
	lead := fill(w.lead[kind], v)
	rows := w.rows(v)
	if kind == KindNotice {
		rows = nil
	}
	var text strings.Builder
	text.WriteString(lead + "\n\n")
	for _, r := range rows {
		fmt.Fprintf(&text, "%s: %s\n", r[0], r[1])
	}
	if len(b.Recent) > 0 {
		fmt.Fprintf(&text, "\n%s:\n  %s\n", w.labels.Recent, strings.Join(b.Recent, "\n  "))
	}
	fmt.Fprintf(&text, "\n%s: %s\n", w.labels.Open, link)
	var slack strings.Builder
	fmt.Fprintf(&slack, "*%s*\n%s\n", fill(w.subject[kind], v), lead)
	for _, r := range rows {
		fmt.Fprintf(&slack, "• *%s*: %s\n", r[0], r[1])
	}
	fmt.Fprintf(&slack, "<%s|%s>", link, w.labels.Open)
	return Message{
		Subject:     fill(w.subject[kind], v),
		Text:        text.String(),
		HTML:        renderHTML(lead, rows, w.labels, b.Recent, link),
		Slack:       slack.String(),
		Speech:      fill(w.speech, v),
		NoInput:     w.noInput,
		SayLanguage: w.sayLanguage,
		SMS:         fill(w.sms, v),
	}
}

func (w words) rows(v view) [][2]string {
	l := w.labels
	rows := [][2]string{
		{l.Customer, v.CustomerName},
		{l.Detection, v.Detection},
		{l.Severity, v.SEVERITY},
		{l.Hosts, v.HostList},
	}
	optional := [][2]string{
		{l.Users, strings.Join(v.Users, ", ")},
		{l.Site, v.Site},
		{l.State, v.State},
		{l.Verdict, v.Verdict},
		{l.Reason, v.Reason},
		{l.Done, strings.Join(v.Done, "; ")},
		{l.Need, w.need[v.Need]},
	}
	for _, r := range optional {
		if r[1] != "" {
			rows = append(rows, r)
		}
	}
	return rows
}

func fill(source string, v any) string {
	t := template.Must(template.New("").Parse(source))
	var out bytes.Buffer
	if err := t.Execute(&out, v); err != nil {
		return source
	}
	return out.String()
}

var htmlPage = htmltemplate.Must(htmltemplate.New("").Parse(`<!doctype html><html><body style="font-family:sans-serif">
<p><strong>{{.Lead}}</strong></p>
<table cellpadding="4" style="border-collapse:collapse">{{range .Rows}}<tr><th align="left" style="border-bottom:1px solid #ddd">{{index . 0}}</th><td style="border-bottom:1px solid #ddd">{{index . 1}}</td></tr>{{end}}</table>
{{if .Recent}}<p>{{.Labels.Recent}}:</p><ul>{{range .Recent}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Link}}<p><a href="{{.Link}}">{{.Labels.Open}}</a></p>{{end}}
</body></html>`))

func renderHTML(lead string, rows [][2]string, l labels, recent []string, link string) string {
	var out bytes.Buffer
	_ = htmlPage.Execute(&out, map[string]any{"Lead": lead, "Rows": rows, "Labels": l, "Recent": recent, "Link": link})
	return out.String()
}

// Phone answers after a key press, in the customer's language.
type Phone struct {
	Acknowledged, Declined, Closed, SayLanguage string
}

// PhoneAnswers answers what a call says once a key was pressed.
func PhoneAnswers(language string) Phone {
	w := wordsFor(language)
	return Phone{Acknowledged: w.phoneAcknowledged, Declined: w.phoneDeclined, Closed: w.phoneClosed, SayLanguage: w.sayLanguage}
}

// ButtonLabels answers the Slack button labels by decision.
func ButtonLabels(language string) map[string]string { return wordsFor(language).buttons }
