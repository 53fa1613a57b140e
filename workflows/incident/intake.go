package incident

import (
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
	"xsoc/workflows/start"
)

// pendingDelivery is a re-delivered alert waiting for the story, and its answer.
type pendingDelivery struct {
	alert  integrations.Alert
	done   bool
	result api.DeliveryResult
}

// registerIntake installs the handler that receives re-deliveries and vendor updates
// of the alert, and the call outcome signal.
func (inc *incident) registerIntake(ctx workflow.Context) error {
	err := workflow.SetUpdateHandlerWithOptions(ctx, api.UpdateDeliverAlert,
		func(ctx workflow.Context, alert integrations.Alert) (api.DeliveryResult, error) {
			pending := &pendingDelivery{alert: alert}
			inc.post(event{kind: evDelivery, delivery: pending})
			if err := workflow.Await(ctx, func() bool { return pending.done }); err != nil {
				return api.DeliveryResult{}, err
			}
			return pending.result, nil
		},
		workflow.UpdateHandlerOptions{
			Validator: func(_ workflow.Context, alert integrations.Alert) error {
				if alert.ID != inc.status.Alert.ID {
					return temporal.NewApplicationError("alert "+alert.ID+" does not belong to incident of alert "+inc.status.Alert.ID, "WrongIncident")
				}
				return nil
			},
			Description: "Intake only: a re-delivery or vendor update of this incident's alert.",
		})
	if err != nil {
		return err
	}
	inc.signals = append(inc.signals,
		signalChannel{name: api.SignalJoinedAlert, channel: workflow.GetSignalChannelWithOptions(ctx, api.SignalJoinedAlert, workflow.SignalChannelOptions{
			Description: "Internal: an alert joins this incident (same host, or a campaign member)."})},
		signalChannel{name: api.SignalJoin, channel: workflow.GetSignalChannelWithOptions(ctx, api.SignalJoin, workflow.SignalChannelOptions{
			Description: "Internal: triage asks this incident to join a campaign."})})
	inc.signals = append(inc.signals, signalChannel{name: api.SignalCallOutcome,
		channel: workflow.GetSignalChannelWithOptions(ctx, api.SignalCallOutcome, workflow.SignalChannelOptions{
			Description: "Intake only: how a call of an escalation chain ended (no answer, busy, voicemail).",
		})})
	inc.signals = append(inc.signals, signalChannel{name: api.SignalJoinedAlerts,
		channel: workflow.GetSignalChannelWithOptions(ctx, api.SignalJoinedAlerts, workflow.SignalChannelOptions{
			Description: "Internal: alerts triage hands this incident (they joined it), many at once.",
		})})
	inc.signals = append(inc.signals, signalChannel{name: api.SignalDeliverAlert,
		channel: workflow.GetSignalChannelWithOptions(ctx, api.SignalDeliverAlert, workflow.SignalChannelOptions{
			Description: "Intake only: a re-delivery or vendor update of this incident's alert, handed over without waiting.",
		})})
	return nil
}

// redelivered merges what a re-delivery adds: new hosts (contained too when the
// incident holds its hosts contained), new indicators, a higher vendor Severity.
// Nothing else happens twice: the incident, its paging and its actions stay as they are.
func (inc *incident) redelivered(ctx workflow.Context, p *pendingDelivery) {
	s := &inc.status
	if p.alert.ID != s.Alert.ID {
		// Only a Signal gets here: the Update's validator refuses another alert.
		inc.note(ctx, "rejected", "a delivery of alert %s does not belong to this incident of alert %s: ignored", p.alert.ID, s.Alert.ID)
		p.done = true
		return
	}
	s.Deliveries++
	defer func() { p.result, p.done = api.DeliveryResult{Duplicate: true, State: s.State}, true }()
	added := inc.merge(p.alert)
	if s.concluded() {
		inc.note(ctx, "redelivery", "alert delivered again after close: recorded, not reopened")
		return
	}
	inc.note(ctx, "redelivery", "alert delivered again (delivery %d)", s.Deliveries)
	inc.tookVersion(ctx, p.alert)
	if len(added) > 0 {
		inc.record(ctx, casework.NewEntry(workflow.Now(ctx), "hosts_added", "vendor", casework.Facts("hosts", casework.JoinHosts(added)), "vendor update adds hosts %v", added))
		inc.publish(ctx)
		if (s.Containment.Active() || inc.containing()) && len(inc.toContain("")) > 0 {
			inc.contain(ctx, "xsoc", "", "new hosts on a contained incident", nil)
		}
	}
	if p.alert.Severity.Rank() > s.Severity.Rank() {
		inc.raiseSeverity(ctx, p.alert.Severity, "vendor", ": vendor raised the alert's severity")
	}
}

