package incident

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"xsoc/identity"
	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// decisionHelp is what the Temporal UI shows beside each decision.
var decisionHelp = map[string]string{
	api.DecisionAcknowledge: `Stop the paging: someone is on it. {"by": "analyst", "note": "..."}`,
	api.DecisionVerdict:     `Give the verdict. {"by": "analyst", "verdict": "true_positive" | "false_positive" | "benign_true_positive", "note": "..."}`,
	api.DecisionContain:     `Isolate the hosts (or block the indicators on Zscaler). {"by": "analyst", "host": "optional one host", "note": "..."}`,
	api.DecisionRelease:     `Release what we contained. {"by": "analyst", "host": "optional one host", "note": "..."}`,
	api.DecisionEscalate:    `Raise the Severity; re-plans SLA clocks and paging. {"by": "analyst", "severity": "emergency", "note": "..."}`,
	api.DecisionUseTickets:  `Consume prepaid option tickets. {"by": "analyst", "service": "forensics", "tickets": 2, "note": "..."}`,
	api.DecisionComment:     `Add a note to the timeline. {"by": "analyst", "note": "..."}`,
	api.DecisionClose:       `Close the incident: resolved with its verdict, or suppressed with a note. {"by": "analyst", "note": "..."}`,
}

var knownVerdicts = []string{api.VerdictTruePositive, api.VerdictFalsePositive, api.VerdictBenignTruePositive}

// validate refuses a decision that does not apply to the incident as it stands, with
// a reason a person can act on. Updates show it to the analyst; Signals record it.
func (inc *incident) validate(name string, d api.Decision) error {
	s := inc.status
	if strings.TrimSpace(d.By) == "" {
		return identity.ErrNoAuthor
	}
	if s.concluded() && name != api.DecisionComment {
		return fmt.Errorf("incident is %s: no further %s", s.State, name)
	}
	switch name {
	case api.DecisionAcknowledge:
		if ack := inc.acknowledgementOf(inc.tierOf(d)); ack != nil {
			return fmt.Errorf("already acknowledged by %s at %s", ack.By, ack.At.UTC().Format("2006-01-02 15:04:05Z"))
		}
	case api.DecisionVerdict:
		if !slices.Contains(knownVerdicts, d.Verdict) {
			return fmt.Errorf("unknown verdict %q: want one of %s", d.Verdict, strings.Join(knownVerdicts, ", "))
		}
		if s.Verdict == d.Verdict {
			return fmt.Errorf("verdict is already %s", d.Verdict)
		}
	case api.DecisionContain:
		if !inc.policy.Respond {
			return fmt.Errorf("customer %s subscribed to detect only: xsoc does not contain their hosts; the recommendation went to the customer", inc.in.Customer)
		}
		if !inc.policy.Capabilities.IsolateHost && !inc.policy.Capabilities.BlockIndicators {
			return fmt.Errorf("%s cannot contain anything for this alert", s.Vendor)
		}
		if d.Host != "" && !slices.Contains(s.hostNames(), d.Host) {
			return fmt.Errorf("host %q is not part of this incident (hosts: %s)", d.Host, strings.Join(s.hostNames(), ", "))
		}
		if len(inc.toContain(d.Host)) == 0 && len(inc.toBlock()) == 0 {
			return errors.New("already contained (or being contained): nothing left to contain")
		}
	case api.DecisionRelease:
		if !s.Containment.Active() {
			return errors.New("nothing is contained: there is nothing to release")
		}
		if d.Host != "" && !slices.Contains(s.Containment.Hosts, d.Host) {
			return fmt.Errorf("host %q is not isolated (isolated: %s)", d.Host, strings.Join(s.Containment.Hosts, ", "))
		}
	case api.DecisionEscalate:
		severity, err := integrations.ParseSeverity(d.Severity)
		if err != nil {
			return err
		}
		if severity.Rank() <= s.Severity.Rank() {
			return fmt.Errorf("severity %s is not above the current %s", severity, s.Severity)
		}
	case api.DecisionUseTickets:
		if strings.TrimSpace(d.Service) == "" {
			return errors.New(`"service" is required (e.g. "forensics")`)
		}
		if d.Tickets <= 0 {
			return fmt.Errorf(`"tickets" must be at least 1, got %d`, d.Tickets)
		}
	case api.DecisionComment:
		if strings.TrimSpace(d.Note) == "" {
			return errors.New(`"note" is required for a comment`)
		}
	case api.DecisionClose:
		if s.Verdict == "" && strings.TrimSpace(d.Note) == "" {
			return errors.New(`closing without a verdict suppresses the incident: give a verdict first, or a "note" saying why`)
		}
	default:
		return fmt.Errorf("unknown decision %q", name)
	}
	return nil
}

