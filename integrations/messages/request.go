package messages

import (
	"time"
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
	said := wordsFor(language)
	n := *b.Request
	c := said.clock(b.Zone, time.Time{})
	v := requestView{RequestNotice: n, CustomerName: b.CustomerName, KindName: n.Kind,
		Received: c.stamp(n.ReceivedAt), Due: c.stamp(n.DueAt)}
	if name, ok := w.kinds[n.Kind]; ok {
		v.KindName = name
	}
	if n.Event == RequestPage || n.Event == RequestBreach {
		v.Link = link
	}
	l := w.labels
	m := letter{subject: fill(w.subject[n.Event], v), lead: fill(w.lead[n.Event], v),
		link: v.Link, linkLabel: l.Open, speech: fill(w.speech, v), sms: fill(w.sms, v), noInput: said.noInput}
	m.add(factsOf([2]string{l.Customer, v.CustomerName}, [2]string{l.Request, v.ID}, [2]string{l.Kind, v.KindName},
		[2]string{l.Target, v.Target}, [2]string{l.By, v.By}, [2]string{l.Note, v.Note}, [2]string{l.Received, v.Received},
		[2]string{l.Due, v.Due}, [2]string{l.Actor, v.Actor}, [2]string{l.Answer, v.Answer}))
	message := m.message(said)
	message.SayLanguage = w.sayLanguage
	return message
}