// merge adds the hosts and indicators an alert has that the incident lacks, and
// answers the hosts it added.
func (inc *incident) merge(alert integrations.Alert) []string {
	s := &inc.status
	inc.hostIndex = nil
	var added []string
	for _, host := range alert.Hosts {
		if !slices.ContainsFunc(s.Alert.Hosts, func(h integrations.Host) bool { return h.Label() == host.Label() }) {
			s.Alert.Hosts = append(s.Alert.Hosts, host)
			added = append(added, host.Label())
		}
	}
	for _, ind := range alert.Indicators {
		if !slices.Contains(s.Alert.Indicators, ind) {
			s.Alert.Indicators = append(s.Alert.Indicators, ind)
		}
	}
	return added
}

// useTickets consumes option tickets through the customer's Account, which refuses a
// request beyond the balance and says what is left. The answer comes back as an event.
func (inc *incident) useTickets(ctx workflow.Context, p *pendingDecision) {
	var a *start.Calls
	d := p.decision
	request := api.ConsumeRequest{
		Customer: inc.in.Customer, Incident: inc.status.WorkflowID, Service: d.Service, Tickets: d.Tickets, By: d.By,
		RequestID: inc.incarnation + "/tickets/" + strconv.Itoa(inc.status.Decisions),
		// The Account records the same author: it checks the stamp again (forwarded at once).
		Stamp: d.Stamp,
	}
	future := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.TicketOptions), a.ConsumeTickets, request)
	inc.await(ctx, future, func(get func(any) error) event {
		var remaining int
		err := get(&remaining)
		return event{kind: evTicketsUsed, decision: p, remaining: remaining, err: err}
	})
}

// ticketsUsed records what the Account answered and answers the decision.
func (inc *incident) ticketsUsed(ctx workflow.Context, p *pendingDecision, remaining int, err error) {
	d := p.decision
	if err != nil {
		inc.record(ctx, casework.NewEntry(workflow.Now(ctx), "rejected", d.By, nil, "use_tickets refused: %v", err))
		p.answer(api.DecisionResult{State: inc.status.State}, err)
		return
	}
	inc.status.Tickets = append(inc.status.Tickets, api.TicketUse{Service: d.Service, Tickets: d.Tickets, By: d.By,
		Verified: p.author.Verified, Via: p.author.Via, At: workflow.Now(ctx)})
	inc.record(ctx, casework.Signed(casework.NewEntry(workflow.Now(ctx), "tickets", d.By, nil, "%d ticket(s) used for %s; %d left", d.Tickets, d.Service, remaining), p.author))
	p.answer(api.DecisionResult{Message: "tickets consumed; " + strconv.Itoa(remaining) + " left", State: inc.status.State}, nil)
}

// writeBackBatch bounds the write-backs in flight at once: a campaign may hold
// thousands of joined alerts, and a workflow may have at most 2,000 activities pending
// (the server refuses more, and the incident could never finish concluding).
const writeBackBatch = 200

// writeBack sets the vendor's own status of the alert, and of every alert that
// joined it, with our verdict, in the deciding analyst's name and words.
func (inc *incident) writeBack(ctx workflow.Context) {
	s := inc.status
	if s.Verdict == "" || s.Decider == nil {
		return
	}
	alerts := []api.JoinedRef{{Vendor: inc.in.Vendor, AlertID: s.Alert.ID}}
	if inc.in.Campaign != nil {
		alerts = nil
	}
	if incidentVersion(ctx) >= incidentVersionHandover && inc.writeBackToMembers(ctx) {
		if inc.in.Campaign != nil {
			return
		}
		alerts = alerts[:min(len(alerts), 1)]
	} else {
		alerts = append(alerts, s.Joined...)
	}
	alerts = slices.DeleteFunc(alerts, func(alert api.JoinedRef) bool {
		return !integrations.CapabilitiesOf(alert.Vendor).WriteBackVerdict || alert.Vendor == inc.in.Vendor && !inc.policy.Capabilities.WriteBackVerdict
	})
	batch := len(alerts)
	if incidentVersion(ctx) >= incidentVersionRound3 {
		batch = writeBackBatch
	}
	for start := 0; start < len(alerts); start += batch {
		inc.writeBackAll(ctx, alerts[start:min(start+batch, len(alerts))])
	}
}

