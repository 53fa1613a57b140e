package incidentv1

// Versioning: incidents run for hours or days, so a change to this workflow's commands
// (activities, timers, their order) breaks the incidents already running. Guard such a
// change with workflow.GetVersion, and keep the replay test (incident_replay_test.go)
// passing over the recorded histories in testdata/: it fails when a change would
// break a running incident.

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"xsoc/config"
	"xsoc/integrations"
)

// incident is one running incident: its input, its state, and the bookkeeping of
// the coroutines that run beside its story (clocks, paging, handlers).
type incident struct {
	in             IncidentInput
	policy         Policy
	status         IncidentStatus
	incarnation    string
	queue          []*queuedDecision
	pendingSignals int
	inflight       int
	slaGen         int
	statusSeq      int
	escalating     bool
	published      publishedAttributes
}

// Run is the life of one alert as version 1 ran it: open it, respond by the
// customer's policy, take decisions under the SLA clocks while paging people until
// someone acknowledges, then conclude and report.
func Run(ctx workflow.Context, in IncidentInput) (IncidentStatus, error) {
	inc := newIncident(ctx, in)
	if err := inc.setup(ctx); err != nil {
		return inc.status, err
	}
	if in.Carried == nil {
		inc.open(ctx)
		inc.respondByPolicy(ctx)
	} else {
		inc.resume(ctx)
	}
	for !inc.status.concluded() {
		if err := workflow.Await(ctx, func() bool { return len(inc.queue) > 0 || inc.shouldContinueAsNew(ctx) }); err != nil {
			return inc.status, err
		}
		if len(inc.queue) > 0 {
			inc.applyNext(ctx)
			continue
		}
		return inc.status, inc.continueAsNew(ctx)
	}
	inc.conclude(ctx)
	return inc.status, nil
}

func newIncident(ctx workflow.Context, in IncidentInput) *incident {
	info := workflow.GetInfo(ctx)
	inc := &incident{in: in, policy: in.Policy, incarnation: info.WorkflowExecution.ID + "#" + info.FirstRunID}
	if in.Carried != nil {
		inc.status = *in.Carried
		return inc
	}
	inc.status = IncidentStatus{
		WorkflowID:    info.WorkflowExecution.ID,
		Customer:      in.Customer,
		Vendor:        in.Vendor,
		Alert:         in.Alert,
		Severity:      in.Alert.Severity,
		State:         StateNew,
		OpenedAt:      workflow.Now(ctx),
		PreviousRunID: in.PreviousRunID,
		Chain:         Chain{Severity: in.Alert.Severity, StartedAt: workflow.Now(ctx)},
		Deliveries:    1,
	}
	return inc
}

// setup registers every handler before the story yields, so that re-deliveries and
// decisions arriving with the first workflow task find them.
func (inc *incident) setup(ctx workflow.Context) error {
	if err := inc.registerDecisions(ctx); err != nil {
		return err
	}
	if err := inc.registerIntake(ctx); err != nil {
		return err
	}
	return inc.registerQueries(ctx)
}

// open records the alert, publishes it for search, starts the SLA clocks and the
// escalation chain, and tells the customer's contacts.
func (inc *incident) open(ctx workflow.Context) {
	s := &inc.status
	if site, ok := inc.site(); ok {
		s.Site = site.ID
	}
	inc.record(ctx, "opened", "", "%s alert %s: %s on %v (severity %s)", s.Vendor, s.Alert.ID, s.Alert.Detection, s.hostNames(), s.Severity)
	if s.PreviousRunID != "" {
		inc.record(ctx, "recurrence", "", "recurrence of the incident closed in run %s", s.PreviousRunID)
	}
	s.planClocks(workflow.Now(ctx), inc.policy.SLAFor(s.Severity))
	inc.publish(ctx)
	if s.Severity == integrations.SeverityInfo {
		inc.record(ctx, "paging", "", "severity info: recorded, never paged")
	} else {
		inc.startEscalation(ctx)
	}
	workflow.Go(ctx, inc.watchSLA)
	inc.sendStatusUpdate(ctx, "new incident")
}

