package incident

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations/messages"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// notify sends one message to every channel of a contact of a tier, beside the
// incident's story, so that a slow channel never delays the next step or a decision.
// Status updates are not phoned: a call is for what needs a person now.
func (inc *incident) notify(ctx workflow.Context, kind, tier, key string, contact config.Contact, reason string) {
	audience := inc.policy.audience(tier)
	n := activities.Notification{
		Customer: inc.in.Customer, Language: audience.Language, Zone: audience.Timezone, Audience: casework.ReaderOf(inc.policy.Policy, tier),
		Kind: kind, Incident: inc.brief(tier, reason),
		// A button or keypress decides for this incarnation only (see Notification.Run).
		Run: workflow.GetInfo(ctx).FirstRunID,
	}
	for _, m := range casework.Messages(contact, key, kind != activities.KindStatus, n) {
		inc.deliver(ctx, tier, m)
	}
}

// deliver records the page and runs its channel's activity beside the story; the
// outcome comes back as an event.
func (inc *incident) deliver(ctx workflow.Context, tier string, m casework.Message) {
	page := api.Page{Key: m.Notification.Key, Kind: m.Notification.Kind, Tier: tier, Channel: m.Channel.Name, Address: m.Channel.Address,
		Name: m.Contact.Name, At: workflow.Now(ctx)}
	if m.Channel.Name == "call" && m.Contact.SMSFallback {
		page.FallbackSMS = m.Channel.Address
	}
	index := len(inc.status.Paged)
	inc.status.Paged = append(inc.status.Paged, page)
	inc.await(ctx, casework.Send(ctx, casework.PageOptions, m), func(get func(any) error) event {
		var delivery activities.Delivery
		err := get(&delivery)
		return event{kind: evNotified, page: index, ref: delivery.Ref, err: err}
	})
}

// await waits for an activity (or signal) beside the story and posts what it
// answered as an event; done reads the answer through get.
func (inc *incident) await(ctx workflow.Context, future workflow.Future, done func(get func(into any) error) event) {
	inc.effects.Await(ctx, future, func(_ workflow.Context, get func(into any) error) { inc.post(done(get)) })
}

// notified records where a notification went, or why it failed.
func (inc *incident) notified(ctx workflow.Context, index int, ref string, err error) {
	page := &inc.status.Paged[index]
	if err != nil {
		page.Error = err.Error()
		inc.note(ctx, "notify_failed", "%s to %s %s failed: %v", page.Kind, page.Channel, page.Address, err)
		return
	}
	page.Ref = ref
	inc.note(ctx, "notified", "%s sent by %s to %s", page.Kind, page.Channel, casework.DescribePage(*page))
}

// toldToCustomer are the kinds of timeline lines a customer's contacts hear about
// (when they hear about the incident at all, see customerSees).
var toldToCustomer = []string{"opened", "state", "action", "action_failed", "verdict", "escalated", "recommendation",
	"joined", "hosts_added", "closed", "customer_acknowledged"}

// customerSees tells whether a change is news for the customer: everything once the
// incident is theirs (confirmed, or paged to them from the start), and before that
// only what we changed on their side (a host isolated or released, indicators
// blocked). A false positive the SOC closes without acting tells them nothing.
func (inc *incident) customerSees(kind string) bool {
	if !slices.Contains(toldToCustomer, kind) {
		return false
	}
	if inc.policy.SOC == nil || inc.policy.PageCustomerOnAlert || inc.status.Verdict == api.VerdictTruePositive || inc.chain(api.TierCustomer) != nil {
		return true
	}
	return kind == "action"
}

// tellCustomer puts a change in the outbox, to go out at once after a quiet spell or
// with the others of the coalescing window.
func (inc *incident) tellCustomer(ctx workflow.Context, e api.Entry) {
	if !inc.customerSees(e.Kind) || len(inc.statusContacts()) == 0 {
		return
	}
	out := &inc.status.Outbox
	out.Changes = append(out.Changes, e)
	if out.FlushAt.IsZero() {
		out.FlushAt = workflow.Now(ctx)
		if !out.LastSentAt.IsZero() {
			if quietUntil := out.LastSentAt.Add(inc.policy.coalesce()); quietUntil.After(out.FlushAt) {
				out.FlushAt = quietUntil
			}
		}
	}
}

// flushStatus sends the gathered changes once their time has come, or at once when
// the incident is over.
func (inc *incident) flushStatus(ctx workflow.Context) {
	out := &inc.status.Outbox
	if len(out.Changes) == 0 || out.FlushAt.After(workflow.Now(ctx)) && !inc.status.concluded() {
		return
	}
	out.Sent++
	reason := out.Changes[len(out.Changes)-1].Text
	for i, contact := range inc.statusContacts() {
		key := fmt.Sprintf("%s/status/%d/%d", inc.incarnation, out.Sent, i)
		inc.notify(ctx, activities.KindStatus, api.TierCustomer, key, contact, reason)
	}
	out.Changes, out.FlushAt, out.LastSentAt = nil, time.Time{}, workflow.Now(ctx)
}