// pendingDecision is a decision waiting for the story to apply it, and its answer.
// A decision that starts vendor work (contain, release, a verdict that contains or
// releases) is answered when that work is done.
type pendingDecision struct {
	name     string
	decision api.Decision
	// author sent the decision; authored is set once it is known (an Update's when
	// it was accepted, a Signal's when it is applied).
	author   identity.Author
	authored bool
	// actions counts the vendor actions still running for this decision.
	actions int
	failed  bool
	done    bool
	result  api.DecisionResult
	err     error
}

func (p *pendingDecision) answer(result api.DecisionResult, err error) {
	p.result, p.err, p.done = result, err, true
}

// signalChannel is one Signal's channel: decisions arrive on their own names, call
// outcomes on SignalCallOutcome.
type signalChannel struct {
	name    string
	channel workflow.ReceiveChannel
}

// registerDecisions installs each decision as an Update (validated, answered) and as
// a Signal (validated when applied, recorded as rejected when it does not apply).
func (inc *incident) registerDecisions(ctx workflow.Context) error {
	for _, name := range api.Decisions {
		err := workflow.SetUpdateHandlerWithOptions(ctx, name,
			func(ctx workflow.Context, d api.Decision) (api.DecisionResult, error) {
				pending := inc.acceptedUpdate(ctx, name, d)
				inc.post(event{kind: evDecision, decision: pending})
				if err := workflow.Await(ctx, func() bool { return pending.done }); err != nil {
					return api.DecisionResult{}, err
				}
				pending.result.State = inc.status.State
				return pending.result, pending.err
			},
			workflow.UpdateHandlerOptions{
				Validator: func(ctx workflow.Context, d api.Decision) error {
					d, err := inc.validAuthor(ctx, d)
					if err != nil {
						return err
					}
					return inc.validate(name, d)
				},
				Description: decisionHelp[name],
			})
		if err != nil {
			return err
		}
		inc.signals = append(inc.signals, signalChannel{name: name,
			channel: workflow.GetSignalChannelWithOptions(ctx, name, workflow.SignalChannelOptions{Description: decisionHelp[name]})})
	}
	return nil
}

// signalsWaiting tells whether a signal arrived that is not drained yet.
func (inc *incident) signalsWaiting() bool {
	for _, s := range inc.signals {
		if s.channel.Len() > 0 {
			return true
		}
	}
	return false
}

// drainSignals moves every signal received so far into the event queue. Nothing
// waits on a channel, so a signal can never be held by a coroutine when the incident
// continues as new.
func (inc *incident) drainSignals(ctx workflow.Context) {
	for _, s := range inc.signals {
		for s.channel.Len() > 0 {
			inc.post(s.receive())
		}
	}
}

// receive takes one signal off the channel, as the event it is.
func (s signalChannel) receive() event {
	switch s.name {
	case api.SignalCallOutcome:
		var outcome api.CallOutcome
		s.channel.ReceiveAsync(&outcome)
		return event{kind: evCallOutcome, outcome: outcome}
	case api.SignalJoinedAlert:
		var joined api.JoinedAlert
		s.channel.ReceiveAsync(&joined)
		return event{kind: evJoined, joined: joined}
	case api.SignalJoin:
		var request api.JoinRequest
		s.channel.ReceiveAsync(&request)
		return event{kind: evJoinCampaign, join: request}
	case api.SignalDeliverAlert:
		var alert integrations.Alert
		s.channel.ReceiveAsync(&alert)
		return event{kind: evDelivery, delivery: &pendingDelivery{alert: alert}}
	case api.SignalJoinedAlerts:
		var joined api.JoinedAlerts
		s.channel.ReceiveAsync(&joined)
		return event{kind: evJoinedBatch, batch: joined.Alerts}
	}
	var d api.Decision
	s.channel.ReceiveAsync(&d)
	return event{kind: evDecision, decision: &pendingDecision{name: s.name, decision: d}}
}

