package request

import (
	"errors"
	"fmt"
	"strings"
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

// requestHelp is what the Temporal UI shows beside each of a request's decisions.
var requestHelp = map[string]string{
	api.DecisionAcknowledge: `Stop the paging: someone is on it (meets the ack clock). {"by": "analyst"}`,
	api.DecisionAccept:      `Take the request: runs the isolate/release/block/unblock on the customer's platform, or consumes the option tickets; an isolate/release/block/unblock is then done. {"by": "analyst", "note": "..."}`,
	api.DecisionDecline:     `Refuse the request; the requester is told why. {"by": "analyst", "reason": "..."}`,
	api.DecisionDone:        `Complete an accepted request (investigate, option, or an action the platform refused); the requester reads the note. {"by": "analyst", "note": "what was done or found"}`,
}

// decisionChannel is one decision's Signal channel.
type decisionChannel struct {
	name    string
	channel workflow.ReceiveChannel
}

// registerDecisions installs each decision as an Update (validated, answered) and as
// a Signal (applied in arrival order, recorded as rejected when it does not apply).
func (r *request) registerDecisions(ctx workflow.Context) error {
	var channels []decisionChannel
	for _, name := range api.RequestDecisions {
		err := workflow.SetUpdateHandlerWithOptions(ctx, name,
			func(ctx workflow.Context, d api.RequestDecision) (api.DecisionResult, error) {
				author := r.acceptedAuthor(ctx, d)
				return r.apply(ctx, name, d, &author)
			},
			workflow.UpdateHandlerOptions{
				Validator: func(ctx workflow.Context, d api.RequestDecision) error {
					d, err := r.validAuthor(ctx, d)
					if err != nil {
						return err
					}
					return r.validate(name, d)
				},
				Description: requestHelp[name],
			})
		if err != nil {
			return err
		}
		channels = append(channels, decisionChannel{name: name,
			channel: workflow.GetSignalChannelWithOptions(ctx, name, workflow.SignalChannelOptions{Description: requestHelp[name]})})
	}
	outcomes := workflow.GetSignalChannelWithOptions(ctx, api.SignalCallOutcome, workflow.SignalChannelOptions{
		Description: "Intake only: how a call of the request's paging ended (no answer, busy, voicemail).",
	})
	workflow.Go(ctx, func(ctx workflow.Context) { r.receiveSignals(ctx, channels, outcomes) })
	return nil
}

// receiveSignals applies the decisions that arrive as Signals, one at a time.
func (r *request) receiveSignals(ctx workflow.Context, channels []decisionChannel, outcomes workflow.ReceiveChannel) {
	for {
		selector := workflow.NewSelector(ctx)
		var name string
		var d api.RequestDecision
		for _, s := range channels {
			selector.AddReceive(s.channel, func(c workflow.ReceiveChannel, _ bool) {
				name = s.name
				c.Receive(ctx, &d)
			})
		}
		selector.AddReceive(outcomes, func(c workflow.ReceiveChannel, _ bool) {
			var outcome api.CallOutcome
			c.Receive(ctx, &outcome)
			r.note(ctx, "call", "call to %s not answered by a person (%s)", outcome.To, outcome.Status)
		})
		selector.Select(ctx)
		if name != "" {
			_, _ = r.apply(ctx, name, d, nil)
		}
	}
}

// validate refuses a decision that does not apply to the request as it stands, with
// a reason a person can act on.
func (r *request) validate(name string, d api.RequestDecision) error {
	s := r.status
	if strings.TrimSpace(d.By) == "" {
		return identity.ErrNoAuthor
	}
	switch {
	case s.State == api.StateDone:
		return fmt.Errorf("the request is done (by %s at %s): no further %s", s.Done.By, stamp(s.Done.At), name)
	case s.State == api.StateDeclined:
		return fmt.Errorf("the request was declined (by %s at %s: %s): no further %s", s.Declined.By, stamp(s.Declined.At), s.Declined.Note, name)
	}
	switch name {
	case api.DecisionAcknowledge:
		if s.Acknowledged != nil {
			return fmt.Errorf("already acknowledged by %s at %s", s.Acknowledged.By, stamp(s.Acknowledged.At))
		}
	case api.DecisionAccept:
		if s.Accepted != nil {
			return fmt.Errorf("already accepted by %s at %s%s", s.Accepted.By, stamp(s.Accepted.At), r.failedHint())
		}
	case api.DecisionDecline:
		if strings.TrimSpace(d.Reason) == "" {
			return errors.New(`"reason" is required: the requester reads it`)
		}
		if s.Tickets != nil {
			return fmt.Errorf("%d option ticket(s) are already consumed for this request: finish it with done, saying what was delivered", s.Tickets.Tickets)
		}
	case api.DecisionDone:
		if s.Accepted == nil {
			return errors.New("the request is not accepted yet: accept it first (or decline it)")
		}
		if strings.TrimSpace(d.Note) == "" {
			return errors.New(`"note" is required: say what was done or found; the requester reads it`)
		}
	default:
		return fmt.Errorf("unknown decision %q", name)
	}
	return nil
}

// failedHint tells the analyst what is left to do after the platform refused an action.
func (r *request) failedHint() string {
	if r.status.ActionError == "" {
		return ""
	}
	return fmt.Sprintf("; the %s failed (%s): finish with done and a note, or decline", r.status.Request.Kind, r.status.ActionError)
}

// apply applies one decision, whether it came as an Update (its author known when it
// was accepted) or a Signal (author nil: found now), once the request is ready and no
// other decision is being applied. It validates again: the request may have changed
// since an Update was accepted, and Signals were not validated at all.
func (r *request) apply(ctx workflow.Context, name string, d api.RequestDecision, author *identity.Author) (api.DecisionResult, error) {
	if err := workflow.Await(ctx, func() bool { return r.ready && !r.busy }); err != nil {
		return api.DecisionResult{}, err
	}
	r.busy = true
	defer func() { r.busy, r.changed, r.deciding = false, r.changed+1, nil }()
	if author == nil {
		signalled, ok := r.signalAuthor(ctx, name, d)
		if !ok {
			return api.DecisionResult{State: r.status.State}, nil
		}
		author = &signalled
	}
	d.By, r.deciding = author.Name, author
	if err := r.validate(name, d); err != nil {
		r.record(ctx, casework.NewEntry(workflow.Now(ctx), "rejected", d.By, casework.Facts("decision", name, "error", err.Error()), "%s refused: %v", name, err))
		return api.DecisionResult{State: r.status.State}, err
	}
	r.status.Decisions++
	result, err := r.decide(ctx, name, d)
	result.State = r.status.State
	return result, err
}

func (r *request) decide(ctx workflow.Context, name string, d api.RequestDecision) (api.DecisionResult, error) {
	switch name {
	case api.DecisionAcknowledge:
		r.acknowledge(ctx, d)
		return api.DecisionResult{Message: "acknowledged: paging stopped"}, nil
	case api.DecisionAccept:
		return r.accept(ctx, d)
	case api.DecisionDecline:
		r.acknowledge(ctx, d)
		r.finish(ctx, api.StateDeclined, d.By, d.Reason)
		return api.DecisionResult{Message: "declined; the requester is told"}, nil
	default:
		r.finish(ctx, api.StateDone, d.By, d.Note)
		return api.DecisionResult{Message: "done; the requester is told"}, nil
	}
}

// acknowledge stops the paging and meets the ack clock: someone took the request.
func (r *request) acknowledge(ctx workflow.Context, d api.RequestDecision) {
	s := &r.status
	if s.Acknowledged != nil {
		return
	}
	now := workflow.Now(ctx)
	author := r.author(d.By)
	s.Acknowledged = &api.Acknowledgement{By: d.By, Verified: author.Verified, At: now, Via: casework.ProvenVia(author, d.Via)}
	if c := &s.Clocks[0]; casework.ClockOpen(*c) {
		c.State, c.MetAt = api.SLAMet, now
	}
	if s.Chain != nil {
		s.Chain.Stopped = true
	}
	via := ""
	if d.Via != "" {
		via = " via " + d.Via
	}
	r.record(ctx, casework.NewEntry(now, "acknowledged", d.By, casework.Facts("via", d.Via), "acknowledged%s: paging stopped", via))
	r.publish(ctx)
}

// accept takes the request: an action runs on the platform (and completes the
// request when the platform confirms it), an investigation looks the indicators up,
// an option consumes the tickets.
func (r *request) accept(ctx workflow.Context, d api.RequestDecision) (api.DecisionResult, error) {
	r.acknowledge(ctx, d)
	switch r.status.Request.Kind {
	case api.RequestOption:
		return r.acceptOption(ctx, d)
	case api.RequestInvestigate:
		r.markAccepted(ctx, d)
		r.investigate(ctx)
		r.tellCustomer(ctx, messages.RequestAccepted, d.By, "")
		return api.DecisionResult{Message: "accepted: investigate, then send done with what you found"}, nil
	}
	r.markAccepted(ctx, d)
	return r.act(ctx, d)
}

func (r *request) markAccepted(ctx workflow.Context, d api.RequestDecision) {
	now := workflow.Now(ctx)
	author := r.author(d.By)
	r.status.Accepted = &api.DecisionRecord{By: d.By, Verified: author.Verified, Via: author.Via, Note: d.Note, At: now}
	r.record(ctx, casework.NewEntry(now, "accepted", d.By, casework.Facts("note", d.Note), "accepted by %s%s", d.By, casework.NoteSuffix(d.Note)))
	r.setState(ctx, api.StateAccepted)
}

// act runs the request's action on the platform with the incidents' idempotent
// activities: the platform checks the host's (or the denylist's) state first, so a
// retried activity never isolates twice.
func (r *request) act(ctx workflow.Context, d api.RequestDecision) (api.DecisionResult, error) {
	s := &r.status
	q := s.Request
	var a *activities.Activities
	var activity, input any
	switch q.Kind {
	case api.RequestIsolate, api.RequestRelease:
		host := integrations.Host{Name: q.Host}
		if s.Host != nil {
			host = s.Host.Host
		}
		activity = a.IsolateHost
		if q.Kind == api.RequestRelease {
			activity = a.ReleaseHost
		}
		input = activities.HostAction{Customer: s.Customer, Vendor: s.Vendor, IncidentID: s.WorkflowID, Host: host}
	default:
		activity = a.BlockIndicators
		if q.Kind == api.RequestUnblock {
			activity = a.UnblockIndicators
		}
		input = activities.IndicatorAction{Customer: s.Customer, Vendor: s.Vendor, IncidentID: s.WorkflowID, Indicators: q.Indicators}
	}
	var result integrations.ActionResult
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.VendorOptions), activity, input).Get(ctx, &result)
	args := casework.Facts("action", q.Kind, "target", r.target(), "vendor", s.Vendor)
	if err != nil {
		s.ActionError = casework.FailureMessage(err)
		args["error"] = s.ActionError
		r.record(ctx, casework.NewEntry(workflow.Now(ctx), "action_failed", d.By, args, "%s %s failed at %s: %s", q.Kind, r.target(), s.Vendor, s.ActionError))
		r.tellCustomer(ctx, messages.RequestFailed, d.By, s.ActionError)
		return api.DecisionResult{}, fmt.Errorf("%s %s failed at %s: %s; finish with done and a note, or decline", q.Kind, r.target(), s.Vendor, s.ActionError)
	}
	s.Action, s.ActionError = &result, ""
	answer := vendorAnswer(s.Vendor, result)
	if result.AlreadyInPlace {
		args["already"] = "true"
	}
	args["answer"] = answer
	r.record(ctx, casework.NewEntry(workflow.Now(ctx), "action", d.By, args, "%s %s done: %s", q.Kind, r.target(), answer))
	r.finish(ctx, api.StateDone, d.By, answer)
	return api.DecisionResult{Message: fmt.Sprintf("%s %s done: %s", q.Kind, r.target(), answer)}, nil
}

