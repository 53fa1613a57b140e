package workflows

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations"
)

// Activities are the activities that speak to xsoc's own workflows: the customers'
// Accounts (tickets, incidents, active IDs, reports) and, through Intake, the
// incidents of polled alerts. They live beside those workflows so that they use the
// workflows' own names and types; the vendor and notifier activities are in package
// activities, which knows nothing of this one.
type Activities struct {
	Temporal  client.Client
	Customers *config.Customers
	// Intake hands polled alerts to their incidents, the same path as pushed alerts.
	Intake *Intake
	// Platforms are the vendors' clients, shared with the vendor activities.
	Platforms *activities.Platforms
	Log       *slog.Logger
}

// ConsumeTickets takes option tickets from the customer's Account for an incident and
// answers how many are left. The request id is the Update id, so a retry or a
// re-delivered decision consumes once.
func (a *Activities) ConsumeTickets(ctx context.Context, in ConsumeRequest) (int, error) {
	var remaining int
	err := a.updateAccount(ctx, in.Customer, UpdateConsume, in.RequestID, in, &remaining)
	return remaining, err
}

// RecordIncidentOptions are the options an incident runs RecordIncident with: a
// billable incident must be counted however long the Account cannot be reached, so
// the activity retries, at most every 10 minutes, for as long as it takes (no
// schedule-to-close limit). It stays exactly-once: the Update id is the incident's.
var RecordIncidentOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    5 * time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    10 * time.Minute,
	},
}

// RecordIncidentLocalOptions are RecordIncidentOptions for the local activity that
// incidents run now: the same retries, without end.
var RecordIncidentLocalOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: RecordIncidentOptions.StartToCloseTimeout,
	RetryPolicy:         RecordIncidentOptions.RetryPolicy,
}

// RecordIncident hands a concluded incident's summary to the customer's Account by
// signal, starting the Account from the customers file when it is not running
// (Signal-With-Start); the Account applies it once (IncidentSummary.RecordID).
func (a *Activities) RecordIncident(ctx context.Context, in IncidentSummary) error {
	c, ok := a.Customers.Customer(in.Customer)
	if !ok {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("customer %s is not in the customers file: its account cannot be started", in.Customer), "ConfigError", nil)
	}
	options, input := accountStart(*c)
	if _, err := a.Temporal.SignalWithStartWorkflow(ctx, options.ID, SignalRecordIncident, in, options, AccountWorkflowType, input); err != nil {
		return accountError(in.Customer, err)
	}
	return nil
}

// AdmitOptions are the options of the local activity by which a new incident asks
// its customer's triage what it is: tried again within the minute an incident waits
// for triage (a triage busy with a storm, or continuing as new, answers later), after
// which the incident pages as a new one.
var AdmitOptions = workflow.LocalActivityOptions{
	ScheduleToCloseTimeout: triageTimeout,
	StartToCloseTimeout:    20 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    200 * time.Millisecond,
		BackoffCoefficient: 2,
		MaximumInterval:    5 * time.Second,
	},
}

// AdmitToTriage asks the customer's Triage what a new alert is (Update admit) and
// answers triage's answer. The Update id is the incident run's, and triage remembers
// its answers by run, so asking again answers the same (and a recurrence, a new run of
// a closed incident, is asked afresh).
func (a *Activities) AdmitToTriage(ctx context.Context, in Admission) (TriageAnswer, error) {
	var answer TriageAnswer
	handle, err := a.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   TriageWorkflowID(in.Customer),
		UpdateName:   UpdateAdmit,
		UpdateID:     admitUpdateID(in),
		Args:         []any{in},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, &answer)
	}
	return answer, entityError("the triage of customer "+in.Customer, "Triage", err)
}

// admitUpdateID is one question's Update id: the incident's run, and the incident it
// could not join when it asks again.
func admitUpdateID(in Admission) string {
	id := "admit/" + in.Incident + "/" + in.Run
	if in.Gone != "" {
		id += "/without/" + in.Gone
	}
	return id
}

// RecordActiveIDs hands a month's active endpoints by vendor to the customer's
// Account. The Update id is this workflow run's, so a retry is applied once and a
// later report run records its own (newer) count.
func (a *Activities) RecordActiveIDs(ctx context.Context, in ActiveIDs) error {
	updateID := "active-ids/" + in.Month + "/" + activity.GetInfo(ctx).WorkflowExecution.RunID
	return a.updateAccount(ctx, in.Customer, UpdateRecordActiveIDs, updateID, in, nil)
}