// writeBackAll writes the verdict back to each alert at once, and waits for all.
func (inc *incident) writeBackAll(ctx workflow.Context, alerts []api.JoinedRef) {
	s := inc.status
	var a *activities.Activities
	futures := make([]workflow.Future, 0, len(alerts))
	for _, alert := range alerts {
		request := activities.WriteBackRequest{Customer: inc.in.Customer, Vendor: alert.Vendor, Conclusion: integrations.Conclusion{
			AlertID: alert.AlertID, Verdict: s.Verdict, Note: s.Decider.Note, By: s.Decider.By,
		}}
		futures = append(futures, workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.VendorOptions), a.WriteBack, request))
	}
	for i, future := range futures {
		if err := future.Get(ctx, nil); err != nil {
			inc.note(ctx, "writeback_failed", "writing the verdict back to %s (alert %s) failed: %v", alerts[i].Vendor, alerts[i].AlertID, err)
			continue
		}
		inc.note(ctx, "writeback", "verdict %s by %s written back to %s (alert %s)", s.Verdict, s.Decider.By, alerts[i].Vendor, alerts[i].AlertID)
	}
}

// reportToAccount hands the incident's summary to the customer's Account, where the
// monthly figures live beyond the namespace's retention. It is one signal, sent by a
// local activity in the workflow task that concludes the incident: a suppressed alert
// then ends in its first workflow task (an activity costs three events and a second
// workflow task). Incidents before incidentVersionLocalRecord ran an activity.
func (inc *incident) reportToAccount(ctx workflow.Context) {
	if inc.tellsMoments(ctx) {
		if err := inc.concludeToAccount(ctx); err != nil {
			inc.note(ctx, "report_failed", "reporting to the account failed: %v", err)
		}
		return
	}
	var a *start.Calls
	var report workflow.Future
	if incidentVersion(ctx) >= incidentVersionLocalRecord {
		report = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, casework.RecordIncidentLocalOptions), a.RecordIncident, inc.summary())
	} else {
		report = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, casework.RecordIncidentOptions), a.RecordIncident, inc.summary())
	}
	if err := report.Get(ctx, nil); err != nil {
		inc.note(ctx, "report_failed", "reporting to the account failed: %v", err)
	}
}

func (inc *incident) summary() api.IncidentSummary {
	s := inc.status
	summary := api.IncidentSummary{
		Customer: s.Customer, Incident: s.WorkflowID, Vendor: s.Vendor, Severity: string(s.Severity),
		State: s.State, Verdict: s.Verdict, OpenedAt: s.OpenedAt, ClosedAt: s.ClosedAt,
		Billable: s.State == api.StateResolved, Clocks: map[string]string{},
	}
	for _, c := range s.Clocks {
		summary.Clocks[c.Name] = c.State
		if c.State == api.SLABreached {
			if summary.BreachedAt == nil {
				summary.BreachedAt = map[string]time.Time{}
			}
			summary.BreachedAt[c.Name] = c.BreachedAt
		}
	}
	summary.DetectedAt = s.Alert.ObservedAt
	if s.Acknowledged != nil {
		summary.AcknowledgedAt = s.Acknowledged.At
	}
	if s.Verdict != "" && s.Decider != nil {
		summary.VerdictAt = s.Decider.At
	}
	summary.ContainedAt = containedAt(s)
	if s.Rule != nil {
		summary.Rule = s.Rule.ID
	}
	summary.Parent = s.Parent
	for _, p := range s.Paged {
		if p.Tier == api.TierCustomer && p.Kind == activities.KindPage && p.Error == "" {
			summary.CustomerPaged = true
			summary.CustomerCalled = summary.CustomerCalled || p.Channel == "call"
		}
	}
	return summary
}
