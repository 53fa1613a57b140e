package messages

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
	rows := [][2]string{{w.labels.Customer, customerName}, {w.outage.vendor, o.Vendor}, {w.outage.error, o.Error}}
	m := w.tableMessage(fill(w.outage.subject[kind], v), fill(w.outage.lead[kind], v), rows, w.outage.open, link)
	m.SMS = fill(w.outage.sms[kind], v)
	return m
}
