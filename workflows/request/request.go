// Package request is the Request workflow: a customer's request to operate their
// platform for them, under an ack clock.
package request

// Versioning: a request runs for minutes (an isolate) or days (an option service
// delivered later). Like an incident it is case work, and the worker registers it
// pinned: it finishes on the build that started it. A change to its commands is still
// guarded with workflow.GetVersion, for a request an operator moves to a newer build
// when its own is gone (docs/deploy.md).

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/identity"
	"xsoc/integrations"
	"xsoc/integrations/messages"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
	"xsoc/workflows/start"
)

// request is one running customer request.
type request struct {
	in          api.RequestInput
	policy      api.Policy
	status      api.RequestStatus
	incarnation string
	// ready is set once the host is checked and the SOC paged: decisions wait for it.
	ready bool
	// busy is set while a decision is applied, so that decisions apply one at a time.
	busy bool
	// changed counts applied decisions, so that the story wakes up to re-plan.
	changed int
	// inflight are the notifications being sent beside the story.
	inflight  casework.InFlight
	published publishedRequest
	// taken are the decisions' stamps the request took: a copy is refused.
	taken identity.Replays
	// deciding is the author of the decision being applied: the lines it writes are
	// theirs.
	deciding *identity.Author
}

// Request is a customer's request to operate their platform for them: check the host
// with the vendor, page the SOC under the ack clock, take the SOC's decisions (accept
// runs the action through the customer's platform or consumes the option tickets),
// tell the requester each step, and report to the customer's Account.
func Request(ctx workflow.Context, in api.RequestInput) (api.RequestStatus, error) {
	r := newRequest(ctx, in)
	if err := r.setup(ctx); err != nil {
		return r.status, err
	}
	r.open(ctx)
	if r.checkHost(ctx) {
		r.pageSOC(ctx)
		r.tellCustomer(ctx, messages.RequestReceived, "", "")
	}
	r.ready = true
	if err := r.runUntilAnswered(ctx); err != nil {
		return r.status, r.cancelled(ctx, err)
	}
	r.conclude(ctx)
	return r.status, nil
}

func newRequest(ctx workflow.Context, in api.RequestInput) *request {
	info := workflow.GetInfo(ctx)
	severity := integrations.SeverityMedium
	if in.Request.Urgent {
		severity = integrations.SeverityCritical
	}
	return &request{in: in, policy: in.Policy, incarnation: info.WorkflowExecution.ID + "#" + info.FirstRunID,
		status: api.RequestStatus{
			WorkflowID: info.WorkflowExecution.ID, Customer: in.Customer, Request: in.Request, State: api.StateRequested,
			// The clock runs from when the request was posted, not from when a worker
			// took it up.
			Severity: severity, ReceivedAt: info.WorkflowStartTime.UTC(), Paged: []api.Page{}, Timeline: []api.Entry{},
		}}
}

// setup registers the decisions and the status query before the story yields.
func (r *request) setup(ctx workflow.Context) error {
	if err := r.registerDecisions(ctx); err != nil {
		return err
	}
	return workflow.SetQueryHandlerWithOptions(ctx, api.QueryStatus, func() (api.RequestStatus, error) {
		return r.status, nil
	}, workflow.QueryHandlerOptions{Description: "Who asked, who acknowledged, accepted, declined or completed it, what the platform answered, the ack clock, who was paged, and the timeline."})
}

// open records the request, starts its ack clock and publishes it for the SOC's list.
func (r *request) open(ctx workflow.Context) {
	s := &r.status
	q := s.Request
	r.record(ctx, casework.NewEntry(s.ReceivedAt, "requested", q.By, casework.Facts("kind", q.Kind, "target", r.target(), "urgent", boolText(q.Urgent), "note", q.Note),
		"%s asks: %s %s%s", q.By, q.Kind, r.target(), casework.NoteSuffix(q.Note)))
	s.Clocks = []api.Clock{{Name: api.ClockAck, StartedAt: s.ReceivedAt, Due: s.ReceivedAt.Add(r.in.Ack.D()), State: api.ClockRunning}}
	r.publish(ctx)
}

// checkHost asks the customer's platforms which one knows the request's host. An
// isolate or release of a host no platform knows is declined at once with the
// vendors' words, and nobody is paged: it answers false.
func (r *request) checkHost(ctx workflow.Context) bool {
	s := &r.status
	if len(r.in.Vendors) > 0 {
		s.Vendor = r.in.Vendors[0]
	}
	if s.Request.Host == "" {
		r.publish(ctx)
		return true
	}
	var a *activities.Activities
	var found activities.HostFound
	request := activities.FindHostRequest{Customer: r.in.Customer, Vendors: r.in.Vendors, Host: integrations.Host{Name: s.Request.Host}}
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.AskVendorOptions), a.FindHost, request).Get(ctx, &found)
	var refused *temporal.ApplicationError
	switch {
	case err == nil && found.Vendor != "":
		s.Vendor, s.Host = found.Vendor, &found.Facts
		r.record(ctx, casework.NewEntry(workflow.Now(ctx), "host_found", found.Vendor, casework.Facts("vendor", found.Vendor, "summary", found.Facts.Summary),
			"%s", found.Facts.Summary))
	case err == nil:
		r.note(ctx, "host_unchecked", "no platform of the customer can look host %s up: the SOC checks it", s.Request.Host)
	case errors.As(err, &refused) && refused.Type() == activities.ErrorHostUnknown && s.Request.HostMustBeKnown():
		r.finish(ctx, api.StateDeclined, "xsoc", refused.Message())
		return false
	default:
		r.note(ctx, "host_unchecked", "host %s could not be checked with the platforms: %s", s.Request.Host, casework.FailureMessage(err))
	}
	r.publish(ctx)
	return true
}

