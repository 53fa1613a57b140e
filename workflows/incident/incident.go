// Package incident is the Incident workflow: the life of one alert, from triage and
// paging to the verdict, containment and the Account's record. incident.go is the
// story; the other files are its parts.
package incident

// Versioning: incidents run for hours or days. The worker registers Incident pinned
// (Worker Versioning, docs/deploy.md): an open incident finishes on the build that
// started it. A change to this workflow's commands (activities, timers, their order)
// is still guarded with workflow.GetVersion, and the replay test
// (replay_test.go) keeps passing over the recorded histories in testdata/histories:
// an operator may move a pinned incident to a newer build when its own is gone, and
// the incidents of the unversioned workers before round 3 move to the first
// versioned build. Incidents started before round 2 (incidentMinimumVersion) fail at
// once with a clear error instead of replaying wrong.

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// incident is one running incident: its input, its state, and the events waiting to
// be applied to it.
type incident struct {
	in          api.IncidentInput
	policy      policy
	status      incidentStatus
	incarnation string
	// events wait here, in arrival order, until the story applies them (handle).
	events []event
	// effects are the activities and signals running beside the story; the incident
	// neither continues as new nor ends before they report back.
	effects casework.InFlight
	// signals are the decision and call-outcome channels, drained into events.
	signals []signalChannel
	alarm   *casework.Alarm
	// replies wait for the vendor actions a decision started, by action number.
	replies map[int]*pendingDecision
	// searchStale is set when a search attribute may have changed since the last
	// upsert; published is what was last upserted.
	searchStale bool
	published   publishedAttributes
	// account is what the incident told its Account (account_moments.go).
	account accountMoments
	// authors are the decisions' senders: the stamps taken, the author deciding.
	authors authors
	// hostIndex and heldIndex index the incident's hosts by label and the hosts it
	// holds isolated (handover.go); rebuilt from the state when dropped.
	hostIndex map[string]integrations.Host
	heldIndex map[string]bool
}

// Incident is the life of one alert: open it and do what triage says (close it by a
// suppression rule, hand it to the open incident of its host or to a campaign, or
// page whoever must hear of a new incident), respond by the customer's policy, take decisions under the SLA clocks while paging
// people until someone acknowledges, then conclude and report.
func Incident(ctx workflow.Context, in api.IncidentInput) (api.IncidentStatus, error) {
	if err := requireSupportedVersion(ctx); err != nil {
		return api.IncidentStatus{}, err
	}
	inc := newIncident(ctx, in)
	if err := inc.setup(ctx); err != nil {
		return api.IncidentStatus(inc.status), err
	}
	if in.Resume == nil {
		inc.open(ctx)
		pagedFirst := inc.pagesBeforeTriage()
		if pagedFirst {
			inc.page(ctx, false)
			inc.pageDueSteps(ctx)
		}
		inc.actOnTriage(ctx, inc.askTriage(ctx, pagedFirst, ""), pagedFirst)
	}
	if err := inc.runUntilConcluded(ctx); err != nil {
		return api.IncidentStatus(inc.status), err
	}
	inc.conclude(ctx)
	return api.IncidentStatus(inc.status), nil
}

