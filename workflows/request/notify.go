package request

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations/messages"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// pageSOC starts the triaging tier's chain at the request's Severity: the SOC's
// critical chain for an urgent request, its medium chain otherwise (the customer's
// own chain when there is no SOC).
func (r *request) pageSOC(ctx workflow.Context) {
	tier := casework.TriageTier(r.policy)
	r.status.Chain = &api.Chain{Tier: tier, Severity: r.status.Severity, StartedAt: workflow.Now(ctx)}
	if len(casework.AudienceOf(r.policy, tier).ChainFor(r.status.Severity)) == 0 {
		r.note(ctx, "paging", "%s has no escalation chain for severity %s: nobody is paged; the list query shows the request", tier, r.status.Severity)
	}
}

// pageBreach pages the next escalation level of the triaging tier when the ack clock
// breaches, like an incident's breach.
func (r *request) pageBreach(ctx workflow.Context) {
	tier := casework.TriageTier(r.policy)
	for i, contact := range casework.AudienceOf(r.policy, tier).BreachContacts(r.status.Severity) {
		r.notify(ctx, tier, fmt.Sprintf("%s/breach/%s/%d", r.incarnation, api.ClockAck, i), contact, messages.RequestBreach)
	}
}

// tellCustomer tells the requester (when "by" is an email address) and the
// customer's status_updates contacts one step of their request, in the customer's
// language and time zone. Nobody is phoned for it.
func (r *request) tellCustomer(ctx workflow.Context, event, actor, answer string) {
	for i, contact := range r.customerContacts() {
		r.notifyWith(ctx, api.TierCustomer, fmt.Sprintf("%s/tell/%s/%d", r.incarnation, event, i), contact, event, actor, answer)
	}
}

// customerContacts are the requester, when they gave an email address not already
// among the status_updates contacts, and those contacts.
func (r *request) customerContacts() []config.Contact {
	contacts := slices.Clone(r.policy.StatusUpdates)
	requester := r.in.RequesterEmail
	if requester != "" && !slices.ContainsFunc(contacts, func(c config.Contact) bool { return strings.EqualFold(c.Email, requester) }) {
		contacts = append([]config.Contact{{Email: requester}}, contacts...)
	}
	return contacts
}

// notify pages a contact of a tier about the request.
func (r *request) notify(ctx workflow.Context, tier, key string, contact config.Contact, event string) {
	r.notifyWith(ctx, tier, key, contact, event, "", "")
}

// notifyWith sends one message to every channel of a contact, beside the story, so
// that a slow channel never holds a decision. The customer is never phoned.
func (r *request) notifyWith(ctx workflow.Context, tier, key string, contact config.Contact, event, actor, answer string) {
	audience := casework.AudienceOf(r.policy, tier)
	n := activities.Notification{Customer: r.in.Customer, Language: audience.Language, Zone: audience.Timezone,
		Audience: casework.ReaderOf(r.policy, tier), Kind: messages.KindRequest, Incident: r.brief(tier, event, actor, answer)}
	calls := tier != api.TierCustomer || event == messages.RequestPage || event == messages.RequestBreach
	for _, m := range casework.Messages(contact, key, calls, n) {
		r.send(ctx, tier, event, m)
	}
}

// send records the page and runs its channel's activity beside the story; the
// outcome is recorded when it comes.
func (r *request) send(ctx workflow.Context, tier, event string, m casework.Message) {
	index := len(r.status.Paged)
	r.status.Paged = append(r.status.Paged, api.Page{Key: m.Notification.Key, Kind: event, Tier: tier, Channel: m.Channel.Name,
		Address: m.Channel.Address, Name: m.Contact.Name, At: workflow.Now(ctx)})
	send := func(ctx workflow.Context) workflow.Future { return casework.Send(ctx, casework.PageOptions, m) }
	r.inflight.Start(ctx, send, func(ctx workflow.Context, get func(any) error) {
		var delivery activities.Delivery
		err := get(&delivery)
		page := &r.status.Paged[index]
		if err != nil {
			page.Error = casework.FailureMessage(err)
			r.note(ctx, "notify_failed", "%s to %s %s failed: %s", event, page.Channel, page.Address, page.Error)
			return
		}
		page.Ref = delivery.Ref
		r.note(ctx, "notified", "%s sent by %s to %s", event, page.Channel, casework.DescribePage(*page))
	})
}

// brief is the request as a tier's message tells it.
func (r *request) brief(tier, event, actor, answer string) messages.Brief {
	s := r.status
	q := s.Request
	return messages.Brief{
		WorkflowID: s.WorkflowID, CustomerName: r.policy.CustomerName, State: s.State,
		Audience: casework.ReaderOf(r.policy, tier), Zone: casework.AudienceOf(r.policy, tier).Timezone,
		Request: &messages.RequestNotice{Event: event, ID: q.ID, Kind: q.Kind, Target: r.target(), By: q.By, Note: q.Note,
			Urgent: q.Urgent, ReceivedAt: s.ReceivedAt, DueAt: s.Clocks[0].Due, Actor: actor, Answer: answer},
	}
}

// target says what the request is about: its host, its indicators, or its service.
func (r *request) target() string {
	q := r.status.Request
	switch {
	case q.Kind == api.RequestOption:
		return fmt.Sprintf("%s ×%d", q.Service, q.Tickets)
	case q.Host != "" && len(q.Indicators) > 0:
		return q.Host + ", " + casework.IndicatorList(q.Indicators)
	case q.Host != "":
		return q.Host
	}
	return casework.IndicatorList(q.Indicators)
}

// publishedRequest is what the request last showed to search.
type publishedRequest struct {
	state, slaState, host, vendor string
	dueAt                         time.Time
	published                     bool
}

// publish upserts what the SOC's list of open requests filters and sorts on: the
// customer, the state, the ack clock's state and due time, the host and vendor.
func (r *request) publish(ctx workflow.Context) {
	s := r.status
	now := publishedRequest{state: s.State, slaState: casework.SLAState(s.Clocks), host: s.Request.Host, vendor: s.Vendor,
		dueAt: casework.NextDue(s.Clocks), published: true}
	if now == r.published {
		return
	}
	updates := []temporal.SearchAttributeUpdate{
		api.SACustomer.ValueSet(s.Customer), api.SAState.ValueSet(now.state), api.SASLAState.ValueSet(now.slaState),
		casework.SetOrUnset(api.SAHost, now.host), casework.SetOrUnset(api.SAVendor, now.vendor), casework.SetOrUnsetTime(api.SASLADueAt, now.dueAt),
	}
	if casework.Upsert(ctx, updates) {
		r.published = now
	}
}
