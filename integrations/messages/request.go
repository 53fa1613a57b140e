package messages

import (
	"fmt"
	"strings"
	"time"

	"xsoc/config"
)

// KindRequest is a message about a customer request (Brief.Request): a page or a
// breach to the SOC, or one step of the request to the customer.
const KindRequest = "request"

// Request events (RequestNotice.Event).
const (
	// To the SOC: a new request to answer, and its ack clock broken.
	RequestPage   = "page"
	RequestBreach = "breach"
	// To the customer: each step of their request.
	RequestReceived = "received"
	RequestAccepted = "accepted"
	RequestDone     = "done"
	RequestDeclined = "declined"
	RequestFailed   = "failed"
)

// RequestNotice is a customer request as a message tells it.
type RequestNotice struct {
	Event string `json:"event"`
	// ID is the customer's own reference; Kind one of isolate, release, block,
	// unblock, investigate, option; Target what it is about ("osk-pc-17",
	// "domain evil.example", "forensics, 2 tickets").
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Target string `json:"target"`
	// By is who asked, Note what they wrote.
	By     string `json:"by"`
	Note   string `json:"note,omitempty"`
	Urgent bool   `json:"urgent,omitempty"`
	// ReceivedAt is when the request arrived, DueAt when the SOC promised to answer.
	ReceivedAt time.Time `json:"received_at"`
	DueAt      time.Time `json:"due_at,omitzero"`
	// Actor is who accepted, declined or completed it; Answer what the platform
	// answered, why it was declined, or what the SOC found.
	Actor  string `json:"actor,omitempty"`
	Answer string `json:"answer,omitempty"`
}

// requestWords are one language's words for requests.
type requestWords struct {
	sayLanguage string
	// subject and lead by event: text/templates over requestView.
	subject, lead map[string]string
	// kinds names each kind of request.
	kinds  map[string]string
	labels requestLabels
	// speech and sms page the SOC by phone: text/templates over requestView.
	speech, sms string
}

type requestLabels struct {
	Customer, Request, Kind, Target, By, Note, Received, Due, Actor, Answer, Open string
}

var requestLanguages = map[string]requestWords{"en": requestEnglish, "ja": requestJapanese}

// requestView is what the request templates see: the notice, and its times and kind
// as the reader reads them.
type requestView struct {
	RequestNotice
	CustomerName string
	KindName     string
	Received     string
	Due          string
	Link         string
}

// renderRequest writes a request message in the reader's language and time zone. Only
// pages link to the Temporal UI, where the paged tier answers: the steps told to the
// customer's people do not.
func renderRequest(language string, b Brief, link string) Message {
	w, ok := requestLanguages[language]
	if !ok {
		w = requestEnglish
	}
	n := *b.Request
	v := requestView{RequestNotice: n, CustomerName: b.CustomerName, KindName: n.Kind,
		Received: readerTime(n.ReceivedAt, b.Zone), Due: readerTime(n.DueAt, b.Zone)}
	if name, ok := w.kinds[n.Kind]; ok {
		v.KindName = name
	}
	if n.Event == RequestPage || n.Event == RequestBreach {
		v.Link = link
	}
	subject, lead := fill(w.subject[n.Event], v), fill(w.lead[n.Event], v)
	rows := w.requestRows(v)
	var text, slack strings.Builder
	fmt.Fprintf(&text, "%s\n\n", lead)
	fmt.Fprintf(&slack, "*%s*\n%s\n", subject, lead)
	for _, row := range rows {
		fmt.Fprintf(&text, "%s: %s\n", row[0], row[1])
		fmt.Fprintf(&slack, "• *%s*: %s\n", row[0], row[1])
	}
	if v.Link != "" {
		fmt.Fprintf(&text, "\n%s: %s\n", w.labels.Open, v.Link)
		fmt.Fprintf(&slack, "<%s|%s>\n", v.Link, w.labels.Open)
	}
	return Message{
		Subject:     subject,
		Text:        text.String(),
		HTML:        renderHTML(lead, rows, labels{Open: w.labels.Open}, nil, v.Link),
		Slack:       strings.TrimSuffix(slack.String(), "\n"),
		Speech:      fill(w.speech, v),
		NoInput:     wordsFor(language).noInput,
		SayLanguage: w.sayLanguage,
		SMS:         fill(w.sms, v),
	}
}

func (w requestWords) requestRows(v requestView) [][2]string {
	l := w.labels
	rows := [][2]string{
		{l.Customer, v.CustomerName},
		{l.Request, v.ID},
		{l.Kind, v.KindName},
		{l.Target, v.Target},
		{l.By, v.By},
		{l.Note, v.Note},
		{l.Received, v.Received},
		{l.Due, v.Due},
		{l.Actor, v.Actor},
		{l.Answer, v.Answer},
	}
	kept := rows[:0]
	for _, row := range rows {
		if row[1] != "" {
			kept = append(kept, row)
		}
	}
	return kept
}

// readerTime writes a time in the reader's zone with its name and offset
// ("2026-11-27 12:15 JST (+09:00)"); empty for no time.
func readerTime(t time.Time, zone string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(config.LoadLocation(zone)).Format("2006-01-02 15:04 MST (-07:00)")
}
