package messages

import (
	"strings"
)

// view is what an incident message's templates see: the brief plus what the
// renderer derives from it in the reader's language and zone.
type view struct {
	Brief
	SEVERITY string
	HostList string
	Link     string
	// Opened is OpenedAt in the reader's zone.
	Opened string
	// SOC names the SOC for the customer: SOCName, or the language's word for it.
	SOC string
	// Confirmed is true once the SOC's verdict is true_positive.
	Confirmed bool
	// DoneSaid, ChangesSaid and Recommendation are lines in the reader's language
	// without times (for SMS and speech); Breach is the broken SLA promise.
	DoneSaid, ChangesSaid, Recommendation, Breach string
}

func (w words) view(b Brief, c clock, link string) view {
	v := view{Brief: b, SEVERITY: strings.ToUpper(b.Severity), HostList: strings.Join(b.Hosts, ", "), Link: link,
		Opened: c.stamp(b.OpenedAt), SOC: b.SOCName, Confirmed: b.Verdict == "true_positive",
		DoneSaid: c.sayAll(b.Done, w.separator), ChangesSaid: c.sayAll(b.Changes, w.separator), Breach: b.Reason}
	if v.SOC == "" {
		v.SOC = w.theSOC
	}
	if b.Recommend != nil {
		v.Recommendation = c.say(*b.Recommend)
	}
	if breach, ok := lastOfKind("sla_breach", b.Changes, b.Recent); ok {
		v.Breach = c.say(breach)
	}
	return v
}

// lastOfKind answers the latest line of a kind, looking in each list in turn.
func lastOfKind(kind string, lists ...[]Line) (Line, bool) {
	for _, lines := range lists {
		for i := len(lines) - 1; i >= 0; i-- {
			if lines[i].Kind == kind {
				return lines[i], true
			}
		}
	}
	return Line{}, false
}

// incident writes a page, an SLA breach page or a status update. The SOC reads the
// analyst's view: customer, policy, what is needed, and the incident's link. The
// customer reads what happened, what we did, what we recommend or need from them
// and how to reach the SOC, and no link: the Temporal UI is the SOC's.
func (w words) incident(kind string, b Brief, link string) Message {
	who := b.Reader()
	if who == AudienceCustomer {
		link = ""
	}
	c := w.clock(b.Zone, b.OpenedAt)
	v := w.view(b, c, link)
	l := w.labels
	m := letter{
		subject: fill(pick(w.subject, kind, who), v),
		lead:    fill(pick(w.lead, kind, who), v),
		speech:  fill(pick(w.speech, kind, who), v),
		sms:     fill(pick(w.sms, kind, who), v),
		noInput: w.noInput,
		link:    link, linkLabel: l.Open,
	}
	facts := [][2]string{
		{l.Detection, b.Detection}, {l.Severity, v.SEVERITY}, {l.Hosts, v.HostList},
		{l.Users, strings.Join(b.Users, ", ")}, {l.Site, b.Site}, {l.Opened, v.Opened},
		{l.State, b.State}, {l.Verdict, b.Verdict},
	}
	need := fill(pick(w.need, b.Need, who), v)
	if b.Need == "" {
		need = ""
	}
	if who == AudienceSOC {
		facts = append([][2]string{{l.Customer, b.CustomerName}}, facts...)
		facts = append(facts, [2]string{l.Parent, b.Parent}, [2]string{l.Policy, b.Policy}, [2]string{l.Reason, b.Reason})
		m.add(factsOf(facts...), block{title: l.Done, items: c.timeline(b.Done)}, w.sentence(v.Recommendation),
			factsOf([2]string{l.Need, need}))
	} else {
		m.add(factsOf(facts...), block{title: l.Done, items: c.timeline(b.Done)}, w.sentence(v.Recommendation),
			factsOf([2]string{l.NeedYou, need}, [2]string{l.Contact, v.contact()}))
	}
	m.add(block{title: l.Changes, items: c.timeline(b.Changes)}, block{title: l.Recent, items: c.timeline(b.Recent)})
	return m.message(w)
}

// contact is how the customer reaches the SOC: "X-SOC (+81-3-0000-9999)"; empty
// when the customers file gives no contact.
func (v view) contact() string {
	if v.SOCContact == "" {
		return ""
	}
	return v.SOC + " (" + v.SOCContact + ")"
}

// sentence makes a line said on its own a sentence.
func (w words) sentence(said string) block {
	if said == "" {
		return block{}
	}
	return block{sentence: said + w.fullStop}
}