// decide applies one decision. It validates again: the incident may have changed
// since an Update was accepted, and Signals were not validated at all.
func (inc *incident) decide(ctx workflow.Context, p *pendingDecision) {
	if !p.authored && !inc.authorSignal(ctx, p) {
		return
	}
	inc.authors.deciding = &p.author
	defer func() { inc.authors.deciding = nil }()
	if err := inc.validate(p.name, p.decision); err != nil {
		inc.record(ctx, casework.NewEntry(workflow.Now(ctx), "rejected", p.decision.By, nil, "%s refused: %v", p.name, err))
		p.answer(api.DecisionResult{}, err)
		return
	}
	inc.status.Decisions++
	d := p.decision
	note := ""
	if d.Note != "" {
		note = ": " + d.Note
	}
	switch p.name {
	case api.DecisionAcknowledge:
		inc.acknowledge(ctx, d)
		p.answer(api.DecisionResult{Message: "acknowledged: paging stopped"}, nil)
	case api.DecisionVerdict:
		inc.giveVerdict(ctx, p)
	case api.DecisionContain:
		inc.contain(ctx, d.By, d.Host, "decided by "+d.By+note, p)
	case api.DecisionRelease:
		inc.release(ctx, d.By, d.Host, "decided by "+d.By+note, p)
	case api.DecisionEscalate:
		severity, _ := integrations.ParseSeverity(d.Severity)
		inc.raiseSeverity(ctx, severity, d.By, note)
		p.answer(api.DecisionResult{Message: "severity raised to " + string(severity)}, nil)
	case api.DecisionUseTickets:
		inc.useTickets(ctx, p)
	case api.DecisionComment:
		inc.record(ctx, casework.NewEntry(workflow.Now(ctx), "comment", d.By, casework.Facts("note", d.Note), "%s", d.Note))
		p.answer(api.DecisionResult{Message: "comment recorded"}, nil)
	case api.DecisionClose:
		inc.close(ctx, d.By, d.Note)
		p.answer(api.DecisionResult{Message: "closed as " + inc.status.State}, nil)
	}
	if p.done {
		p.result.State = inc.status.State
	}
}

// tierOf tells whose acknowledgement a decision is: a phone keypress or Slack click
// on a customer's page is the customer's; everything else is the triaging tier's.
func (inc *incident) tierOf(d api.Decision) string {
	if d.Page != "" {
		for _, page := range inc.status.Paged {
			if page.Key == d.Page && page.Tier != "" {
				return page.Tier
			}
		}
	}
	return inc.policy.triageTier()
}

func (inc *incident) acknowledgementOf(tier string) *api.Acknowledgement {
	if tier == inc.policy.triageTier() {
		return inc.status.Acknowledged
	}
	return inc.status.CustomerAcknowledged
}

// acknowledge stops the chain of the tier that acknowledged. The triaging tier's
// acknowledgement meets the ack clock.
func (inc *incident) acknowledge(ctx workflow.Context, d api.Decision) {
	tier := inc.tierOf(d)
	if inc.acknowledgementOf(tier) != nil {
		return
	}
	author := inc.author(d.By)
	ack := &api.Acknowledgement{By: d.By, Verified: author.Verified, At: workflow.Now(ctx), Via: casework.ProvenVia(author, d.Via)}
	via := ""
	if d.Via != "" {
		via = " via " + d.Via
	}
	kind := "acknowledged"
	if tier == inc.policy.triageTier() {
		inc.status.Acknowledged = ack
		if inc.status.meetClock(api.ClockAck, ack.At) {
			inc.clocksChanged(ctx)
		}
	} else {
		inc.status.CustomerAcknowledged = ack
		kind = "customer_acknowledged"
	}
	inc.stopChain(tier)
	inc.record(ctx, casework.NewEntry(ack.At, kind, d.By, casework.Facts("tier", tier, "via", d.Via), "%s acknowledged%s: paging stopped", tier, via))
}

// giveVerdict acts on a verdict: a true positive is contained where the customer lets
// us, and the customer's own chain starts; a false positive releases what we
// contained and resolves the incident.
func (inc *incident) giveVerdict(ctx workflow.Context, p *pendingDecision) {
	d := p.decision
	now := workflow.Now(ctx)
	if inc.status.Acknowledged == nil {
		inc.acknowledge(ctx, api.Decision{By: d.By, Via: d.Via})
	}
	inc.status.Verdict = d.Verdict
	author := inc.author(d.By)
	inc.status.Decider = &api.DecisionRecord{By: d.By, Verified: author.Verified, Via: author.Via, Note: d.Note, At: now}
	inc.record(ctx, casework.NewEntry(now, "verdict", d.By, casework.Facts("verdict", d.Verdict, "note", d.Note), "verdict %s%s", d.Verdict, casework.NoteSuffix(d.Note)))
	inc.status.meetClock(api.ClockVerdict, now)
	inc.clocksChanged(ctx)
	if d.Verdict == api.VerdictTruePositive {
		inc.confirm(ctx)
		inc.actOnTruePositive(ctx, p)
		return
	}
	inc.status.dropClock(api.ClockContain)
	if inc.status.Containment.Active() || inc.containing() {
		inc.release(ctx, d.By, "", "released automatically: verdict "+d.Verdict, nil)
	}
	inc.close(ctx, d.By, "verdict "+d.Verdict)
	p.answer(api.DecisionResult{Message: "resolved as " + d.Verdict}, nil)
}

// confirm makes a true positive the customer's incident: their own chain starts
// (unless it already runs), and from now on they hear of every change.
func (inc *incident) confirm(ctx workflow.Context) {
	if inc.chain(api.TierCustomer) == nil && inc.status.Severity != integrations.SeverityInfo {
		inc.startChain(ctx, api.TierCustomer)
	}
}

func (inc *incident) actOnTruePositive(ctx workflow.Context, p *pendingDecision) {
	switch {
	case inc.status.Containment.Active() && len(inc.toContain("")) == 0 && len(inc.toBlock()) == 0:
		inc.setState(ctx, api.StateContained, "true positive confirmed; hosts stay contained")
		p.answer(api.DecisionResult{Message: "true positive: already contained"}, nil)
	case inc.policy.CanContain():
		inc.contain(ctx, p.decision.By, "", "true positive verdict", p)
	default:
		hosts := casework.JoinHosts(inc.status.hostNames())
		inc.status.Recommend = fmt.Sprintf("isolate %s now and keep it isolated until it is rebuilt", hosts)
		inc.record(ctx, casework.NewEntry(workflow.Now(ctx), "recommendation", "", casework.Facts("action", "isolate", "hosts", hosts),
			"recommended to the customer: %s", inc.status.Recommend))
		inc.setState(ctx, api.StateAwaitingCustomer, "true positive: waiting for the customer to act on our recommendation")
		p.answer(api.DecisionResult{Message: "true positive: recommendation sent to the customer"}, nil)
	}
}

// raiseSeverity re-plans the clocks and the paging from now at the higher Severity.
// Each running chain starts over at the new Severity, its acknowledgement cleared: a
// more serious incident needs someone to take it again.
func (inc *incident) raiseSeverity(ctx workflow.Context, severity integrations.Severity, by, note string) {
	previous := inc.status.Severity
	inc.status.Severity = severity
	inc.record(ctx, casework.NewEntry(workflow.Now(ctx), "escalated", by, casework.Facts("from", string(previous), "to", string(severity)),
		"severity raised from %s to %s%s", previous, severity, note))
	inc.status.planClocks(workflow.Now(ctx), inc.policy.SLAFor(severity))
	for _, tier := range []string{api.TierSOC, api.TierCustomer} {
		if inc.chain(tier) == nil {
			continue
		}
		if ack := inc.acknowledgementOf(tier); ack != nil {
			inc.note(ctx, "paging", "%s paging restarts at %s until someone acknowledges again (previously acknowledged by %s)", tier, severity, ack.By)
			inc.clearAcknowledgement(tier)
		}
		inc.raiseChain(ctx, tier, severity)
	}
	inc.clocksChanged(ctx)
}

func (inc *incident) clearAcknowledgement(tier string) {
	if tier == inc.policy.triageTier() {
		inc.status.Acknowledged = nil
	} else {
		inc.status.CustomerAcknowledged = nil
	}
}

// close ends the incident: resolved when it has a verdict, suppressed without one.
func (inc *incident) close(ctx workflow.Context, by, note string) {
	state := api.StateSuppressed
	if inc.status.Verdict != "" {
		state = api.StateResolved
	}
	inc.status.ClosedAt = workflow.Now(ctx)
	inc.closeClocks()
	inc.record(ctx, casework.NewEntry(inc.status.ClosedAt, "closed", by, casework.Facts("state", state, "note", note), "closed as %s: %s", state, note))
	inc.setState(ctx, state, "closed: "+note)
}
