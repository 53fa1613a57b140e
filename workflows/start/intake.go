// Package start is how xsoc's workflows are started and reached from outside them:
// Intake (alerts to incidents), the Ensure… functions the worker runs at start,
// Request and PlanRequest (customer requests), PolicyFor, and Calls, the activities
// by which workflows and pollers reach other workflows.
package start

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
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
	id := api.IncidentWorkflowID(customer.ID, vendor, alert.ID)
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

// start starts the incident, or finds it running (Duplicate). It speaks to the
// workflow service directly because only its answer says whether the start created
// the incident or found the one already running.
func (in *Intake) start(ctx context.Context, customer config.Customer, vendor string, alert integrations.Alert,
	id, previousRun string, reuse enumspb.WorkflowIdReusePolicy) (IncidentRef, error) {
	return in.startWith(ctx, customer, vendor, alert, id, previousRun, "", reuse)
}

func (in *Intake) startWith(ctx context.Context, customer config.Customer, vendor string, alert integrations.Alert,
	id, previousRun, reopened string, reuse enumspb.WorkflowIdReusePolicy) (IncidentRef, error) {
	dc := in.Converter
	input, err := dc.ToPayloads(api.IncidentInput{
		Customer: customer.ID, Vendor: vendor, Alert: alert, PreviousRunID: previousRun, Reopened: reopened,
		Policy: PolicyFor(customer, in.SOC, integrations.CapabilitiesOf(vendor)),
	})
	if err != nil {
		return IncidentRef{}, fmt.Errorf("encoding incident input: %w", err)
	}
	memo, err := dc.ToPayload(api.Fingerprint(alert))
	if err != nil {
		return IncidentRef{}, fmt.Errorf("encoding incident memo: %w", err)
	}
	// Search attributes stay in clear with the default converter: they are the index.
	attributes, err := searchAttributePayloads(map[string]any{
		api.SACustomer.GetName(): customer.ID, api.SAVendor.GetName(): vendor, api.SAHost.GetName(): alert.HostNames()[0],
		api.SASeverity.GetName(): string(alert.Severity), api.SASeverityRank.GetName(): alert.Severity.Rank(), api.SAState.GetName(): api.StateNew,
	})
	if err != nil {
		return IncidentRef{}, err
	}
	requestID := make([]byte, 16)
	_, _ = rand.Read(requestID)
	resp, err := in.Temporal.WorkflowService().StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace:                in.namespace(),
		WorkflowId:               id,
		WorkflowType:             &commonpb.WorkflowType{Name: api.IncidentWorkflowType},
		TaskQueue:                &taskqueuepb.TaskQueue{Name: api.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		Input:                    input,
		Identity:                 "xsoc-intake",
		RequestId:                hex.EncodeToString(requestID),
		WorkflowIdReusePolicy:    reuse,
		WorkflowIdConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		Memo:                     &commonpb.Memo{Fields: map[string]*commonpb.Payload{api.MemoFingerprint: memo}},
		SearchAttributes:         attributes,
		// Critical and emergency incidents are served before a storm of lower ones.
		Priority:           &commonpb.Priority{PriorityKey: int32(casework.PriorityOf(alert.Severity).PriorityKey)}, //nolint:gosec // G115: keys are 1 to 5
		VersioningOverride: versionsOf(in.Temporal).override(id),
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

// afterCloseAttempts bounds how often a delivery goes round when the incident keeps
// changing under it (a run closing as the delivery is handed over, a concurrent
// delivery starting the next run): each round settles one such race, and two are
// already rare.
const afterCloseAttempts = 5

// handOver hands a re-delivered alert to the running incident by Signal, and answers
// whether the incident took it: false when the incident had closed meanwhile (the
// delivery is then one of a closed incident). The Signal goes to the incident's
// current run, which is the one to take it even when a recurrence or a continue-as-new
// replaced the run the start found. It does not wait for the incident: a storm may keep
// the worker from it for minutes, and a Signal the server accepted is the incident's.
func (in *Intake) handOver(ctx context.Context, ref IncidentRef, alert integrations.Alert) (bool, error) {
	err := in.Temporal.SignalWorkflow(ctx, ref.WorkflowID, "", api.SignalDeliverAlert, alert)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return false, nil
	}
	return err == nil, err
}

// Reopen starts again, as an incident of its own, an alert whose incident closed merged
// into a parent that could not take it (the parent was over when triage handed the
// alert to it): a new run of the same incident, linked to the closed one, decided
// afresh by triage. An incident that runs again already (re-opened before, or
// re-delivered) is left as it is; the handed-over run itself (handedOver), still
// closing, is waited for: it tells the Account before it ends, and under load the
// failed hand-over came back first, and the alert was left merged into an incident
// that was over (tests/soc TestAlertForTheHostOfAnIncidentThatIsOverIsSuppressedByItsRule).
func (in *Intake) Reopen(ctx context.Context, customer config.Customer, vendor string, alert integrations.Alert, handedOver, why string) (IncidentRef, error) {
	id := api.IncidentWorkflowID(customer.ID, vendor, alert.ID)
	for {
		description, err := in.Temporal.DescribeWorkflow(ctx, id, "")
		if err != nil {
			return IncidentRef{}, err
		}
		info := description.RawResponse.GetWorkflowExecutionInfo()
		run := info.GetExecution().GetRunId()
		if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return in.startWith(ctx, customer, vendor, alert, id, run, why, enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
		}
		if handedOver == "" || (run != handedOver && info.GetFirstRunId() != handedOver) {
			return IncidentRef{WorkflowID: id, RunID: run, Duplicate: true}, nil
		}
		if err := in.awaitClose(ctx, id, run); err != nil {
			return IncidentRef{}, err
		}
	}
}

// closingWait bounds one wait for a closing run, between heartbeats.
const closingWait = 10 * time.Second

// awaitClose waits a while for the run to close (its result, or how it ended, does not
// matter), and answers the caller's context's error only.
func (in *Intake) awaitClose(ctx context.Context, id, run string) error {
	waiting, cancel := context.WithTimeout(ctx, closingWait)
	defer cancel()
	if err := in.Temporal.GetWorkflow(waiting, id, run).Get(waiting, nil); err != nil && waiting.Err() == nil {
		// Ended otherwise than completed, or the server failed the wait: a pause, so
		// that a failing server is not asked again at once.
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
		}
	}
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, "waiting for "+id+" to close")
	}
	return ctx.Err()
}

