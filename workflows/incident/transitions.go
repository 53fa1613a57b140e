package incident

import (
	"slices"

	"go.temporal.io/sdk/workflow"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// The incident's states and the moves between them. Every change of state goes
// through setState, which refuses a move this table does not list.
//
//	new ──► investigating ──► containing ──► contained
//	 │            ▲   │            │  ▲          │
//	 │            └───┼────────────┘  └──────────┤ (a new host arrives)
//	 │                ▼                          ▼
//	 ├──► awaiting_customer ──────────────► resolved | suppressed
//	 ├──► suppressed (a rule matched)
//	 └──► merged (joined an open incident; any open state may join a campaign)
var moves = map[string][]string{
	api.StateNew:              {api.StateInvestigating, api.StateContaining, api.StateAwaitingCustomer, api.StateResolved, api.StateSuppressed, api.StateMerged},
	api.StateInvestigating:    {api.StateContaining, api.StateAwaitingCustomer, api.StateResolved, api.StateSuppressed, api.StateMerged},
	api.StateContaining:       {api.StateContained, api.StateInvestigating, api.StateAwaitingCustomer, api.StateResolved, api.StateSuppressed, api.StateMerged},
	api.StateContained:        {api.StateContaining, api.StateInvestigating, api.StateResolved, api.StateSuppressed, api.StateMerged},
	api.StateAwaitingCustomer: {api.StateContaining, api.StateInvestigating, api.StateResolved, api.StateSuppressed, api.StateMerged},
	api.StateResolved:         nil,
	api.StateSuppressed:       nil,
	api.StateMerged:           nil,
}

// terminal tells whether an incident in this state is over.
func terminal(state string) bool {
	moves, known := moves[state]
	return known && len(moves) == 0
}

// eventKind is what happened to the incident. Handlers, signals, timers and the
// activities running beside the story only post events; handle applies them one at
// a time, in order, so that no two changes ever interleave.
type eventKind int

const (
	// evTime: the clock moved on (the incident's alarm rang, or events were applied
	// and the time-driven work due now must run): SLA clocks, chain pages, status
	// messages and queued vendor work.
	evTime eventKind = iota
	// evDecision: an analyst's decision, from a Signal or an Update.
	evDecision
	// evDelivery: the vendor delivered the alert again, or an update of it.
	evDelivery
	// evCallOutcome: a call of a chain ended without a keypress.
	evCallOutcome
	// evActionDone: a vendor action (isolate, release, block, unblock) finished.
	evActionDone
	// evInvestigated: the vendor's findings arrived (or the investigation failed).
	evInvestigated
	// evNotified: a notification went out, or failed for good.
	evNotified
	// evTicketsUsed: the customer's Account answered a use_tickets decision.
	evTicketsUsed
	// evJoined: an alert joined this incident (correlation by host, or a campaign's member).
	evJoined
	// evJoinCampaign: triage asks this incident to join a campaign.
	evJoinCampaign
	// evNoted: something beside the story finished that only needs a line, if any.
	evNoted
	// evJoinedBatch: triage handed this incident alerts that joined it.
	evJoinedBatch
)

type event struct {
	kind      eventKind
	decision  *pendingDecision
	delivery  *pendingDelivery
	outcome   api.CallOutcome
	action    api.VendorAction
	result    integrations.ActionResult
	findings  integrations.Findings
	page      int
	ref       string
	remaining int
	joined    api.JoinedAlert
	batch     []api.JoinedAlert
	join      api.JoinRequest
	// hostResults are a batch action's outcome, host by host.
	hostResults []integrations.HostResult
	text        string
	err         error
}

// handle is the incident's one transition function: every change of its state goes
// through here.
func (inc *incident) handle(ctx workflow.Context, ev event) {
	switch ev.kind {
	case evTime:
		inc.timePassed(ctx)
	case evDecision:
		inc.decide(ctx, ev.decision)
	case evDelivery:
		inc.redelivered(ctx, ev.delivery)
	case evCallOutcome:
		inc.callUnanswered(ctx, ev.outcome)
	case evActionDone:
		if len(ev.action.Hosts) > 0 {
			inc.hostsFinished(ctx, ev.action, ev.hostResults, ev.err)
			break
		}
		inc.actionFinished(ctx, ev.action, ev.result, ev.err)
	case evInvestigated:
		inc.investigated(ctx, ev.findings, ev.err)
	case evNotified:
		inc.notified(ctx, ev.page, ev.ref, ev.err)
	case evTicketsUsed:
		inc.ticketsUsed(ctx, ev.decision, ev.remaining, ev.err)
	case evJoined:
		inc.alertJoined(ctx, ev.joined)
	case evJoinedBatch:
		inc.alertsJoined(ctx, ev.batch)
	case evJoinCampaign:
		inc.joinCampaign(ctx, ev.join)
	case evNoted:
		if ev.text != "" {
			inc.note(ctx, "note", "%s", ev.text)
		}
	}
}

// timePassed does what is due now: clocks turn at risk or breach, chains page their
// next steps, gathered status changes go out, and the next vendor action starts.
func (inc *incident) timePassed(ctx workflow.Context) {
	inc.passClocks(ctx)
	inc.pageDueSteps(ctx)
	inc.flushStatus(ctx)
	inc.startNextAction(ctx)
	inc.joinWhenIdle(ctx)
}

// setState moves the incident to a new state: timeline, search attributes and the
// customer's status update where they see it.
func (inc *incident) setState(ctx workflow.Context, state, why string) {
	from := inc.status.State
	if from == state {
		return
	}
	if !slices.Contains(moves[from], state) {
		workflow.GetLogger(ctx).Error("refused a state change the incident's table does not allow", "from", from, "to", state, "why", why)
		return
	}
	inc.status.State = state
	inc.record(ctx, casework.NewEntry(workflow.Now(ctx), "state", "", casework.Facts("from", from, "to", state), "%s → %s: %s", from, state, why))
	inc.publish(ctx)
}
