package messages

import (
	"fmt"
	"strings"
)

// outageWords are the words of a vendor outage notice: subject, lead and SMS by kind
// (KindOutage, KindOutageOver), as text/templates over outageView.
type outageWords struct {
	subject, lead, sms map[string]string
	vendor, error      string // row labels
	open               string // the link to the poller
}

// outageView is what the outage templates see.
type outageView struct {
	PlatformOutage
	CustomerName string
	SinceText    string
	OverText     string
}

// renderOutage writes a vendor outage notice for the SOC, linking to the poller in
// the Temporal UI, where its `status` query shows the last error.
func (w words) renderOutage(kind, customerName string, o PlatformOutage, link string) Message {
	v := outageView{PlatformOutage: o, CustomerName: customerName, SinceText: readerTime(o.Since)}
	if !o.Over.IsZero() {
		v.OverText = readerTime(o.Over)
	}
	subject, lead := fill(w.outage.subject[kind], v), fill(w.outage.lead[kind], v)
	rows := [][2]string{{w.labels.Customer, customerName}, {w.outage.vendor, o.Vendor}, {w.outage.error, o.Error}}
	var text, slack strings.Builder
	text.WriteString(lead + "\n\n")
	fmt.Fprintf(&slack, "*%s*\n%s\n", subject, lead)
	for _, row := range rows {
		fmt.Fprintf(&text, "%s: %s\n", row[0], row[1])
		fmt.Fprintf(&slack, "• *%s*: %s\n", row[0], row[1])
	}
	fmt.Fprintf(&text, "\n%s: %s\n", w.outage.open, link)
	fmt.Fprintf(&slack, "<%s|%s>", link, w.outage.open)
	labels := w.labels
	labels.Open = w.outage.open
	return Message{
		Subject:     subject,
		Text:        text.String(),
		HTML:        renderHTML(lead, rows, labels, nil, link),
		Slack:       slack.String(),
		SayLanguage: w.sayLanguage,
		SMS:         fill(w.outage.sms[kind], v),
	}
}