// deliverAfterClose answers the delivery of a closed incident's alert: duplicate when
// the closed run took this version of the alert (the memo holds the fingerprint of the
// last version it took), else a new run linked to the closed one. When another run is
// running by now (a concurrent delivery started it), the alert is handed over to it.
func (in *Intake) deliverAfterClose(ctx context.Context, customer config.Customer, vendor string, alert integrations.Alert, id string) (IncidentRef, error) {
	for range afterCloseAttempts {
		description, err := in.Temporal.DescribeWorkflow(ctx, id, "")
		if err != nil {
			return IncidentRef{}, err
		}
		info := description.RawResponse.GetWorkflowExecutionInfo()
		latest := IncidentRef{WorkflowID: id, RunID: info.GetExecution().GetRunId(), Duplicate: true}
		if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			if handed, err := in.handOver(ctx, latest, alert); err != nil || handed {
				return latest, err
			}
			continue
		}
		var fingerprint string
		if field, ok := info.GetMemo().GetFields()[api.MemoFingerprint]; ok {
			// A memo that does not decode (a key dropped from the ring) reads as another
			// version of the alert: a new run, never a lost alert.
			_ = in.Converter.FromPayload(field, &fingerprint)
		}
		if fingerprint == api.Fingerprint(alert) {
			return latest, nil
		}
		ref, err := in.start(ctx, customer, vendor, alert, id, latest.RunID, enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
		if err != nil || !ref.Duplicate {
			return ref, err
		}
		// A concurrent delivery of this version started the new run first.
		if handed, err := in.handOver(ctx, ref, alert); err != nil || handed {
			return ref, err
		}
	}
	return IncidentRef{}, fmt.Errorf("incident %s changed under %d deliveries in a row: it kept closing as each was handed over", id, afterCloseAttempts)
}
