package poller

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"xsoc/integrations/messages"
	"xsoc/workflows/api"
)

// pollerFirstFetchVersion marks pollers that look back their platform's first_fetch
// when they start without a cursor. A poller started before began at its first run
// (what its history recorded) and keeps that start.
const pollerFirstFetchVersion = "poller-first-fetch"

// firstFetchStorm: a first fetch that starts more new incidents than this is an
// alert storm, and the SOC's notice says so.
const firstFetchStorm = 500

// startAt answers where a poller without a cursor starts: now, or, for a poller of
// pollerFirstFetchVersion, now less its first_fetch, with its first fetch begun.
func startAt(ctx workflow.Context, in api.PollerInput) api.PollerInput {
	now := workflow.Now(ctx)
	in.Since = now
	if in.Cursor != "" || workflow.GetVersion(ctx, pollerFirstFetchVersion, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return in
	}
	if in.FirstFetch > 0 {
		in.Since = now.Add(-in.FirstFetch)
		in.Backfill = &api.PollerFirstFetch{Since: in.Since, Began: now}
	}
	workflow.GetLogger(ctx).Info("first fetch: the poller starts where its platform's first_fetch says",
		"customer", in.Customer, "vendor", in.Vendor, "since", in.Since, "first_fetch", in.FirstFetch)
	return in
}

// fetchedFirst counts a page of the first fetch and, once the poller has caught up,
// tells the SOC how much it fetched. The pages of the backlog are fetched one after
// the other without a pause, so that its alerts reach triage together: more than a
// customer's storm threshold in a minute is an alert storm there too, digested
// rather than paged one by one.
func (p *poller) fetchedFirst(ctx workflow.Context, result api.PollResult) {
	first := p.in.Backfill
	if first == nil || !first.Done.IsZero() {
		return
	}
	first.Pages++
	first.Alerts += result.Delivered
	first.New += result.New
	if result.More {
		return
	}
	first.Done = workflow.Now(ctx)
	first.Storm = first.New > firstFetchStorm
	workflow.GetLogger(ctx).Info("first fetch done", "customer", p.in.Customer, "vendor", p.in.Vendor, "since", first.Since,
		"alerts", first.Alerts, "new", first.New, "pages", first.Pages, "storm", first.Storm)
	// The key names this poller's first fetch: a poller started again after its
	// history was lost, or another beside it, fetches (and tells) again.
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	p.sendSOCNotice(ctx, id, fmt.Sprintf("%s/%s/%s", id, messages.TopicFirstFetch, first.Began.UTC().Format("20060102T150405.000")),
		messages.SOCNotice{Topic: messages.TopicFirstFetch, Customer: p.in.Customer, Vendor: p.in.Vendor, At: first.Done, Since: first.Since,
			Alerts: first.Alerts, Known: first.Alerts - first.New, Storm: first.Storm,
			ListQuery: fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer="%s" AND XsocVendor="%s" AND StartTime >= "%s"`,
				p.in.Customer, p.in.Vendor, first.Began.UTC().Format(time.RFC3339))})
}