// vendorAnswer says what the platform answered, for the timeline and the requester.
func vendorAnswer(vendor string, result integrations.ActionResult) string {
	answer := result.VendorAnswer
	if answer == "" {
		answer = result.Action + " " + strings.Join(result.Targets, ", ") + " confirmed"
	}
	if result.AlreadyInPlace {
		answer = "already in place, nothing sent (" + answer + ")"
	}
	return vendor + ": " + answer
}

// investigate asks the platforms that can what they know of the indicators; what
// they know of the host was asked when the request arrived.
func (r *request) investigate(ctx workflow.Context) {
	s := &r.status
	if len(s.Request.Indicators) == 0 {
		return
	}
	var a *activities.Activities
	var findings integrations.Findings
	request := activities.LookUpRequest{Customer: s.Customer, Vendors: r.in.Vendors, Indicators: s.Request.Indicators}
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.AskVendorOptions), a.LookUpIndicators, request).Get(ctx, &findings)
	switch {
	case err != nil:
		r.note(ctx, "investigation_failed", "looking the indicators up failed: %s", casework.FailureMessage(err))
	case findings.Summary == "":
		r.note(ctx, "investigated", "no platform of the customer looks indicators up: investigate them by hand")
	default:
		s.Findings = &findings
		r.record(ctx, casework.NewEntry(workflow.Now(ctx), "investigated", "", casework.Facts("summary", findings.Summary), "investigation: %s", findings.Summary))
	}
}