func newIncident(ctx workflow.Context, in api.IncidentInput) *incident {
	info := workflow.GetInfo(ctx)
	inc := &incident{in: in, policy: policy{in.Policy}, incarnation: info.WorkflowExecution.ID + "#" + info.FirstRunID,
		replies: map[int]*pendingDecision{}, authors: authors{taken: in.Stamps}}
	if in.Resume != nil {
		inc.status = incidentStatus(*in.Resume)
		return inc
	}
	inc.status = incidentStatus{
		WorkflowID:    info.WorkflowExecution.ID,
		Customer:      in.Customer,
		Vendor:        in.Vendor,
		Alert:         in.Alert,
		Severity:      in.Alert.Severity,
		State:         api.StateNew,
		OpenedAt:      workflow.Now(ctx),
		PreviousRunID: in.PreviousRunID,
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

// open records the alert, publishes it for search and starts the SLA clocks.
func (inc *incident) open(ctx workflow.Context) {
	s := &inc.status
	if site, ok := inc.site(); ok {
		s.Site = site.ID
	}
	inc.record(ctx, casework.NewEntry(workflow.Now(ctx), "opened", "",
		casework.Facts("vendor", s.Vendor, "alert", s.Alert.ID, "detection", s.Alert.Detection, "hosts", casework.JoinHosts(s.hostNames()), "severity", string(s.Severity)),
		"%s alert %s: %s on %v (severity %s)", s.Vendor, s.Alert.ID, s.Alert.Detection, s.hostNames(), s.Severity))
	if s.PreviousRunID != "" {
		inc.note(ctx, "recurrence", "recurrence of the incident closed in run %s", s.PreviousRunID)
	}
	s.planClocks(workflow.Now(ctx), inc.policy.SLAFor(s.Severity))
	inc.publish(ctx)
}

func (inc *incident) registerQueries(ctx workflow.Context) error {
	err := workflow.SetQueryHandlerWithOptions(ctx, api.QueryStatus, func() (api.IncidentStatus, error) {
		return api.IncidentStatus(inc.status), nil
	}, workflow.QueryHandlerOptions{Description: "State, verdict, containment, people paged and who acknowledged (SOC and customer), and the timeline."})
	if err != nil {
		return err
	}
	return workflow.SetQueryHandlerWithOptions(ctx, api.QuerySLA, func() (api.SLAView, error) {
		return inc.status.slaView(workflow.Now(ctx)), nil
	}, workflow.QueryHandlerOptions{Description: "Each SLA clock (ack, verdict, contain): due time, remaining, met or breached."})
}

// runUntilConcluded applies the incident's events one at a time until it concludes:
// decisions, re-deliveries, vendor results, and the passing of time. It continues as
// new when the history has grown, between two events.
func (inc *incident) runUntilConcluded(ctx workflow.Context) error {
	for {
		inc.handle(ctx, event{kind: evTime})
		if inc.status.concluded() {
			return nil
		}
		if inc.readyToContinueAsNew(ctx) {
			return inc.continueAsNew(ctx)
		}
		if err := inc.awaitEvents(ctx); err != nil {
			return inc.cancelled(ctx, err)
		}
		inc.applyEvents(ctx)
	}
}

// applyEvents drains the signal channels into the queue, then applies the queue.
func (inc *incident) applyEvents(ctx workflow.Context) {
	inc.drainSignals(ctx)
	for len(inc.events) > 0 {
		ev := inc.events[0]
		inc.events = inc.events[1:]
		inc.handle(ctx, ev)
	}
}

func (inc *incident) post(ev event) { inc.events = append(inc.events, ev) }

// awaitEvents sleeps until an event arrives or the next moment something is due. A
// cancelled incident does not wait: a timer set on a cancelled context is ready at once
// (on the real server, not in the test environment), so the loop would set alarms for
// ever without yielding.
func (inc *incident) awaitEvents(ctx workflow.Context) error {
	if ctx.Err() != nil {
		return temporal.NewCanceledError("incident cancelled")
	}
	inc.upsertSearch(ctx)
	inc.tellAccount(ctx)
	inc.alarm = casework.SetAlarm(ctx, inc.alarm, inc.nextDue())
	return workflow.Await(ctx, func() bool {
		return len(inc.events) > 0 || inc.signalsWaiting() || inc.alarm.Rang() || inc.readyToContinueAsNew(ctx)
	})
}

// nextDue is the earliest moment time-driven work is due: a clock turning, a chain's
// next step, gathered status changes going out.
func (inc *incident) nextDue() time.Time {
	var next time.Time
	consider := func(at time.Time) {
		if !at.IsZero() && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	if at, ok := inc.status.nextClockEvent(); ok {
		consider(at)
	}
	for i := range inc.status.Chains {
		if page, ok := inc.nextPageOf(&inc.status.Chains[i]); ok {
			consider(page.At)
		}
	}
	consider(inc.status.Outbox.FlushAt)
	return next
}

// readyToContinueAsNew is true when the history has grown enough that the incident
// should carry its state into a fresh run, and nothing is in the middle of happening:
// no event waiting, no signal undrained, no activity out, no handler running.
func (inc *incident) readyToContinueAsNew(ctx workflow.Context) bool {
	return casework.MayContinueAsNew(ctx, len(inc.events) == 0 && !inc.signalsWaiting() && inc.effects.Idle() && len(inc.status.Pending) == 0)
}

func (inc *incident) continueAsNew(ctx workflow.Context) error {
	inc.upsertSearch(ctx)
	next := inc.in
	status := api.IncidentStatus(inc.status)
	next.Resume = &status
	next.Stamps = inc.authors.taken
	return workflow.NewContinueAsNewError(ctx, api.IncidentWorkflowType, next)
}

// conclude waits for the vendor work still queued (a release after a false positive),
// writes the verdict back to the vendor, reports the incident to the customer's
// account, and applies what still arrives (comments) until every message and handler
// is done.
func (inc *incident) conclude(ctx workflow.Context) {
	inc.closeClocks()
	inc.drainWork(ctx)
	// The SOC's list shows the final state now, not after the bookkeeping below, which
	// waits on the vendor and the customer's Account.
	inc.upsertSearch(ctx)
	inc.writeBack(ctx)
	inc.leaveTriage(ctx)
	inc.reportToAccount(ctx)
	inc.drainWork(ctx)
	inc.upsertSearch(ctx)
}

// drainWork applies events until no vendor action is queued or running, no
// notification is out and every handler has finished.
func (inc *incident) drainWork(ctx workflow.Context) {
	for {
		inc.handle(ctx, event{kind: evTime})
		idle := func() bool {
			return len(inc.events) == 0 && !inc.signalsWaiting() && inc.effects.Idle() && len(inc.status.Pending) == 0 &&
				workflow.AllHandlersFinished(ctx)
		}
		if idle() {
			return
		}
		inc.upsertSearch(ctx)
		_ = workflow.Await(ctx, func() bool { return len(inc.events) > 0 || inc.signalsWaiting() || idle() })
		inc.applyEvents(ctx)
	}
}

// cancelled ends an incident an operator cancelled (UI or CLI): it records who can
// see it, releases nothing (a contained host stays contained until a person decides),
// tells the SOC when something stays contained, and reports to the account so the
// month's figures still count it.
func (inc *incident) cancelled(ctx workflow.Context, err error) error {
	if !errors.Is(ctx.Err(), workflow.ErrCanceled) && !temporal.IsCanceledError(err) {
		return err
	}
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	left := "nothing was contained"
	if inc.status.Containment.Active() {
		left = "still contained: " + strings.Join(inc.containedList(), ", ")
	}
	inc.note(ctx, "cancelled", "cancelled by an operator in state %s; nothing was released (%s)", inc.status.State, left)
	inc.status.ClosedAt = workflow.Now(ctx)
	inc.closeClocks()
	if inc.status.Containment.Active() {
		inc.tellSOC(ctx, "cancelled", inc.cancelNotice())
	}
	if incidentVersion(ctx) >= incidentVersionRound3 {
		// Its hosts are free: the next alert for them must not be handed to an
		// incident that is over.
		inc.leaveTriage(ctx)
	}
	inc.reportToAccount(ctx)
	_ = workflow.Await(ctx, func() bool { return inc.effects.Idle() })
	inc.upsertSearch(ctx)
	return temporal.NewCanceledError("incident cancelled by an operator")
}

// The incident's versions, recorded once per run under one change id (one marker).
const (
	incidentVersionChange = "incident-round-2"
	// incidentVersionRound2: the event queue, tiers and triage by Signal.
	incidentVersionRound2 workflow.Version = 1
	// incidentVersionTriageByUpdate: a new incident that does not page first asks
	// triage by Update in its first workflow task.
	incidentVersionTriageByUpdate workflow.Version = 2
	// incidentVersionLocalRecord: the concluded incident reports to its Account by a
	// local activity.
	incidentVersionLocalRecord workflow.Version = 3
	// incidentVersionRound3: an incident leaves triage however it ends (a cancel too),
	// asks triage again when the incident it was to join is gone, carries what it
	// blocked into the incident it joins, writes verdicts back in bounded batches, and
	// names its run when it asks triage by Signal.
	incidentVersionRound3 workflow.Version = 4
	// incidentVersionHandover: an incident triage answers "merged, handed over" closes
	// at once; alerts handed over arrive many at once; new hosts of a contained incident
	// are isolated in one vendor call per platform; a parent of thousands keeps the
	// latest of its members and writes its verdict back to all of them from visibility
	// (handover.go).
	incidentVersionHandover workflow.Version = 5
	// incidentVersionPatience: an incident whose triage is busy (no answer within its
	// first workflow task) waits for the answer by Signal holding no task, up to
	// casework.TriagePatience, instead of holding its task for a minute and paging as
	// a new incident (triage.go, awaitLateAnswer); and it tells its Account its
	// moments without the incident-account-moments marker. New behaviour goes under
	// this one change id rather than a marker of its own: the SDK upserts the
	// TemporalChangeVersion search attribute for every change id an incident records,
	// one visibility write each, thousands in a worm.
	incidentVersionPatience workflow.Version = 6
	// incidentVersionTellsByUpdate: a running incident tells its Account its moments
	// by the local activity that tells its conclusion (an Update, batched with the
	// other incidents' records), not by a signal of its own: a signal that arrived
	// while the Account continued as new made the server refuse that task
	// (account_moments.go).
	incidentVersionTellsByUpdate workflow.Version = 7
)

// incidentVersion answers the version the incident runs (the same on every call).
func incidentVersion(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, incidentVersionChange, workflow.DefaultVersion, incidentLatestVersion)
}

// incidentLatestVersion is the version new incidents run.
const incidentLatestVersion = incidentVersionTellsByUpdate

// incidentMinimumVersion is the oldest incident version this code runs: round 1's
// incidents (no version marker) ran in package incidentv1, which is gone.
const incidentMinimumVersion = incidentVersionRound2

// requireSupportedVersion fails the incident at once when its history was written by
// a version this code no longer runs. Replaying it would not match its history: the
// worker would fail the workflow task over and over (a non-determinism loop) while
// the incident's clocks stand still. Failing the workflow instead ends it visibly,
// with the incident and the minimum named, on its first workflow task on this build.
// (A worker that ends a workflow during replay does not compare the rest of the
// history with the code: the failure is accepted.)
func requireSupportedVersion(ctx workflow.Context) error {
	version := incidentVersion(ctx)
	if version >= incidentMinimumVersion {
		return nil
	}
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	started := fmt.Sprintf("incident version %d", version)
	if version == workflow.DefaultVersion {
		started = "round 1 (no " + incidentVersionChange + " marker)"
	}
	message := fmt.Sprintf("incident %s was started by %s; this build runs incident versions %d to %d of %s, so it cannot "+
		"continue here: finish it on the build that started it, or close it by hand (docs/deploy.md, an incident too old for its build)",
		id, started, incidentMinimumVersion, incidentLatestVersion, incidentVersionChange)
	workflow.GetLogger(ctx).Error("incident too old for this build", "incident", id, "version", version,
		"minimum", incidentMinimumVersion, "change_id", incidentVersionChange)
	return temporal.NewNonRetryableApplicationError(message, api.IncidentVersionUnsupported, nil)
}