// statusContacts are the customer's CSIRT contacts and the contacts of the site the
// incident's hosts are on.
func (inc *incident) statusContacts() []config.Contact {
	contacts := slices.Clone(inc.policy.StatusUpdates)
	if site, ok := inc.site(); ok {
		contacts = append(contacts, site.Contacts...)
	}
	return contacts
}

func (inc *incident) site() (config.Site, bool) {
	for _, host := range inc.status.hostNames() {
		if site, ok := inc.policy.SiteOf(host); ok {
			return site, true
		}
	}
	return config.Site{}, false
}

// tellSOC sends a notice about this incident to the SOC's notice contacts.
func (inc *incident) tellSOC(ctx workflow.Context, topic string, notice messages.SOCNotice) {
	soc := inc.policy.SOC
	if soc == nil {
		return
	}
	brief := inc.brief(api.TierSOC, "")
	brief.SOCNotice = &notice
	key := fmt.Sprintf("%s/soc-notice/%s", inc.incarnation, topic)
	for _, m := range casework.SOCNoticeMessages(casework.NoticeContacts(*soc), key, inc.in.Customer, soc.Language, soc.Timezone, brief) {
		inc.deliver(ctx, api.TierSOC, m)
	}
}

func (inc *incident) cancelNotice() messages.SOCNotice {
	return messages.SOCNotice{Topic: messages.TopicCancelled, Customer: inc.in.Customer, Vendor: inc.in.Vendor,
		Detail: fmt.Sprintf("%s cancelled; still contained: %v", inc.status.WorkflowID, inc.containedList())}
}

// brief is the incident as a tier's messages tell it.
func (inc *incident) brief(tier, reason string) messages.Brief {
	s := inc.status
	audience := inc.policy.audience(tier)
	b := messages.Brief{
		WorkflowID: s.WorkflowID, CustomerName: inc.policy.CustomerName, Vendor: s.Vendor,
		AlertID: s.Alert.ID, Detection: s.Alert.Detection, Severity: string(s.Severity),
		State: s.State, Verdict: s.Verdict, Hosts: s.hostNames(), Users: s.Alert.Users, Site: s.Site,
		Audience: casework.ReaderOf(inc.policy.Policy, tier), Zone: audience.Timezone, OpenedAt: s.OpenedAt,
		Need: inc.need(tier), Reason: reason,
	}
	for _, e := range s.Timeline {
		switch e.Kind {
		case "action", "verdict", "investigated":
			b.Done = append(b.Done, lineOf(e))
		case "plan":
			b.Policy = e.Text
		case "recommendation":
			line := lineOf(e)
			b.Recommend = &line
		}
	}
	// The SOC reads the last lines whatever they are; the customer the last of what
	// they are told about, in their language.
	var recent []api.Entry
	for _, e := range s.Timeline {
		if tier == api.TierSOC || slices.Contains(toldToCustomer, e.Kind) {
			recent = append(recent, e)
		}
	}
	for _, e := range recent[max(0, len(recent)-8):] {
		b.Recent = append(b.Recent, lineOf(e))
	}
	if tier == api.TierSOC {
		for _, e := range s.Timeline {
			if e.Kind == "sla_breach" {
				b.Changes = append(b.Changes, lineOf(e))
			}
		}
	}
	if tier == api.TierCustomer {
		for _, e := range s.Outbox.Changes {
			b.Changes = append(b.Changes, lineOf(e))
		}
		if inc.policy.SOC != nil {
			b.SOCName, b.SOCContact = inc.policy.SOC.Name, inc.policy.SOC.Contact
		}
	}
	return b
}

func lineOf(e api.Entry) messages.Line {
	return messages.Line{At: e.At, Kind: e.Kind, By: e.By, Text: e.Text, Args: e.Args}
}

// need says what we need from a tier: nothing from a customer whose chain is not
// paging them (a status update before a verdict asks nothing).
func (inc *incident) need(tier string) string {
	switch {
	case inc.status.concluded():
		return ""
	case tier != inc.policy.triageTier() && inc.chain(tier) == nil:
		return ""
	case inc.acknowledgementOf(tier) == nil:
		return messages.NeedAcknowledge
	case tier == inc.policy.triageTier() && inc.status.Verdict == "":
		return messages.NeedVerdict
	case inc.status.State == api.StateAwaitingCustomer:
		return messages.NeedCustomerDecision
	}
	return ""
}

// record adds a line to the timeline and tells the customer when it is news for them.
func (inc *incident) record(ctx workflow.Context, e api.Entry) {
	e = inc.signed(e)
	inc.status.add(e)
	inc.tellCustomer(ctx, e)
}

// note records a line that only the SOC reads (bookkeeping: paging, delivery).
func (inc *incident) note(ctx workflow.Context, kind, format string, args ...any) {
	inc.record(ctx, casework.NewEntry(workflow.Now(ctx), kind, "", nil, format, args...))
}
