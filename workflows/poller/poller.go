// Package poller is the Poller workflow: the durable poller of one customer's
// platform, its cursor, its first fetch and its outages.
package poller

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/integrations/messages"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
	"xsoc/workflows/start"
)

// pollsPerRun bounds a poller run's history; the cursor carries over.
const pollsPerRun = 200

// outageRetry is the first wait after a failed poll (or the poll interval, if
// longer); it doubles with each failure up to outageRetryMax.
const (
	outageRetry    = 30 * time.Second
	outageRetryMax = 15 * time.Minute
)

// pollerOutageVersion marks pollers that ride out vendor errors. A run started
// before ended on the first vendor 4xx; it replays as it ran (pollUntilError) and
// becomes the new kind at its next continue-as-new.
const pollerOutageVersion = "poller-outage"

// Poller fetches a platform's new alerts since its cursor and delivers each to its
// incident (the same id as a pushed copy), page by page, forever. The alerts
// themselves never enter this history: the activity delivers them and answers only
// the next cursor.
//
// A poller without a cursor starts at its platform's first_fetch before its first
// run, so that what the platform raised before xsoc polled it is not lost: it pages
// through that backlog at once, and tells the SOC how much it fetched. Alerts known
// already (pushed, or fetched by an earlier poller) are re-deliveries to their
// incidents, never new ones.
//
// A vendor error never ends it: it records the outage (XsocState "outage", the last
// error in its `status` query), tells the SOC once, keeps its cursor and tries again
// with a backoff; once the vendor answers, it fetches from where it stopped, so the
// alerts raised during the outage are delivered, and tells the SOC it is over.
func Poller(ctx workflow.Context, in api.PollerInput) error {
	if in.Since.IsZero() {
		in = startAt(ctx, in)
	}
	if workflow.GetVersion(ctx, pollerOutageVersion, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return pollUntilError(ctx, in)
	}
	p := &poller{in: in}
	if err := workflow.SetQueryHandlerWithOptions(ctx, api.QueryStatus, p.status,
		workflow.QueryHandlerOptions{Description: "Where the poller stands: cursor, last poll, and the outage it rides out with its last error."}); err != nil {
		return err
	}
	var a *start.Calls
	pollCtx := workflow.WithActivityOptions(ctx, casework.PollOptions)
	for polls := 0; polls < pollsPerRun; polls++ {
		var result api.PollResult
		request := api.PollRequest{Customer: in.Customer, Vendor: in.Vendor, Cursor: p.in.Cursor, Since: in.Since}
		err := workflow.ExecuteActivity(pollCtx, a.PollPlatform, request).Get(ctx, &result)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := in.Every
		if err != nil {
			wait = p.failed(ctx, err)
		} else {
			p.polled(ctx, result)
			p.fetchedFirst(ctx, result)
			if result.More {
				wait = 0
			}
		}
		if wait > 0 {
			if err := workflow.Sleep(ctx, wait); err != nil {
				return err
			}
		}
	}
	return workflow.NewContinueAsNewError(ctx, Poller, p.in)
}

// poller is one run of a Poller.
type poller struct {
	in api.PollerInput
	// shown is the XsocState this run has set ("" until its first poll), so that
	// the search attribute is written only when the state changes.
	shown     string
	lastPoll  time.Time
	delivered int
}

func (p *poller) status() (api.PollerStatus, error) {
	s := api.PollerStatus{Customer: p.in.Customer, Vendor: p.in.Vendor, State: api.PollerPolling, Cursor: p.in.Cursor,
		Since: p.in.Since, FirstFetch: p.in.Backfill, LastPoll: p.lastPoll, Delivered: p.delivered, Outage: p.in.Outage}
	if p.in.Outage != nil {
		s.State = api.PollerOutageState
	}
	return s, nil
}

// polled moves the cursor on, and ends an outage.
func (p *poller) polled(ctx workflow.Context, result api.PollResult) {
	p.in.Cursor = result.NextCursor
	p.lastPoll = workflow.Now(ctx)
	p.delivered += result.Delivered
	if outage := p.in.Outage; outage != nil {
		p.in.Outage = nil
		workflow.GetLogger(ctx).Info("vendor polled again", "customer", p.in.Customer, "vendor", p.in.Vendor,
			"outage_since", outage.Since, "failures", outage.Failures)
		if outage.Told {
			p.tellSOC(ctx, messages.TopicRecovered, *outage)
		}
	}
	p.show(ctx, api.PollerPolling)
}