// acceptOption consumes the request's tickets through the customer's Account, once
// (the request id is the consumption's id). Beyond the balance the Account refuses:
// the request is declined with the balance and the lots' expiry, and the requester
// told. Any other failure leaves the request as it was, to accept again.
func (r *request) acceptOption(ctx workflow.Context, d api.RequestDecision) (api.DecisionResult, error) {
	s := &r.status
	q := s.Request
	var a *start.Calls
	var remaining int
	// The Account records the same author: it checks the stamp again (forwarded at once).
	consume := api.ConsumeRequest{Customer: s.Customer, Incident: s.WorkflowID, Service: q.Service, Tickets: q.Tickets,
		By: d.By, RequestID: s.WorkflowID + "/tickets", Stamp: d.Stamp}
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.TicketOptions), a.ConsumeTickets, consume).Get(ctx, &remaining)
	var refused *temporal.ApplicationError
	if errors.As(err, &refused) && refused.Type() == "AccountRefused" {
		reason := refused.Message() + r.lotsNote(ctx)
		r.finish(ctx, api.StateDeclined, "xsoc", reason)
		return api.DecisionResult{}, fmt.Errorf("%s: the request is declined and the requester told", reason)
	}
	if err != nil {
		r.note(ctx, "tickets_failed", "consuming %d ticket(s) failed: %s", q.Tickets, casework.FailureMessage(err))
		return api.DecisionResult{}, fmt.Errorf("the account could not take the tickets: %s; accept again later", casework.FailureMessage(err))
	}
	r.markAccepted(ctx, d)
	now := workflow.Now(ctx)
	author := r.author(d.By)
	s.Tickets = &api.TicketUse{Service: q.Service, Tickets: q.Tickets, By: d.By, Verified: author.Verified, Via: author.Via, At: now}
	answer := fmt.Sprintf("%d option ticket(s) used for %s; %d left", q.Tickets, q.Service, remaining)
	r.record(ctx, casework.NewEntry(now, "tickets", d.By, casework.Facts("service", q.Service, "tickets", fmt.Sprint(q.Tickets), "remaining", fmt.Sprint(remaining)), "%s", answer))
	r.tellCustomer(ctx, messages.RequestAccepted, d.By, answer)
	return api.DecisionResult{Message: "accepted: " + answer + "; send done when the service is delivered"}, nil
}

