package workflows

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
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
}

// Deliver hands an alert to its incident, starting the incident if it is not running:
// Update-With-Start lands re-deliveries in the same run. A re-delivery of a closed
// incident's alert answers duplicate; a later recurrence starts a new run linked to it.
func (in *Intake) Deliver(ctx context.Context, customer config.Customer, vendor string, alert integrations.Alert) (IncidentRef, error) {
	id := IncidentWorkflowID(customer.ID, vendor, alert.ID)
	ref, err := in.updateWithStart(ctx, customer, vendor, alert, id, "", enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if !errors.As(err, &started) {
		return ref, err
	}
	closed, err := in.Temporal.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return ref, err
	}
	info := closed.GetWorkflowExecutionInfo()
	var fingerprint string
	if field, ok := info.GetMemo().GetFields()[memoFingerprint]; ok {
		_ = converter.GetDefaultDataConverter().FromPayload(field, &fingerprint)
	}
	if fingerprint == Fingerprint(alert) {
		return IncidentRef{WorkflowID: id, RunID: info.GetExecution().GetRunId(), Duplicate: true}, nil
	}
	return in.updateWithStart(ctx, customer, vendor, alert, id, info.GetExecution().GetRunId(), enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
}

const memoFingerprint = "fingerprint"

func (in *Intake) updateWithStart(ctx context.Context, customer config.Customer, vendor string, alert integrations.Alert,
	id, previousRun string, reuse enumspb.WorkflowIdReusePolicy) (IncidentRef, error) {
	input := IncidentInput{
		Customer: customer.ID, Vendor: vendor, Alert: alert, PreviousRunID: previousRun,
		Policy: PolicyFor(customer, integrations.CapabilitiesOf(vendor)),
	}
	start := in.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    reuse,
		Memo:                     map[string]any{memoFingerprint: Fingerprint(alert)},
		TypedSearchAttributes: temporal.NewSearchAttributes(
			SACustomer.ValueSet(customer.ID),
			SAVendor.ValueSet(vendor),
			SAHost.ValueSet(alert.HostNames()[0]),
			SASeverity.ValueSet(string(alert.Severity)),
			SASeverityRank.ValueSet(int64(alert.Severity.Rank())),
			SAState.ValueSet(StateNew),
		),
	}, IncidentWorkflowType, input)
	handle, err := in.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   UpdateDeliverAlert,
			Args:         []any{alert},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return IncidentRef{}, err
	}
	var result DeliveryResult
	if err := handle.Get(ctx, &result); err != nil {
		return IncidentRef{}, err
	}
	return IncidentRef{WorkflowID: id, RunID: handle.RunID(), Duplicate: result.Duplicate}, nil
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
// hands each its purchases from the customers file, and creates (or brings up to
// date) each customer's monthly report schedule.
func EnsureAccounts(ctx context.Context, c client.Client, customers *config.Customers) error {
	for _, customer := range customers.Customers {
		notify := AccountNotify{CustomerName: customer.Name, Language: customer.Language, Contacts: customer.StatusUpdates}
		input := AccountInput{
			Customer: customer.ID, Plan: customer.Billing.Plan, IDs: customer.Billing.IDs, Purchases: customer.Billing.Tickets,
			Notify: notify,
		}
		_, err := c.SignalWithStartWorkflow(ctx, AccountWorkflowID(customer.ID), SignalPurchases, customer.Billing.Tickets,
			client.StartWorkflowOptions{ID: AccountWorkflowID(customer.ID), TaskQueue: TaskQueue,
				TypedSearchAttributes: temporal.NewSearchAttributes(SACustomer.ValueSet(customer.ID))},
			AccountWorkflowType, input)
		if err != nil {
			return fmt.Errorf("starting the account of customer %s: %w", customer.ID, err)
		}
		report := MonthlyReportInput{Customer: customer.ID, Plan: customer.Billing.Plan, Notify: notify}
		if err := ensureReportSchedule(ctx, c, report); err != nil {
			return fmt.Errorf("scheduling the monthly report of customer %s: %w", customer.ID, err)
		}
	}
	return nil
}

// reportCron is 00:00 UTC on the 1st of each month: the month before is complete.
const reportCron = "0 0 1 * *"

// reportCatchupWindow lets a report whose 1st was missed (server down) still go
// out later that month, for the month it was due for.
const reportCatchupWindow = 27 * 24 * time.Hour

// ensureReportSchedule creates the customer's report schedule, or updates the one
// that exists so that it carries the customers file's current contacts and plan.
func ensureReportSchedule(ctx context.Context, c client.Client, in MonthlyReportInput) error {
	id := ReportScheduleID(in.Customer)
	spec := client.ScheduleSpec{CronExpressions: []string{reportCron}, TimeZoneName: "UTC"}
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

// EnsurePollers starts a durable poller for every platform that has a poll interval.
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
			}, PollerWorkflowType, PollerInput{Customer: customer.ID, Vendor: platform.Vendor, Every: platform.Poll.D()})
			if err != nil {
				return fmt.Errorf("starting the %s poller of customer %s: %w", platform.Vendor, customer.ID, err)
			}
		}
	}
	return nil
}
