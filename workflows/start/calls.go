package start

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// Activities are the activities that speak to xsoc's own workflows: the customers'
// Accounts (tickets, incidents, active IDs, reports) and, through Intake, the
// incidents of polled alerts. They live beside those workflows so that they use the
// workflows' own names and types; the vendor and notifier activities are in package
// activities, which knows nothing of this one.
type Calls struct {
	Temporal  client.Client
	Customers *config.Customers
	// Intake hands polled alerts to their incidents, the same path as pushed alerts.
	Intake *Intake
	// Platforms are the vendors' clients, shared with the vendor activities.
	Platforms *activities.Platforms
	Log       *slog.Logger

	admissionsOnce sync.Once
	admissions     *admissionBatches
	momentsOnce    sync.Once
	moments        *momentBatches
}

// ConsumeTickets takes option tickets from the customer's Account for an incident and
// answers how many are left. The request id is the Update id, so a retry or a
// re-delivered decision consumes once.
func (a *Calls) ConsumeTickets(ctx context.Context, in api.ConsumeRequest) (int, error) {
	var remaining int
	err := a.updateAccount(ctx, in.Customer, api.UpdateConsume, in.RequestID, in, &remaining)
	return remaining, err
}

// RecordIncident hands a concluded incident's summary to the customer's Account by
// signal, starting the Account from the customers file when it is not running
// (Signal-With-Start); the Account applies it once per incident run.
func (a *Calls) RecordIncident(ctx context.Context, in api.IncidentSummary) error {
	return a.signalAccount(ctx, in.Customer, api.SignalRecordIncident, in)
}

// TellAccount hands what happened to an incident (its moments, and how it concluded)
// to the customer's Account by signal, starting the Account from the customers file
// when it is not running (Signal-With-Start); the Account counts each moment once per
// incident run.
//
// Records told of one customer at the same moment go to its Account together, in one
// signal (see momentBatches).
func (a *Calls) TellAccount(ctx context.Context, in api.IncidentMoments) error {
	a.momentsOnce.Do(func() { a.moments = newMomentBatches(a.tellAccountByUpdate, a.tellAccountBySignal, a.Log) })
	return a.moments.tell(ctx, in)
}

// tellAccountByUpdate hands a batch of records to the customer's Account by Update
// (Update-With-Start); errMomentsUpdateRefused when the Account cannot take it so.
func (a *Calls) tellAccountByUpdate(ctx context.Context, customer string, batch api.IncidentMomentsBatch) error {
	err := a.updateAccount(ctx, customer, api.UpdateIncidentMomentsBatch, "", batch, nil)
	if err != nil && (strings.Contains(err.Error(), "unknown update "+api.UpdateIncidentMomentsBatch) || updateLimitReached(err)) {
		return fmt.Errorf("%w: %v", errMomentsUpdateRefused, err)
	}
	return err
}

// tellAccountBySignal hands a batch of records to the customer's Account by signal
// (Signal-With-Start).
func (a *Calls) tellAccountBySignal(ctx context.Context, customer string, batch api.IncidentMomentsBatch) error {
	return a.signalAccount(ctx, customer, api.SignalIncidentMomentsBatch, batch)
}

// signalAccount signals the customer's Account, starting it from the customers file
// when it is not running (Signal-With-Start).
func (a *Calls) signalAccount(ctx context.Context, customer, signal string, arg any) error {
	c, ok := a.Customers.Customer(customer)
	if !ok {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("customer %s is not in the customers file: its account cannot be started", customer), "ConfigError", nil)
	}
	options, input := accountStart(*c)
	if _, err := a.Temporal.SignalWithStartWorkflow(ctx, options.ID, signal, arg, options, api.AccountWorkflowType, input); err != nil {
		return accountError(customer, err)
	}
	return nil
}

// AdmitToTriage asks the customer's Triage what a new alert is (Update admit) and
// answers triage's answer. The Update id is the incident run's, and triage remembers
// its answers by run, so asking again answers the same (and a recurrence, a new run of
// a closed incident, is asked afresh).
//
// Admissions asked of one customer at the same moment go to its Triage together, in
// one Update (see admissionBatches): the answer is the same as if asked alone.
func (a *Calls) AdmitToTriage(ctx context.Context, in api.Admission) (api.TriageAnswer, error) {
	if err := in.Validate(); err != nil {
		return api.TriageAnswer{}, temporal.NewNonRetryableApplicationError(err.Error(), "TriageRefused", err)
	}
	a.admissionsOnce.Do(func() { a.admissions = newAdmissionBatches(a.Temporal, a.Log) })
	return a.admissions.ask(ctx, in)
}

// admitOne asks Triage about one admission by its own Update (api.UpdateAdmit).
func admitOne(ctx context.Context, c client.Client, in api.Admission) (api.TriageAnswer, error) {
	var answer api.TriageAnswer
	handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   api.TriageWorkflowID(in.Customer),
		UpdateName:   api.UpdateAdmit,
		UpdateID:     AdmitUpdateID(in),
		Args:         []any{in},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, &answer)
	}
	return answer, entityError("the triage of customer "+in.Customer, "Triage", err)
}

// AdmitUpdateID is one question's Update id: the incident's run, and the incident it
// could not join when it asks again.
func AdmitUpdateID(in api.Admission) string {
	id := "admit/" + in.Incident + "/" + in.Run
	if in.Gone != "" {
		id += "/without/" + in.Gone
	}
	return id
}

// RecordActiveIDs hands a month's active endpoints by vendor to the customer's
// Account. The Update id is this workflow run's, so a retry is applied once and a
// later report run records its own (newer) count.
func (a *Calls) RecordActiveIDs(ctx context.Context, in api.ActiveIDs) error {
	updateID := "active-ids/" + in.Month + "/" + activity.GetInfo(ctx).WorkflowExecution.RunID
	return a.updateAccount(ctx, in.Customer, api.UpdateRecordActiveIDs, updateID, in, nil)
}

// ReadMonthlyReport answers a month ("2026-11") of the customer's Account: workflows
// cannot query another workflow, so this activity does it for them.
func (a *Calls) ReadMonthlyReport(ctx context.Context, customer, month string) (api.Report, error) {
	var report api.Report
	value, err := a.Temporal.QueryWorkflow(ctx, api.AccountWorkflowID(customer), "", api.QueryReport, month)
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
func FlagIdleRules(ctx context.Context, c client.Client, report *api.Report, now time.Time) error {
	value, err := c.QueryWorkflow(ctx, api.TuningWorkflowID(report.Customer), "", api.QueryRules)
	if err != nil {
		return fmt.Errorf("reading the rules of %s: %w", report.Customer, err)
	}
	var rules []api.Rule
	if err := value.Get(&rules); err != nil {
		return fmt.Errorf("decoding the rules of %s: %w", report.Customer, err)
	}
	flagIdleRules(report, rules, now)
	return nil
}

// updateAccount runs an Update of the customer's Account, starting the Account from
// the customers file when it is not running (Update-With-Start): the update is never
// lost to an Account that a worker has not started yet, or that was terminated.
func (a *Calls) updateAccount(ctx context.Context, customer, update, updateID string, arg, result any) error {
	c, ok := a.Customers.Customer(customer)
	if !ok {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("customer %s is not in the customers file: its account cannot be started", customer), "ConfigError", nil)
	}
	options, input := accountStart(*c)
	handle, err := a.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: a.Temporal.NewWithStartWorkflowOperation(options, api.AccountWorkflowType, input),
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

// ReadTicketBalance answers the customer's option tickets, lot by lot: what a refused
// consumption tells the requester.
func (a *Calls) ReadTicketBalance(ctx context.Context, customer string) (api.Balance, error) {
	var balance api.Balance
	value, err := a.Temporal.QueryWorkflow(ctx, api.AccountWorkflowID(customer), "", api.QueryBalance)
	if err != nil {
		return balance, accountError(customer, err)
	}
	if err := value.Get(&balance); err != nil {
		return balance, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("decoding the ticket balance of customer %s: %v", customer, err), "AccountRefused", err)
	}
	return balance, nil
}

// RecordRequest hands an ended request's summary to the customer's Account, once (the
// request id is the Update id).
func (a *Calls) RecordRequest(ctx context.Context, in api.RequestSummary) error {
	return a.updateAccount(ctx, in.Customer, api.UpdateRecordRequest, "record/"+in.Request, in, nil)
}

// PollPlatform fetches one page of new alerts and delivers each to its incident.
// The cursor only moves once every alert of the page is delivered, so a failure
// re-polls the page and re-delivery lands in the same incidents: nothing is lost
// and nothing is started twice.
func (a *Calls) PollPlatform(ctx context.Context, in api.PollRequest) (api.PollResult, error) {
	customer, ok := a.Customers.Customer(in.Customer)
	if !ok {
		return api.PollResult{}, temporal.NewNonRetryableApplicationError("unknown customer "+in.Customer, "ConfigError", nil)
	}
	p, err := a.Platforms.Client(in.Customer, in.Vendor)
	if err != nil {
		return api.PollResult{}, err
	}
	poller, ok := p.(integrations.Poller)
	if !ok {
		return api.PollResult{}, temporal.NewNonRetryableApplicationError(in.Vendor+" is not polled", "Unsupported", nil)
	}
	page, err := poller.Poll(ctx, in.Cursor, in.Since)
	if err != nil {
		return api.PollResult{}, activities.AsActivityError(fmt.Errorf("customer %s: polling %s: %w", in.Customer, in.Vendor, err))
	}
	result := api.PollResult{NextCursor: page.NextCursor, More: page.More}
	for _, alert := range page.Alerts {
		if err := alert.Validate(); err != nil {
			a.Log.Warn("polled alert is invalid, skipped", "customer", in.Customer, "vendor", in.Vendor, "alert", alert.ID, "error", err)
			continue
		}
		ref, err := a.Intake.Deliver(ctx, *customer, in.Vendor, alert)
		if err != nil {
			return api.PollResult{}, fmt.Errorf("customer %s: delivering polled %s alert %s: %w", in.Customer, in.Vendor, alert.ID, err)
		}
		result.Delivered++
		if !ref.Duplicate {
			result.New++
		}
		activity.RecordHeartbeat(ctx, result.Delivered)
	}
	return result, nil
}

// SOCNoticesFor answers whom to tell of a customer's platform outage, and how: the
// SOC's language and time zone. A workflow cannot read the customers file; it asks
// here so that the answer follows the file the worker last read.
func (a *Calls) SOCNoticesFor(_ context.Context, customer string) (api.SOCNotices, error) {
	notices := api.SOCNotices{CustomerName: customer, Language: "en", Timezone: "UTC"}
	if c, ok := a.Customers.Customer(customer); ok {
		notices.CustomerName = c.Name
	}
	soc := a.Customers.SOC
	if soc == nil {
		return notices, nil
	}
	notices.Language, notices.Timezone = soc.Language, soc.Timezone
	notices.Contacts = casework.NoticeContacts(api.SOCPolicy{Notices: soc.Notices, Escalation: soc.Escalation})
	return notices, nil
}

// IncidentAlive tells whether an incident still runs and is open: not closed, not
// concluded (an incident doing its bookkeeping refuses new alerts), and still the run
// chain triage knows (a recurrence is another incident).
func (a *Calls) IncidentAlive(ctx context.Context, run api.IncidentRun) (api.Liveness, error) {
	description, err := a.Temporal.DescribeWorkflow(ctx, run.WorkflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return api.Liveness{Why: run.WorkflowID + " does not exist"}, nil
	}
	if err != nil {
		return api.Liveness{}, err
	}
	info := description.RawResponse.GetWorkflowExecutionInfo()
	if status := info.GetStatus(); status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return api.Liveness{Why: run.WorkflowID + " is " + strings.ToLower(strings.TrimPrefix(status.String(), "WORKFLOW_EXECUTION_STATUS_"))}, nil
	}
	if run.FirstRun != "" && info.GetFirstRunId() != "" && info.GetFirstRunId() != run.FirstRun {
		return api.Liveness{Why: run.WorkflowID + " runs again as a new incident (recurrence)"}, nil
	}
	if field, ok := info.GetSearchAttributes().GetIndexedFields()[api.SAState.GetName()]; ok {
		state := strings.Trim(string(field.GetData()), `"`)
		if api.IncidentConcluded(state) {
			return api.Liveness{Why: run.WorkflowID + " is concluding (" + state + ")"}, nil
		}
	}
	return api.Liveness{Alive: true, Why: run.WorkflowID + " is open"}, nil
}

// ReopenIncidents starts again, as incidents of their own, the alerts handed to a
// parent that could not take them (Intake.Reopen): none is lost between two incidents.
func (a *Calls) ReopenIncidents(ctx context.Context, in api.ReopenRequest) error {
	c, ok := a.Customers.Customer(in.Customer)
	if !ok {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("customer %s is not in the customers file: its alerts cannot be re-opened", in.Customer), "ConfigError", nil)
	}
	for i, joined := range in.Alerts {
		ref, err := a.Intake.Reopen(ctx, *c, joined.Vendor, joined.Alert, joined.Run, in.Why)
		if err != nil {
			return fmt.Errorf("re-opening %s (alert %d of %d handed to %s): %w", joined.Incident, i+1, len(in.Alerts), in.Parent, err)
		}
		if ref.Duplicate {
			activity.GetLogger(ctx).Info("an alert handed to a parent that was over runs again already: left to that run",
				"incident", joined.Incident, "run", ref.RunID, "parent", in.Parent)
		}
		activity.RecordHeartbeat(ctx, i)
	}
	return nil
}

// WriteBackMembers writes a parent's verdict back to the vendor alert of every incident
// that joined it, as visibility lists them (XsocParent): a campaign of thousands keeps
// only its latest members in its state. The vendor and alert id are in each member's
// workflow id. A retry starts over: write-back is idempotent at the vendors.
func (a *Calls) WriteBackMembers(ctx context.Context, in api.MembersWriteBack) (int, error) {
	query := fmt.Sprintf(`WorkflowType=%q AND %s=%q`, api.IncidentWorkflowType, api.SAParent.GetName(), in.Parent)
	written := 0
	var token []byte
	for {
		resp, err := a.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: 500, NextPageToken: token})
		if err != nil {
			return written, err
		}
		for _, e := range resp.GetExecutions() {
			customer, vendor, alertID, err := api.ParseIncidentWorkflowID(e.GetExecution().GetWorkflowId())
			if err != nil || customer != in.Customer || !integrations.CapabilitiesOf(vendor).WriteBackVerdict {
				continue
			}
			p, err := a.Platforms.Client(in.Customer, vendor)
			if err != nil {
				return written, err
			}
			conclusion := integrations.Conclusion{AlertID: alertID, Verdict: in.Verdict, Note: in.Note, By: in.By}
			if err := p.WriteBack(ctx, conclusion); err != nil {
				return written, activities.AsActivityError(fmt.Errorf("customer %s, %s: writing back alert %s of %s: %w", in.Customer, vendor, alertID, in.Parent, err))
			}
			written++
			activity.RecordHeartbeat(ctx, written)
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return written, nil
		}
	}
}

// ruleIdleAfter is how long an active rule may go without a hit before the report
// flags it.
const ruleIdleAfter = 30 * 24 * time.Hour

// flagIdleRules sets the report's IdleRules from the customer's rules (the Tuning's
// `rules` query) at now.
func flagIdleRules(r *api.Report, rules []api.Rule, now time.Time) {
	r.IdleRules = nil
	for _, rule := range rules {
		last := rule.LastHit
		if last.IsZero() {
			last = rule.AddedAt
		}
		if rule.StateAt(now) == api.RuleActive && now.Sub(last) >= ruleIdleAfter {
			r.IdleRules = append(r.IdleRules, rule.ID)
		}
	}
}