// failed records a poll the vendor (or intake) did not answer, tells the SOC at the
// start of an outage, and answers how long to wait before the next try.
func (p *poller) failed(ctx workflow.Context, err error) time.Duration {
	now := workflow.Now(ctx)
	if p.in.Outage == nil {
		p.in.Outage = &api.PollerOutage{Since: now}
	}
	outage := p.in.Outage
	outage.Failures++
	outage.LastFailure = now
	outage.LastError = pollError(err)
	workflow.GetLogger(ctx).Warn("polling failed; the cursor is kept and the poll tried again",
		"customer", p.in.Customer, "vendor", p.in.Vendor, "failures", outage.Failures, "error", outage.LastError)
	p.show(ctx, api.PollerOutageState)
	if !outage.Told {
		p.tellSOC(ctx, messages.TopicOutage, *outage)
		outage.Told = true
	}
	first := max(outageRetry, p.in.Every)
	return min(first<<min(outage.Failures-1, 10), max(outageRetryMax, p.in.Every))
}

// pollError is the failure in the words of whoever failed (the vendor's message,
// with customer and vendor), without the activity's wrapping.
func pollError(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "the poll timed out: " + timeout.Error()
	}
	return err.Error()
}

// show sets XsocState on the poller when it changes, so that
// `XsocState="outage"` finds the pollers that cannot reach their vendor.
func (p *poller) show(ctx workflow.Context, state string) {
	if p.shown == state {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, api.SAState.ValueSet(state)); err != nil {
		workflow.GetLogger(ctx).Warn("poller state not searchable", "state", state, "error", err)
		return
	}
	p.shown = state
}

// tellSOC sends an outage notice (or its end) to the SOC's notice contacts: it
// happens twice per outage. The keys name the outage, so a retry tells nobody twice.
func (p *poller) tellSOC(ctx workflow.Context, topic string, outage api.PollerOutage) {
	notice := messages.SOCNotice{Topic: topic, Customer: p.in.Customer, Vendor: p.in.Vendor, At: outage.Since,
		Since: outage.Since, Error: outage.LastError}
	if topic == messages.TopicRecovered {
		notice.At, notice.Count = workflow.Now(ctx), outage.Failures
	}
	id := api.PollerWorkflowID(p.in.Customer, p.in.Vendor)
	p.sendSOCNotice(ctx, id, fmt.Sprintf("%s/%s/%s", id, topic, outage.Since.UTC().Format("20060102T150405")), notice)
}

// sendSOCNotice sends a notice about the poller id to the SOC's notice contacts, by
// every channel but calls, all at once, and waits for them. key names the notice, so
// that a retry tells nobody twice. Without a SOC to tell, the log says it.
func (p *poller) sendSOCNotice(ctx workflow.Context, id, key string, notice messages.SOCNotice) {
	log := workflow.GetLogger(ctx)
	var a *start.Calls
	var soc api.SOCNotices
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.SOCNoticesOptions), a.SOCNoticesFor, p.in.Customer).Get(ctx, &soc)
	if err != nil || len(soc.Contacts) == 0 {
		log.Warn("no SOC contact to tell", "topic", notice.Topic, "customer", p.in.Customer, "vendor", p.in.Vendor,
			"since", notice.Since, "alerts", notice.Alerts, "error", notice.Error, "lookup_error", err)
		return
	}
	brief := messages.Brief{WorkflowID: id, CustomerName: soc.CustomerName, Vendor: p.in.Vendor, SOCNotice: &notice}
	var sent []workflow.Future
	for _, m := range casework.SOCNoticeMessages(soc.Contacts, key, p.in.Customer, soc.Language, soc.Timezone, brief) {
		sent = append(sent, casework.Send(ctx, casework.NotifyOptions, m))
	}
	for _, f := range sent {
		if err := f.Get(ctx, nil); err != nil {
			log.Error("SOC notice not delivered", "topic", notice.Topic, "customer", p.in.Customer, "vendor", p.in.Vendor, "error", err)
		}
	}
}

// pollUntilError is the poller as it ran before pollerOutageVersion, kept so that
// runs started then replay as they ran: it ends on the first vendor 4xx. Remove it
// once no poller history lacks the version marker (every poller has continued as
// new since the upgrade, which takes at most pollsPerRun polls).
func pollUntilError(ctx workflow.Context, in api.PollerInput) error {
	var a *start.Calls
	ctx = workflow.WithActivityOptions(ctx, casework.LegacyPollOptions)
	for polls := 0; polls < pollsPerRun; polls++ {
		var result api.PollResult
		request := api.PollRequest{Customer: in.Customer, Vendor: in.Vendor, Cursor: in.Cursor, Since: in.Since}
		if err := workflow.ExecuteActivity(ctx, a.PollPlatform, request).Get(ctx, &result); err != nil {
			return err
		}
		in.Cursor = result.NextCursor
		if !result.More {
			if err := workflow.Sleep(ctx, in.Every); err != nil {
				return err
			}
		}
	}
	return workflow.NewContinueAsNewError(ctx, Poller, in)
}
