package workflows

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"xsoc/config"
	"xsoc/integrations"
)

// IncidentRef answers one delivered alert.
type IncidentRef struct {
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id"`
	Duplicate  bool   `json:"duplicate"`
}

// Intake starts incidents; the HTTP handler and the pollers share it so that pushed
// and polled copies of one alert meet in the same incident.
type Intake struct {
	Temporal client.Client
	// Namespace is the client's namespace ("default" when empty).
	Namespace string
	// SOC is the customers file's soc: block (nil without one): every incident pages it.
	SOC *config.SOC
	// Converter encodes the incident's input and memo. It must be the client's own data
	// converter: intake starts incidents through the raw workflow service, which the
	// client's codec does not see, and an alert must not reach Temporal in clear.
	Converter converter.DataConverter
}

// NewIntake builds the intake of a client dialled with options, taking its namespace
// and data converter from them; soc is the customers file's soc: block.
func NewIntake(c client.Client, options client.Options, soc *config.SOC) *Intake {
	return &Intake{Temporal: c, Namespace: options.Namespace, Converter: options.DataConverter, SOC: soc}
}

// Deliver hands an alert to its incident. A new alert starts its incident: one call to
// Temporal, answered as soon as the incident is durably started, without waiting for a
// worker, so that intake keeps up with an alert storm. A re-delivery to a running
// incident is handed over by Signal (the incident merges new hosts or a higher
// Severity) and answers duplicate as soon as the server has it. A re-delivery of a
// closed incident's alert answers duplicate; a later version starts a new run linked
// to the closed one. Only Temporal's errors (unreachable, overloaded) fail a delivery.
func (in *Intake) Deliver(ctx context.Context, customer config.Customer, vendor string, alert integrations.Alert) (IncidentRef, error) {
	if err := alert.Validate(); err != nil {
		return IncidentRef{}, fmt.Errorf("customer %s, %s alert %q: %w", customer.ID, vendor, alert.ID, err)
	}
	if in.Converter == nil {
		return IncidentRef{}, errors.New("intake has no data converter: it would write the alert to Temporal unencrypted")
	}
	id := IncidentWorkflowID(customer.ID, vendor, alert.ID)
	ref, err := in.start(ctx, customer, vendor, alert, id, "", enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
	var alreadyStarted *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case err == nil && !ref.Duplicate:
		return ref, nil
	case err == nil:
		handed, err := in.handOver(ctx, ref, alert)
		if err != nil || handed {
			return ref, err
		}
		// The incident closed between the start and the hand-over.
	case !errors.As(err, &alreadyStarted):
		return ref, err
	}
	return in.deliverAfterClose(ctx, customer, vendor, alert, id)
}

const memoFingerprint = "fingerprint"

// start starts the incident, or finds it running (Duplicate). It speaks to the
// workflow service directly because only its answer says whether the start created
// the incident or found the one already running.
func (in *Intake) start(ctx context.Context, customer config.Customer, vendor string, alert integrations.Alert,
	id, previousRun string, reuse enumspb.WorkflowIdReusePolicy) (IncidentRef, error) {
	dc := in.Converter
	input, err := dc.ToPayloads(IncidentInput{
		Customer: customer.ID, Vendor: vendor, Alert: alert, PreviousRunID: previousRun,
		Policy: PolicyFor(customer, in.SOC, integrations.CapabilitiesOf(vendor)),
	})
	if err != nil {
		return IncidentRef{}, fmt.Errorf("encoding incident input: %w", err)
	}
	memo, err := dc.ToPayload(Fingerprint(alert))
	if err != nil {
		return IncidentRef{}, fmt.Errorf("encoding incident memo: %w", err)
	}
	// Search attributes stay in clear with the default converter: they are the index.
	attributes, err := searchAttributePayloads(map[string]any{
		SACustomer.GetName(): customer.ID, SAVendor.GetName(): vendor, SAHost.GetName(): alert.HostNames()[0],
		SASeverity.GetName(): string(alert.Severity), SASeverityRank.GetName(): alert.Severity.Rank(), SAState.GetName(): StateNew,
	})
	if err != nil {
		return IncidentRef{}, err
	}
	requestID := make([]byte, 16)
	_, _ = rand.Read(requestID)
	resp, err := in.Temporal.WorkflowService().StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace:                in.namespace(),
		WorkflowId:               id,
		WorkflowType:             &commonpb.WorkflowType{Name: IncidentWorkflowType},
		TaskQueue:                &taskqueuepb.TaskQueue{Name: TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		Input:                    input,
		Identity:                 "xsoc-intake",
		RequestId:                hex.EncodeToString(requestID),
		WorkflowIdReusePolicy:    reuse,
		WorkflowIdConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		Memo:                     &commonpb.Memo{Fields: map[string]*commonpb.Payload{memoFingerprint: memo}},
		SearchAttributes:         attributes,
		// Critical and emergency incidents are served before a storm of lower ones.
		Priority: &commonpb.Priority{PriorityKey: int32(priorityOf(alert.Severity).PriorityKey)},
	})
	if err != nil {
		return IncidentRef{}, err
	}
	return IncidentRef{WorkflowID: id, RunID: resp.GetRunId(), Duplicate: !resp.GetStarted()}, nil
}

func (in *Intake) namespace() string {
	if in.Namespace == "" {
		return "default"
	}
	return in.Namespace
}

func searchAttributePayloads(values map[string]any) (*commonpb.SearchAttributes, error) {
	fields := make(map[string]*commonpb.Payload, len(values))
	for name, value := range values {
		payload, err := converter.GetDefaultDataConverter().ToPayload(value)
		if err != nil {
			return nil, fmt.Errorf("search attribute %s: %w", name, err)
		}
		fields[name] = payload
	}
	return &commonpb.SearchAttributes{IndexedFields: fields}, nil
}

// Fingerprint identifies one version of a vendor alert: a re-delivery has the same,
// a vendor update after close has another.
func Fingerprint(alert integrations.Alert) string {
	hosts := alert.HostNames()
	slices.Sort(hosts)
	sum := sha256.Sum256([]byte(strings.Join([]string{alert.ID, alert.Detection, string(alert.Severity),
		alert.ObservedAt.UTC().Format(time.RFC3339Nano), strings.Join(hosts, ",")}, "\n")))
	return hex.EncodeToString(sum[:])
}

// EnsureAccounts starts the Account of every configured customer that is not running,
// hands each its purchases and its current settings (plan, IDs, contacts, language,
// time zone) from the customers file, and creates (or brings up to date) each
// customer's monthly report schedule.
func EnsureAccounts(ctx context.Context, c client.Client, customers *config.Customers) error {
	for _, customer := range customers.Customers {
		options, input := accountStart(customer)
		_, err := c.SignalWithStartWorkflow(ctx, options.ID, SignalPurchases, customer.Billing.Tickets, options, AccountWorkflowType, input)
		if err != nil {
			return fmt.Errorf("starting the account of customer %s: %w", customer.ID, err)
		}
		// An Account that was already running learns what changed in the file.
		if err := c.SignalWorkflow(ctx, options.ID, "", SignalSettings, accountSettingsOf(customer)); err != nil {
			return fmt.Errorf("updating the account of customer %s: %w", customer.ID, err)
		}
		report := MonthlyReportInput{Customer: customer.ID, Plan: customer.Billing.Plan, Notify: accountNotifyOf(customer),
			Timezone: customer.Timezone}
		if err := ensureReportSchedule(ctx, c, report); err != nil {
			return fmt.Errorf("scheduling the monthly report of customer %s: %w", customer.ID, err)
		}
	}
	return nil
}

// pollerInput starts the poller of a customer's platform from the customers file.
func pollerInput(customer string, platform config.Platform) PollerInput {
	return PollerInput{Customer: customer, Vendor: platform.Vendor, Every: platform.Poll.D(), FirstFetch: platform.FirstFetchWindow()}
}

// accountStart is how a customer's Account starts from the customers file: at worker
// start, or when an activity finds it not running. An Account already running is
// kept (its ledger is the truth), never started over.
func accountStart(customer config.Customer) (client.StartWorkflowOptions, AccountInput) {
	options := client.StartWorkflowOptions{
		ID: AccountWorkflowID(customer.ID), TaskQueue: TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(SACustomer.ValueSet(customer.ID)),
	}
	settings := accountSettingsOf(customer)
	return options, AccountInput{Customer: customer.ID, Plan: settings.Plan, IDs: settings.IDs, Purchases: customer.Billing.Tickets,
		Notify: settings.Notify, Timezone: settings.Timezone}
}

// accountSettingsOf is what the Account knows of a customer from the customers file.
func accountSettingsOf(customer config.Customer) AccountSettings {
	return AccountSettings{Plan: customer.Billing.Plan, IDs: customer.Billing.IDs, Notify: accountNotifyOf(customer), Timezone: customer.Timezone}
}

func accountNotifyOf(customer config.Customer) AccountNotify {
	return AccountNotify{CustomerName: customer.Name, Language: customer.Language, Contacts: customer.StatusUpdates}
}

// reportCron is 00:00 on the 1st of each month in the customer's zone: the month
// before is complete there.
const reportCron = "0 0 1 * *"

// reportCatchupWindow lets a report whose 1st was missed (server down) still go
// out later that month, for the month it was due for.
const reportCatchupWindow = 27 * 24 * time.Hour

// ensureReportSchedule creates the customer's report schedule, or updates the one
// that exists so that it carries the customers file's current contacts and plan.
func ensureReportSchedule(ctx context.Context, c client.Client, in MonthlyReportInput) error {
	id := ReportScheduleID(in.Customer)
	spec := client.ScheduleSpec{CronExpressions: []string{reportCron}, TimeZoneName: config.LoadLocation(in.Timezone).String()}
	action := &client.ScheduleWorkflowAction{
		ID: id, Workflow: MonthlyReportWorkflowType, Args: []any{in}, TaskQueue: TaskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(SACustomer.ValueSet(in.Customer)),
	}
	policy := client.SchedulePolicies{Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: reportCatchupWindow}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: id, Spec: spec, Action: action, Overlap: policy.Overlap, CatchupWindow: policy.CatchupWindow,
		Note: "Monthly report of customer " + in.Customer + ", from the customers file.",
	})
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return err
	}
	return c.ScheduleClient().GetHandle(ctx, id).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(current client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			schedule := current.Description.Schedule
			schedule.Spec, schedule.Action, schedule.Policy = &spec, action, &policy
			return &client.ScheduleUpdate{Schedule: &schedule}, nil
		},
	})
}

// EnsurePollers starts a durable poller for every platform that has a poll interval;
// a new one looks back the platform's first_fetch. A poller already running keeps its
// cursor.
func EnsurePollers(ctx context.Context, c client.Client, customers *config.Customers) error {
	for _, customer := range customers.Customers {
		for _, platform := range customer.Platforms {
			if platform.Poll <= 0 {
				continue
			}
			id := PollerWorkflowID(customer.ID, platform.Vendor)
			_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID: id, TaskQueue: TaskQueue,
				WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
				TypedSearchAttributes:    temporal.NewSearchAttributes(SACustomer.ValueSet(customer.ID), SAVendor.ValueSet(platform.Vendor)),
			}, PollerWorkflowType, pollerInput(customer.ID, platform))
			if err != nil {
				return fmt.Errorf("starting the %s poller of customer %s: %w", platform.Vendor, customer.ID, err)
			}
		}
	}
	return nil
}