// resume picks a continued incident up where the previous run left it.
func (inc *incident) resume(ctx workflow.Context) {
	workflow.Go(ctx, inc.watchSLA)
	if inc.status.Acknowledged == nil && inc.status.Severity != integrations.SeverityInfo {
		inc.startEscalation(ctx)
	}
}

func (inc *incident) startEscalation(ctx workflow.Context) {
	if inc.escalating {
		return
	}
	inc.escalating = true
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { inc.escalating = false }()
		inc.runEscalation(ctx)
	})
}

// close ends the incident: resolved when it has a verdict, suppressed without one.
func (inc *incident) close(ctx workflow.Context, by, note string) {
	state := StateSuppressed
	if inc.status.Verdict != "" {
		state = StateResolved
	}
	inc.status.ClosedAt = workflow.Now(ctx)
	for _, name := range []string{ClockAck, ClockVerdict, ClockContain} {
		inc.status.dropClock(name)
	}
	inc.record(ctx, "closed", by, "closed as %s: %s", state, note)
	inc.setState(ctx, state, "closed: "+note)
	inc.slaGen++
}

// conclude writes our verdict back to the vendor, reports the incident to the
// customer's account, and waits for every message and handler to finish.
func (inc *incident) conclude(ctx workflow.Context) {
	inc.writeBack(ctx)
	inc.reportToAccount(ctx)
	// Comments may still arrive while the last messages go out: apply them too, so
	// that every handler finishes before the incident ends.
	for {
		_ = workflow.Await(ctx, func() bool {
			return len(inc.queue) > 0 || inc.inflight == 0 && inc.pendingSignals == 0 && workflow.AllHandlersFinished(ctx)
		})
		if len(inc.queue) == 0 {
			return
		}
		inc.applyNext(ctx)
	}
}

// setState moves the incident to a new state: timeline, search attributes and a
// status update to the customer's contacts.
func (inc *incident) setState(ctx workflow.Context, state, why string) {
	if inc.status.State == state {
		return
	}
	previous := inc.status.State
	inc.status.State = state
	inc.record(ctx, "state", "", "%s → %s: %s", previous, state, why)
	inc.publish(ctx)
	inc.sendStatusUpdate(ctx, why)
}

func (inc *incident) record(ctx workflow.Context, kind, by, format string, args ...any) {
	inc.status.record(workflow.Now(ctx), kind, by, format, args...)
}

func (inc *incident) site() (config.Site, bool) {
	for _, host := range inc.status.hostNames() {
		if site, ok := inc.policy.SiteOf(host); ok {
			return site, true
		}
	}
	return config.Site{}, false
}

func (inc *incident) registerQueries(ctx workflow.Context) error {
	err := workflow.SetQueryHandlerWithOptions(ctx, QueryStatus, func() (IncidentStatus, error) {
		return inc.status, nil
	}, workflow.QueryHandlerOptions{Description: "State, verdict, containment, people paged and who acknowledged, and the timeline."})
	if err != nil {
		return err
	}
	return workflow.SetQueryHandlerWithOptions(ctx, QuerySLA, func() (SLAView, error) {
		return inc.status.slaView(workflow.Now(ctx)), nil
	}, workflow.QueryHandlerOptions{Description: "Each SLA clock (ack, verdict, contain): due time, remaining, met or breached."})
}

// shouldContinueAsNew is true when the history has grown enough that the incident
// should carry its state into a fresh run, and nothing is in the middle of happening.
func (inc *incident) shouldContinueAsNew(ctx workflow.Context) bool {
	return workflow.GetInfo(ctx).GetContinueAsNewSuggested() && inc.inflight == 0 && inc.pendingSignals == 0 &&
		workflow.AllHandlersFinished(ctx)
}

func (inc *incident) continueAsNew(ctx workflow.Context) error {
	next := inc.in
	status := inc.status
	next.Carried = &status
	return workflow.NewContinueAsNewError(ctx, incidentWorkflowType, next)
}

// incidentWorkflowType is the type version 1 continues as: the Incident workflow,
// which routes a run carrying version-1 state back here.
const incidentWorkflowType = "Incident"

// incidentSummaryTimeout bounds the final bookkeeping activities.
const incidentSummaryTimeout = 5 * time.Minute
