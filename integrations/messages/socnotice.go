package messages

import (
	"fmt"
	"strings"
)

// topicOther keys the words of a topic a language does not know.
const topicOther = "other"

// noticeView is what a SOC notice's templates see.
type noticeView struct {
	SOCNotice
	CustomerName string
	Incident     string
	Detection    string
	HostList     string
	// At and Since in the reader's zone.
	At, Since string
}

// socNotice tells the SOC about no single incident: a storm (started, its digest,
// ended), a vendor outage and its recovery, a new poller's first fetch, an over-broad
// suppression rule, a cancelled incident. link opens what the notice is about in the Temporal UI (the
// digest's list, or the incident).
func (w words) socNotice(b Brief, link string) Message {
	n := *b.SOCNotice
	c := w.clock(b.Zone, n.At)
	v := noticeView{SOCNotice: n, CustomerName: firstNonEmpty(b.CustomerName, n.Customer), Incident: b.WorkflowID,
		Detection: b.Detection, HostList: strings.Join(b.Hosts, ", "), At: c.stamp(n.At), Since: c.stamp(n.Since)}
	said, ok := w.notices[n.Topic]
	if !ok {
		said = w.notices[topicOther]
	}
	l := w.labels
	short := fill(said.short, v)
	m := letter{
		subject: fill(said.subject, v),
		lead:    fill(said.lead, v),
		speech:  w.speechIntro + short,
		sms:     "xsoc: " + short,
		link:    link, linkLabel: l.Open,
	}
	if n.ListQuery != "" {
		m.linkLabel = l.OpenList
	}
	count := func(n int) string {
		if n == 0 {
			return ""
		}
		return fmt.Sprint(n)
	}
	m.add(factsOf(
		[2]string{l.Customer, v.CustomerName}, [2]string{l.When, v.At}, [2]string{l.Since, v.Since},
		[2]string{l.Incident, v.Incident}, [2]string{l.Detection, v.Detection}, [2]string{l.Hosts, v.HostList},
		[2]string{l.Vendor, n.Vendor}, [2]string{l.Error, n.Error},
		[2]string{l.Rule, n.Rule}, [2]string{l.Reason, n.Detail}, [2]string{l.Matched, count(n.Count)},
		[2]string{l.Alerts, count(n.Alerts)}, [2]string{l.Known, count(n.Known)},
	),
		block{title: l.ByDetection, items: tallies(n.ByDetection)},
		block{title: l.ByHost, items: tallies(n.ByHost)},
		factsOf([2]string{l.ListQuery, n.ListQuery}))
	return m.message(w)
}

func tallies(counts []Tally) []string {
	items := make([]string, 0, len(counts))
	for _, t := range counts {
		items = append(items, fmt.Sprintf("%s: %d", t.Name, t.Count))
	}
	return items
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