// runUntilAnswered pages the SOC and watches the ack clock until the request is done
// or declined; decisions are applied by their handlers meanwhile.
func (r *request) runUntilAnswered(ctx workflow.Context) error {
	for !r.answered() {
		r.timePassed(ctx)
		changed := r.changed
		woken := func() bool { return r.changed != changed || r.answered() }
		next := r.nextDue()
		if next.IsZero() {
			if err := workflow.Await(ctx, woken); err != nil {
				return err
			}
			continue
		}
		if wait := next.Sub(workflow.Now(ctx)); wait > 0 {
			if _, err := workflow.AwaitWithTimeout(ctx, wait, woken); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *request) answered() bool {
	return r.status.State == api.StateDone || r.status.State == api.StateDeclined
}

// nextDue is when the ack clock turns or the chain's next page is due.
func (r *request) nextDue() time.Time {
	next, _ := casework.NextClockEvent(r.status.Clocks)
	if c := r.status.Chain; c != nil {
		if page, ok := casework.NextPage(*c, casework.AudienceOf(r.policy, c.Tier), r.incarnation); ok && (next.IsZero() || page.At.Before(next)) {
			next = page.At
		}
	}
	return next
}

// timePassed does what is due now: the ack clock turns at risk or breaches (recorded,
// and paged like an incident's breach), and the chain pages its next steps.
func (r *request) timePassed(ctx workflow.Context) {
	now := workflow.Now(ctx)
	before := casework.SLAState(r.status.Clocks)
	for range casework.AdvanceClocks(r.status.Clocks, now) {
		due := r.status.Clocks[0].Due
		r.record(ctx, casework.NewEntry(now, "sla_breach", "", casework.Facts("clock", api.ClockAck, "due", due.Format(time.RFC3339)),
			"SLA breached: the request was not answered by %s", due.Format(time.RFC3339)))
		r.pageBreach(ctx)
	}
	if casework.SLAState(r.status.Clocks) != before {
		r.publish(ctx)
	}
	if c := r.status.Chain; c != nil {
		for _, page := range casework.TakeDue(c, casework.AudienceOf(r.policy, c.Tier), r.incarnation, now) {
			r.notify(ctx, c.Tier, page.Key, page.Contact, messages.RequestPage)
		}
	}
}

// conclude ends the request: its clock and paging stop, the Account counts it, and
// every notification and handler finishes.
func (r *request) conclude(ctx workflow.Context) {
	r.status.ClosedAt = workflow.Now(ctx)
	r.closeClock()
	r.publish(ctx)
	r.reportToAccount(ctx)
	_ = workflow.Await(ctx, func() bool { return r.inflight.Idle() && !r.busy && workflow.AllHandlersFinished(ctx) })
}

// closeClock stops the ack clock if nobody answered (a request declined at the door
// of the platform needed no answer) and stops the paging.
func (r *request) closeClock() {
	for i := range r.status.Clocks {
		if c := &r.status.Clocks[i]; casework.ClockOpen(*c) {
			c.State = api.ClockNotNeeded
		}
	}
	if r.status.Chain != nil {
		r.status.Chain.Stopped = true
	}
}

// cancelled ends a request an operator cancelled: recorded, and still counted in the
// month's figures.
func (r *request) cancelled(ctx workflow.Context, err error) error {
	if !errors.Is(ctx.Err(), workflow.ErrCanceled) && !temporal.IsCanceledError(err) {
		return err
	}
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	r.note(ctx, "cancelled", "cancelled by an operator in state %s", r.status.State)
	r.status.ClosedAt = workflow.Now(ctx)
	r.closeClock()
	r.reportToAccount(ctx)
	return temporal.NewCanceledError("request cancelled by an operator")
}

// reportToAccount hands the request's summary to the customer's Account, where the
// monthly report counts requests by kind and state.
func (r *request) reportToAccount(ctx workflow.Context) {
	s := r.status
	summary := api.RequestSummary{Customer: s.Customer, Request: s.WorkflowID, Kind: s.Request.Kind, State: s.State,
		Urgent: s.Request.Urgent, OpenedAt: s.ReceivedAt, ClosedAt: s.ClosedAt, Ack: s.Clocks[0].State}
	if s.Accepted != nil {
		summary.AcceptedAt = s.Accepted.At
	}
	var a *start.Calls
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.RecordIncidentOptions), a.RecordRequest, summary).Get(ctx, nil); err != nil {
		r.note(ctx, "report_failed", "reporting to the account failed: %v", err)
	}
}

// record adds a line to the request's timeline.
func (r *request) record(_ workflow.Context, e api.Entry) {
	r.status.Timeline = append(r.status.Timeline, r.signed(e))
}

// note records a bookkeeping line (paging, delivery, checks).
func (r *request) note(ctx workflow.Context, kind, format string, args ...any) {
	r.record(ctx, casework.NewEntry(workflow.Now(ctx), kind, "", nil, format, args...))
}

// setState moves the request on and publishes it.
func (r *request) setState(ctx workflow.Context, state string) {
	from := r.status.State
	r.status.State = state
	r.record(ctx, casework.NewEntry(workflow.Now(ctx), "state", "", casework.Facts("from", from, "to", state), "%s → %s", from, state))
	r.publish(ctx)
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