// ReadMonthlyReport answers a month ("2026-11") of the customer's Account: workflows
// cannot query another workflow, so this activity does it for them.
func (a *Activities) ReadMonthlyReport(ctx context.Context, customer, month string) (Report, error) {
	var report Report
	value, err := a.Temporal.QueryWorkflow(ctx, AccountWorkflowID(customer), "", QueryReport, month)
	if err != nil {
		var refused *serviceerror.QueryFailed
		if errors.As(err, &refused) {
			return report, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("the account of customer %s refused the report of %s: %s", customer, month, refused.Message), "AccountRefused", err)
		}
		return report, accountError(customer, err)
	}
	if err := value.Get(&report); err != nil {
		return report, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("decoding the %s report of customer %s: %v", month, customer, err), "AccountRefused", err)
	}
	if err := FlagIdleRules(ctx, a.Temporal, &report, time.Now()); err != nil {
		// The report goes without the flag rather than not at all.
		a.Log.Warn("monthly report without its idle rules", "customer", customer, "error", err)
	}
	return report, nil
}

// FlagIdleRules asks the customer's Tuning for its rules and flags in the report the
// active ones without a hit in 30 days at now.
func FlagIdleRules(ctx context.Context, c client.Client, report *Report, now time.Time) error {
	value, err := c.QueryWorkflow(ctx, TuningWorkflowID(report.Customer), "", QueryRules)
	if err != nil {
		return fmt.Errorf("reading the rules of %s: %w", report.Customer, err)
	}
	var rules []Rule
	if err := value.Get(&rules); err != nil {
		return fmt.Errorf("decoding the rules of %s: %w", report.Customer, err)
	}
	report.FlagIdleRules(rules, now)
	return nil
}

// updateAccount runs an Update of the customer's Account, starting the Account from
// the customers file when it is not running (Update-With-Start): the update is never
// lost to an Account that a worker has not started yet, or that was terminated.
func (a *Activities) updateAccount(ctx context.Context, customer, update, updateID string, arg, result any) error {
	c, ok := a.Customers.Customer(customer)
	if !ok {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("customer %s is not in the customers file: its account cannot be started", customer), "ConfigError", nil)
	}
	options, input := accountStart(*c)
	handle, err := a.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: a.Temporal.NewWithStartWorkflowOperation(options, AccountWorkflowType, input),
		UpdateOptions: client.UpdateWorkflowOptions{
			WorkflowID:   options.ID,
			UpdateName:   update,
			UpdateID:     updateID,
			Args:         []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return accountError(customer, err)
	}
	if err := handle.Get(ctx, result); err != nil {
		return accountError(customer, err)
	}
	return nil
}

// accountError makes a refusal by the Account (beyond the balance, unknown account)
// final, with the Account's own words; anything else retries.
func accountError(customer string, err error) error {
	return entityError("account of customer "+customer, "Account", err)
}

// entityError makes what one of xsoc's workflows answered an activity final when
// asking again cannot change it: the workflow is not running (kind+"NotFound"), or it
// refused, in its own words (kind+"Refused"). Anything else retries; nil stays nil.
func entityError(who, kind string, err error) error {
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s is not running: %v", who, err), kind+"NotFound", err)
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return temporal.NewNonRetryableApplicationError(appErr.Error(), kind+"Refused", err)
	}
	return err
}

// TicketBalance is the customer's option tickets as the Account's `balance` query
// answers them.
type TicketBalance struct {
	Remaining int       `json:"remaining"`
	Lots      []LotView `json:"lots"`
}

// ReadTicketBalance answers the customer's option tickets, lot by lot: what a refused
// consumption tells the requester.
func (a *Activities) ReadTicketBalance(ctx context.Context, customer string) (TicketBalance, error) {
	var balance TicketBalance
	value, err := a.Temporal.QueryWorkflow(ctx, AccountWorkflowID(customer), "", QueryBalance)
	if err != nil {
		return balance, accountError(customer, err)
	}
	if err := value.Get(&balance); err != nil {
		return balance, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("decoding the ticket balance of customer %s: %v", customer, err), "AccountRefused", err)
	}
	return balance, nil
}

// RequestSummary is what a customer request reports to its customer's Account when
// it ends: the monthly report counts requests by kind and state.
type RequestSummary struct {
	Customer string    `json:"customer"`
	Request  string    `json:"request"`
	Kind     string    `json:"kind"`
	State    string    `json:"state"`
	Urgent   bool      `json:"urgent,omitempty"`
	OpenedAt time.Time `json:"opened_at"`
	ClosedAt time.Time `json:"closed_at"`
	// Ack is how the request's ack clock ended (met, breached, not_needed).
	Ack string `json:"ack,omitempty"`
}

// RecordRequest hands an ended request's summary to the customer's Account, once (the
// request id is the Update id).
func (a *Activities) RecordRequest(ctx context.Context, in RequestSummary) error {
	return a.updateAccount(ctx, in.Customer, UpdateRecordRequest, "record/"+in.Request, in, nil)
}

// PollRequest asks for a platform's alerts since the cursor.
type PollRequest struct {
	Customer string    `json:"customer"`
	Vendor   string    `json:"vendor"`
	Cursor   string    `json:"cursor"`
	Since    time.Time `json:"since"`
}

// PollResult says where the next poll starts and whether more is waiting now.
type PollResult struct {
	NextCursor string `json:"next_cursor"`
	More       bool   `json:"more"`
	Delivered  int    `json:"delivered"`
	New        int    `json:"new"`
}

// PollPlatform fetches one page of new alerts and delivers each to its incident.
// The cursor only moves once every alert of the page is delivered, so a failure
// re-polls the page and re-delivery lands in the same incidents: nothing is lost
// and nothing is started twice.
func (a *Activities) PollPlatform(ctx context.Context, in PollRequest) (PollResult, error) {
	customer, ok := a.Customers.Customer(in.Customer)
	if !ok {
		return PollResult{}, temporal.NewNonRetryableApplicationError("unknown customer "+in.Customer, "ConfigError", nil)
	}
	p, err := a.Platforms.Client(in.Customer, in.Vendor)
	if err != nil {
		return PollResult{}, err
	}
	poller, ok := p.(integrations.Poller)
	if !ok {
		return PollResult{}, temporal.NewNonRetryableApplicationError(in.Vendor+" is not polled", "Unsupported", nil)
	}
	page, err := poller.Poll(ctx, in.Cursor, in.Since)
	if err != nil {
		return PollResult{}, activities.AsActivityError(fmt.Errorf("customer %s: polling %s: %w", in.Customer, in.Vendor, err))
	}
	result := PollResult{NextCursor: page.NextCursor, More: page.More}
	for _, alert := range page.Alerts {
		if err := alert.Validate(); err != nil {
			a.Log.Warn("polled alert is invalid, skipped", "customer", in.Customer, "vendor", in.Vendor, "alert", alert.ID, "error", err)
			continue
		}
		ref, err := a.Intake.Deliver(ctx, *customer, in.Vendor, alert)
		if err != nil {
			return PollResult{}, fmt.Errorf("customer %s: delivering polled %s alert %s: %w", in.Customer, in.Vendor, alert.ID, err)
		}
		result.Delivered++
		if !ref.Duplicate {
			result.New++
		}
		activity.RecordHeartbeat(ctx, result.Delivered)
	}
	return result, nil
}

// SOCNotices is whom to tell of what concerns the SOC but no single incident (a
// vendor outage), as the customers file says: the soc: block's notices, else the
// first steps of its high chain. No soc: block, no contacts: the worker logs only.
type SOCNotices struct {
	CustomerName string           `json:"customer_name"`
	Language     string           `json:"language"`
	Timezone     string           `json:"timezone"`
	Contacts     []config.Contact `json:"contacts,omitempty"`
}

// SOCNoticesFor answers whom to tell of a customer's platform outage, and how: the
// SOC's language and time zone. A workflow cannot read the customers file; it asks
// here so that the answer follows the file the worker last read.
func (a *Activities) SOCNoticesFor(_ context.Context, customer string) (SOCNotices, error) {
	notices := SOCNotices{CustomerName: customer, Language: "en", Timezone: "UTC"}
	if c, ok := a.Customers.Customer(customer); ok {
		notices.CustomerName = c.Name
	}
	soc := a.Customers.SOC
	if soc == nil {
		return notices, nil
	}
	notices.Language, notices.Timezone = soc.Language, soc.Timezone
	notices.Contacts = SOCPolicy{Notices: soc.Notices, Escalation: soc.Escalation}.noticeContacts()
	return notices, nil
}
