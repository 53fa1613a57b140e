package triage

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
	"xsoc/workflows/start"
)

// Handing merged alerts over. In a worm almost every alert joins an open campaign. An
// incident that joins by itself signals its parent and waits for the parent's answer:
// two signals and two more workflow tasks per alert, and the parent takes its members
// one signal at a time. Instead triage, which decided the join, hands the alert to the
// parent itself, gathered with the other alerts it decided for that parent in the same
// workflow task, in one signal (JoinedAlerts); the incident, answered "merged, handed
// over", closes in its first workflow task, as a suppressed one does.
//
// The hand-over is durable once triage's workflow task completes (the signal is one of
// its commands). A parent that is gone by the time the signal arrives cannot take the
// alerts: triage forgets it as an owner and starts each alert again as an incident of
// its own (start.Calls.ReopenIncidents), decided afresh; a parent that is concluding
// when they arrive does the same. No alert is lost between two incidents.

// triageVersionHandover: merged alerts handed over by triage (incidents that ask with
// Admission.HandOver).
const triageVersionHandover workflow.Version = 2

// triageVersionSignalsBound: hand-overs held back while Settings.SignalsInFlight
// signals are out (maySignal).
const triageVersionSignalsBound workflow.Version = 3

// triageVersionHandoverPerParent: at most one hand-over signal out to each parent;
// the alerts decided for a parent meanwhile gather and go out together when it is
// delivered (handingTo). A worm's 40 campaigns then keep at most 40 signals out,
// not SignalsInFlight: the batches grow with the server's delay instead of the
// signals in flight, and a closing run waits for few signals (closing.go).
const triageVersionHandoverPerParent workflow.Version = 5

// handoverBatch bounds the alerts of one signal (their payload stays far below the
// server's 2 MB).
const handoverBatch = 500

// Handover are the alerts decided for one parent, waiting to be handed to it.
type Handover struct {
	Parent string            `json:"parent"`
	Alerts []api.JoinedAlert `json:"alerts"`
}

// handOver answers a merged alert as handed over, when the incident takes that, and
// queues it for its parent.
func (t *triage) handOver(a api.Admission, answer api.TriageAnswer) api.TriageAnswer {
	if !t.handover || !a.HandOver {
		return answer
	}
	answer.HandedOver = true
	joined := api.JoinedAlert{Incident: a.Incident, Run: a.Run, Vendor: a.Vendor, Why: answer.Why, Alert: integrations.Alert{
		ID: a.AlertID, Detection: a.Detection, Severity: a.Severity, ObservedAt: a.At,
		Hosts: a.Hosts, Users: a.Users, Indicators: a.Indicators,
	}}
	for i := range t.state.Handovers {
		if t.state.Handovers[i].Parent == answer.Parent {
			t.state.Handovers[i].Alerts = append(t.state.Handovers[i].Alerts, joined)
			return answer
		}
	}
	t.state.Handovers = append(t.state.Handovers, Handover{Parent: answer.Parent, Alerts: []api.JoinedAlert{joined}})
	return answer
}

// flushHandovers sends each parent the alerts decided for it, a batch a signal, while
// triage may signal and, from triageVersionHandoverPerParent, while no hand-over to
// that parent is out; the rest wait for signals out to be delivered.
func (t *triage) flushHandovers(ctx workflow.Context) {
	if t.closing(ctx) {
		// An ending run hands them to the next (closing.go).
		return
	}
	var held []Handover
	for _, h := range t.state.Handovers {
		alerts := h.Alerts
		for len(alerts) > 0 && t.mayHandTo(h.Parent) {
			batch := alerts[:min(handoverBatch, len(alerts))]
			alerts = alerts[len(batch):]
			t.handTo(ctx, h.Parent, batch)
		}
		if len(alerts) > 0 {
			held = append(held, Handover{Parent: h.Parent, Alerts: alerts})
		}
	}
	t.state.Handovers = held
}

// handTo signals a batch of alerts to their parent; a parent that cannot take them
// is gone (parentGone).
func (t *triage) handTo(ctx workflow.Context, parent string, batch []api.JoinedAlert) {
	if t.handoverPerParent {
		if t.handingTo == nil {
			t.handingTo = map[string]bool{}
		}
		t.handingTo[parent] = true
	}
	t.sendSignal(ctx, parent, api.SignalJoinedAlerts, api.JoinedAlerts{Alerts: batch}, func(ctx workflow.Context, err error) {
		delete(t.handingTo, parent)
		if err != nil {
			t.parentGone(ctx, parent, batch, err)
		}
	})
}

// mayHandTo tells whether a hand-over to the parent may go out now.
func (t *triage) mayHandTo(parent string) bool {
	return t.maySignal() && !t.handingTo[parent]
}

// handoversDue tells whether alerts wait to be handed over and may be now.
func (t *triage) handoversDue(ctx workflow.Context) bool {
	return !t.closing(ctx) && slices.ContainsFunc(t.state.Handovers, func(h Handover) bool { return t.mayHandTo(h.Parent) })
}

// parentGone takes back alerts a parent could not be handed: it owns nothing any
// more, and each alert starts again as an incident of its own.
func (t *triage) parentGone(ctx workflow.Context, parent string, alerts []api.JoinedAlert, err error) {
	workflow.GetLogger(ctx).Warn("a parent could not take the alerts handed to it; they start again as incidents of their own",
		"parent", parent, "alerts", len(alerts), "error", err)
	t.exclusive(ctx, func() { t.forgetOwner(parent, "") })
	var a *start.Calls
	request := api.ReopenRequest{Customer: t.in.Customer, Parent: parent, Alerts: alerts,
		Why: fmt.Sprintf("it was handed to %s, which had ended (%v)", parent, err)}
	future := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.ReopenOptions), a.ReopenIncidents, request)
	t.effects.Await(ctx, future, func(ctx workflow.Context, get func(any) error) {
		if err := get(nil); err != nil {
			workflow.GetLogger(ctx).Error("re-opening alerts handed to a parent that was gone failed", "parent", parent, "error", err)
		}
	})
}
