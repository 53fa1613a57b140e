package incidentv1

import (
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/integrations"
)

// registerIntake installs the handler that receives the alert (first delivery and
// every re-delivery or vendor update) and the call outcome signal.
func (inc *incident) registerIntake(ctx workflow.Context) error {
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateDeliverAlert,
		func(ctx workflow.Context, alert integrations.Alert) (DeliveryResult, error) {
			inc.status.Deliveries++
			inc.redelivered(ctx, alert)
			return DeliveryResult{Duplicate: true, State: inc.status.State}, nil
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
	outcomes := workflow.GetSignalChannelWithOptions(ctx, SignalCallOutcome, workflow.SignalChannelOptions{
		Description: "Intake only: how a call of the escalation chain ended (no answer, busy, voicemail).",
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var outcome CallOutcome
			if !outcomes.Receive(ctx, &outcome) {
				return
			}
			if inc.status.Acknowledged == nil && !inc.status.concluded() {
				inc.callUnanswered(ctx, outcome)
			}
		}
	})
	// Intake hands re-deliveries over by Signal since issue 22: a version-1 incident
	// still running takes them as it took the Update. No command comes of it unless
	// such a signal is in the history, so older histories replay unchanged.
	deliveries := workflow.GetSignalChannelWithOptions(ctx, SignalDeliverAlert, workflow.SignalChannelOptions{
		Description: "Intake only: a re-delivery or vendor update of this incident's alert, handed over without waiting.",
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var alert integrations.Alert
			if !deliveries.Receive(ctx, &alert) {
				return
			}
			if alert.ID == inc.status.Alert.ID {
				inc.status.Deliveries++
				inc.redelivered(ctx, alert)
			}
		}
	})
	return nil
}

// redelivered merges what a re-delivery adds: new hosts, a higher vendor Severity.
// Nothing else happens twice: the incident, its paging and its actions stay as they are.
func (inc *incident) redelivered(ctx workflow.Context, alert integrations.Alert) {
	s := &inc.status
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
	if s.concluded() {
		inc.record(ctx, "redelivery", "", "alert delivered again after close: recorded, not reopened")
		return
	}
	inc.record(ctx, "redelivery", "", "alert delivered again (delivery %d)", s.Deliveries)
	if len(added) > 0 {
		inc.record(ctx, "hosts_added", "vendor", "vendor update adds hosts %v", added)
		inc.publish(ctx)
		if s.Containment.Active() && len(inc.toContain("")) > 0 {
			inc.contain(ctx, "xsoc", "", "new hosts on a contained incident")
		}
	}
	if alert.Severity.Rank() > s.Severity.Rank() {
		inc.raiseSeverity(ctx, alert.Severity, "vendor", ": vendor raised the alert's severity")
	}
}

// ticketOptions: consuming tickets is a quick call to the customer's Account; retried
// safely because the request id makes it exactly-once there.
var ticketOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
}

// useTickets consumes option tickets through the customer's Account, which refuses a
// request beyond the balance and says what is left.
func (inc *incident) useTickets(ctx workflow.Context, d Decision) (DecisionResult, error) {
	request := consumeRequest{
		Customer: inc.in.Customer, Incident: inc.status.WorkflowID, Service: d.Service, Tickets: d.Tickets, By: d.By,
		RequestID: inc.incarnation + "/tickets/" + strconv.Itoa(inc.status.Decisions),
	}
	var remaining int
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, ticketOptions), consumeTicketsActivity, request).Get(ctx, &remaining)
	if err != nil {
		inc.record(ctx, "rejected", d.By, "use_tickets refused: %v", err)
		return DecisionResult{}, err
	}
	inc.status.Tickets = append(inc.status.Tickets, TicketUse{Service: d.Service, Tickets: d.Tickets, By: d.By, At: workflow.Now(ctx)})
	inc.record(ctx, "tickets", d.By, "%d ticket(s) used for %s; %d left", d.Tickets, d.Service, remaining)
	return DecisionResult{Message: "tickets consumed; " + strconv.Itoa(remaining) + " left"}, nil
}

// writeBack sets the vendor's own status for the alert with our verdict.
func (inc *incident) writeBack(ctx workflow.Context) {
	if !inc.policy.Capabilities.WriteBackVerdict || inc.status.Verdict == "" {
		return
	}
	var a *activities.Activities
	last := inc.status.Timeline[len(inc.status.Timeline)-1]
	request := activities.WriteBackRequest{Customer: inc.in.Customer, Vendor: inc.in.Vendor, Conclusion: integrations.Conclusion{
		AlertID: inc.status.Alert.ID, Verdict: inc.status.Verdict, Note: last.Text, By: last.By,
	}}
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, vendorOptions), a.WriteBack, request).Get(ctx, nil); err != nil {
		inc.record(ctx, "writeback_failed", "", "writing the verdict back to %s failed: %v", inc.in.Vendor, err)
		return
	}
	inc.record(ctx, "writeback", "", "verdict written back to %s", inc.in.Vendor)
}

// reportToAccount hands the incident's summary to the customer's Account, where the
// monthly figures live beyond the namespace's retention.
func (inc *incident) reportToAccount(ctx workflow.Context) {
	options := workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second, ScheduleToCloseTimeout: incidentSummaryTimeout}
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, options), recordIncidentActivity, inc.summary()).Get(ctx, nil); err != nil {
		inc.record(ctx, "report_failed", "", "reporting to the account failed: %v", err)
	}
}

func (inc *incident) summary() incidentSummary {
	s := inc.status
	summary := incidentSummary{
		Customer: s.Customer, Incident: s.WorkflowID, Vendor: s.Vendor, Severity: string(s.Severity),
		State: s.State, Verdict: s.Verdict, OpenedAt: s.OpenedAt, ClosedAt: s.ClosedAt,
		Billable: s.State == StateResolved, Clocks: map[string]string{},
	}
	for _, c := range s.Clocks {
		summary.Clocks[c.Name] = c.State
	}
	return summary
}

// The Account's activities live in package workflows, which imports this one: a
// round-1 incident calls them by name, with its own copies of their arguments (the
// JSON is the contract).
const (
	consumeTicketsActivity = "ConsumeTickets"
	recordIncidentActivity = "RecordIncident"
)

// consumeRequest is workflows.ConsumeRequest as round 1 sent it.
type consumeRequest struct {
	Customer  string `json:"customer"`
	Incident  string `json:"incident"`
	Service   string `json:"service"`
	Tickets   int    `json:"tickets"`
	By        string `json:"by"`
	RequestID string `json:"request_id"`
}

// incidentSummary is workflows.IncidentSummary as round 1 sent it.
type incidentSummary struct {
	Customer string            `json:"customer"`
	Incident string            `json:"incident"`
	Vendor   string            `json:"vendor"`
	Severity string            `json:"severity"`
	State    string            `json:"state"`
	Verdict  string            `json:"verdict,omitempty"`
	OpenedAt time.Time         `json:"opened_at"`
	ClosedAt time.Time         `json:"closed_at"`
	Billable bool              `json:"billable"`
	Clocks   map[string]string `json:"clocks"`
}