// lotsNote lists the customer's ticket lots with their expiry, for a refusal: which
// tickets are left, and until when. Expired lots count nothing.
func (r *request) lotsNote(ctx workflow.Context) string {
	var a *start.Calls
	var balance api.Balance
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.TicketOptions), a.ReadTicketBalance, r.status.Customer).Get(ctx, &balance); err != nil {
		return ""
	}
	var lots []string
	for _, lot := range balance.Lots {
		state := fmt.Sprintf("%d left, expires %s", lot.Remaining, lot.Expires)
		if lot.Expired > 0 && lot.Remaining == 0 {
			state = fmt.Sprintf("expired %s", lot.Expires)
		}
		lots = append(lots, fmt.Sprintf("%d bought %s (%s)", lot.Count, lot.Purchased, state))
	}
	if len(lots) == 0 {
		return " (no ticket lots)"
	}
	return " (lots: " + strings.Join(lots, "; ") + ")"
}

// finish ends the request, declined or done, with who and why (the SOC's reason or
// note, the platform's answer, or xsoc's when the platform does not know the host or
// the tickets are short), and tells the requester.
func (r *request) finish(ctx workflow.Context, state, by, note string) {
	now := workflow.Now(ctx)
	author := r.author(by)
	record := &api.DecisionRecord{By: by, Verified: author.Verified, Via: author.Via, Note: note, At: now}
	event := messages.RequestDone
	if state == api.StateDeclined {
		r.status.Declined, event = record, messages.RequestDeclined
	} else {
		r.status.Done = record
	}
	r.record(ctx, casework.NewEntry(now, state, by, casework.Facts("note", note), "%s by %s: %s", state, by, note))
	r.setState(ctx, state)
	r.tellCustomer(ctx, event, by, note)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }
