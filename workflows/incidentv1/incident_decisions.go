package incidentv1

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"xsoc/integrations"
)

// decisionHelp is what the Temporal UI shows beside each decision.
var decisionHelp = map[string]string{
	DecisionAcknowledge: `Stop the paging: someone is on it. {"by": "analyst", "note": "..."}`,
	DecisionVerdict:     `Give the verdict. {"by": "analyst", "verdict": "true_positive" | "false_positive" | "benign_true_positive", "note": "..."}`,
	DecisionContain:     `Isolate the hosts (or block the indicators on Zscaler). {"by": "analyst", "host": "optional one host", "note": "..."}`,
	DecisionRelease:     `Release what we contained. {"by": "analyst", "host": "optional one host", "note": "..."}`,
	DecisionEscalate:    `Raise the Severity; re-plans SLA clocks and paging. {"by": "analyst", "severity": "emergency", "note": "..."}`,
	DecisionUseTickets:  `Consume prepaid option tickets. {"by": "analyst", "service": "forensics", "tickets": 2, "note": "..."}`,
	DecisionComment:     `Add a note to the timeline. {"by": "analyst", "note": "..."}`,
	DecisionClose:       `Close the incident: resolved with its verdict, or suppressed with a note. {"by": "analyst", "note": "..."}`,
}

var knownVerdicts = []string{VerdictTruePositive, VerdictFalsePositive, VerdictBenignTruePositive}

// validate refuses a decision that does not apply to the incident as it stands, with
// a reason a person can act on. Updates show it to the analyst; Signals record it.
func (inc *incident) validate(name string, d Decision) error {
	s := inc.status
	if strings.TrimSpace(d.By) == "" {
		return errors.New(`"by" is required: say who decides (the Temporal UI sends no identity)`)
	}
	if s.concluded() && name != DecisionComment {
		return fmt.Errorf("incident is %s: no further %s", s.State, name)
	}
	switch name {
	case DecisionAcknowledge:
		if s.Acknowledged != nil {
			return fmt.Errorf("already acknowledged by %s at %s", s.Acknowledged.By, s.Acknowledged.At.UTC().Format("2006-01-02 15:04:05Z"))
		}
	case DecisionVerdict:
		if !slices.Contains(knownVerdicts, d.Verdict) {
			return fmt.Errorf("unknown verdict %q: want one of %s", d.Verdict, strings.Join(knownVerdicts, ", "))
		}
		if s.Verdict == d.Verdict {
			return fmt.Errorf("verdict is already %s", d.Verdict)
		}
	case DecisionContain:
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
			return errors.New("already contained: nothing left to contain")
		}
	case DecisionRelease:
		if !s.Containment.Active() {
			return errors.New("nothing is contained: there is nothing to release")
		}
		if d.Host != "" && !slices.Contains(s.Containment.Hosts, d.Host) {
			return fmt.Errorf("host %q is not isolated (isolated: %s)", d.Host, strings.Join(s.Containment.Hosts, ", "))
		}
	case DecisionEscalate:
		severity, err := integrations.ParseSeverity(d.Severity)
		if err != nil {
			return err
		}
		if severity.Rank() <= s.Severity.Rank() {
			return fmt.Errorf("severity %s is not above the current %s", severity, s.Severity)
		}
	case DecisionUseTickets:
		if strings.TrimSpace(d.Service) == "" {
			return errors.New(`"service" is required (e.g. "forensics")`)
		}
		if d.Tickets <= 0 {
			return fmt.Errorf(`"tickets" must be at least 1, got %d`, d.Tickets)
		}
	case DecisionComment:
		if strings.TrimSpace(d.Note) == "" {
			return errors.New(`"note" is required for a comment`)
		}
	case DecisionClose:
		if s.Verdict == "" && strings.TrimSpace(d.Note) == "" {
			return errors.New(`closing without a verdict suppresses the incident: give a verdict first, or a "note" saying why`)
		}
	default:
		return fmt.Errorf("unknown decision %q", name)
	}
	return nil
}

// queuedDecision is a decision waiting for the incident's story to apply it, so that
// decisions apply one at a time and in order, whether they came as Signal or Update.
type queuedDecision struct {
	name     string
	decision Decision
	done     bool
	result   DecisionResult
	err      error
}

// registerDecisions installs each decision as an Update (validated, answered) and as
// a Signal (validated, recorded as rejected when it does not apply).
func (inc *incident) registerDecisions(ctx workflow.Context) error {
	for _, name := range Decisions {
		err := workflow.SetUpdateHandlerWithOptions(ctx, name,
			func(ctx workflow.Context, d Decision) (DecisionResult, error) {
				item := inc.enqueue(name, d)
				if err := workflow.Await(ctx, func() bool { return item.done }); err != nil {
					return DecisionResult{}, err
				}
				return item.result, item.err
			},
			workflow.UpdateHandlerOptions{
				Validator:   func(_ workflow.Context, d Decision) error { return inc.validate(name, d) },
				Description: decisionHelp[name],
			})
		if err != nil {
			return err
		}
		signals := workflow.GetSignalChannelWithOptions(ctx, name, workflow.SignalChannelOptions{Description: decisionHelp[name]})
		workflow.Go(ctx, func(ctx workflow.Context) {
			for {
				var d Decision
				more := signals.Receive(ctx, &d)
				if !more {
					return
				}
				inc.pendingSignals++
				if err := inc.validate(name, d); err != nil {
					inc.record(ctx, "rejected", d.By, "%s refused: %v", name, err)
				} else {
					inc.enqueue(name, d)
				}
				inc.pendingSignals--
			}
		})
	}
	return nil
}

func (inc *incident) enqueue(name string, d Decision) *queuedDecision {
	item := &queuedDecision{name: name, decision: d}
	inc.queue = append(inc.queue, item)
	return item
}

// applyNext applies the oldest queued decision. It validates again: the incident may
// have changed since the decision was accepted.
func (inc *incident) applyNext(ctx workflow.Context) {
	item := inc.queue[0]
	inc.queue = inc.queue[1:]
	defer func() { item.done = true }()
	if err := inc.validate(item.name, item.decision); err != nil {
		item.err = err
		inc.record(ctx, "rejected", item.decision.By, "%s refused: %v", item.name, err)
		return
	}
	inc.status.Decisions++
	item.result, item.err = inc.apply(ctx, item.name, item.decision)
	item.result.State = inc.status.State
}

// apply is the one place a decision takes effect.
func (inc *incident) apply(ctx workflow.Context, name string, d Decision) (DecisionResult, error) {
	note := ""
	if d.Note != "" {
		note = ": " + d.Note
	}
	switch name {
	case DecisionAcknowledge:
		inc.acknowledge(ctx, d)
		return DecisionResult{Message: "acknowledged: paging stopped"}, nil
	case DecisionVerdict:
		inc.record(ctx, "verdict", d.By, "verdict %s%s", d.Verdict, note)
		return inc.giveVerdict(ctx, d)
	case DecisionContain:
		if inc.contain(ctx, d.By, d.Host, "decided by "+d.By+note) {
			return DecisionResult{Message: "contained"}, nil
		}
		return DecisionResult{}, errors.New("containment failed: see the timeline for the vendor's answer")
	case DecisionRelease:
		if inc.release(ctx, d.By, d.Host, "decided by "+d.By+note) {
			return DecisionResult{Message: "released"}, nil
		}
		return DecisionResult{}, errors.New("release failed: see the timeline for the vendor's answer")
	case DecisionEscalate:
		severity, _ := integrations.ParseSeverity(d.Severity)
		inc.raiseSeverity(ctx, severity, d.By, note)
		return DecisionResult{Message: "severity raised to " + string(severity)}, nil
	case DecisionUseTickets:
		return inc.useTickets(ctx, d)
	case DecisionComment:
		inc.record(ctx, "comment", d.By, "%s", d.Note)
		return DecisionResult{Message: "comment recorded"}, nil
	case DecisionClose:
		inc.close(ctx, d.By, strings.TrimPrefix(note, ": "))
		return DecisionResult{Message: "closed as " + inc.status.State}, nil
	}
	return DecisionResult{}, fmt.Errorf("unknown decision %q", name)
}

func (inc *incident) acknowledge(ctx workflow.Context, d Decision) {
	if inc.status.Acknowledged != nil {
		return
	}
	inc.status.Acknowledged = &Acknowledgement{By: d.By, At: workflow.Now(ctx), Via: d.Via}
	via := ""
	if d.Via != "" {
		via = " via " + d.Via
	}
	inc.record(ctx, "acknowledged", d.By, "acknowledged%s: paging stopped", via)
	if inc.status.meetClock(ClockAck, workflow.Now(ctx)) {
		inc.clocksChanged(ctx)
	}
}

// giveVerdict acts on a verdict: a true positive is contained where the customer lets
// us; a false positive releases what we contained and resolves the incident.
func (inc *incident) giveVerdict(ctx workflow.Context, d Decision) (DecisionResult, error) {
	inc.acknowledge(ctx, Decision{By: d.By, Via: d.Via})
	inc.status.Verdict = d.Verdict
	inc.status.meetClock(ClockVerdict, workflow.Now(ctx))
	inc.clocksChanged(ctx)
	if d.Verdict == VerdictTruePositive {
		return inc.actOnTruePositive(ctx, d.By), nil
	}
	inc.status.dropClock(ClockContain)
	if inc.status.Containment.Active() {
		inc.release(ctx, d.By, "", "released automatically: verdict "+d.Verdict)
	}
	inc.close(ctx, d.By, "verdict "+d.Verdict)
	return DecisionResult{Message: "resolved as " + d.Verdict}, nil
}

func (inc *incident) actOnTruePositive(ctx workflow.Context, by string) DecisionResult {
	switch {
	case inc.status.Containment.Active() && len(inc.toContain("")) == 0:
		inc.setState(ctx, StateContained, "true positive confirmed; hosts stay contained")
		return DecisionResult{Message: "true positive: already contained"}
	case inc.policy.CanContain():
		if inc.contain(ctx, by, "", "true positive verdict") {
			return DecisionResult{Message: "true positive: contained"}
		}
		return DecisionResult{Message: "true positive: containment failed, see the timeline"}
	default:
		inc.status.Recommend = fmt.Sprintf("isolate %s now and keep it isolated until it is rebuilt", strings.Join(inc.status.hostNames(), ", "))
		inc.record(ctx, "recommendation", "", "recommended to the customer: %s", inc.status.Recommend)
		inc.setState(ctx, StateAwaitingCustomer, "true positive: waiting for the customer to act on our recommendation: "+inc.status.Recommend)
		return DecisionResult{Message: "true positive: recommendation sent to the customer"}
	}
}

// raiseSeverity re-plans the clocks and the paging from now at the higher Severity.
func (inc *incident) raiseSeverity(ctx workflow.Context, severity integrations.Severity, by, note string) {
	previous := inc.status.Severity
	inc.status.Severity = severity
	inc.record(ctx, "escalated", by, "severity raised from %s to %s%s", previous, severity, note)
	inc.status.planClocks(workflow.Now(ctx), inc.policy.SLAFor(severity))
	inc.raiseChain(ctx, severity)
	if inc.status.Acknowledged != nil {
		inc.record(ctx, "paging", "", "paging restarts at %s until someone acknowledges again (previously acknowledged by %s)", severity, inc.status.Acknowledged.By)
		inc.status.Acknowledged = nil
	}
	inc.startEscalation(ctx)
	inc.clocksChanged(ctx)
	inc.sendStatusUpdate(ctx, fmt.Sprintf("severity raised to %s", severity))
}
