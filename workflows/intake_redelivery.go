package workflows

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"xsoc/config"
	"xsoc/integrations"
)

// How intake answers an alert whose incident exists: a re-delivery, or a vendor's update
// of the alert. The alert reached its incident once the server accepted it, so the
// answer is 200 duplicate, never an error the sender would retry for nothing.

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
	err := in.Temporal.SignalWorkflow(ctx, ref.WorkflowID, "", SignalDeliverAlert, alert)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return false, nil
	}
	return err == nil, err
}

// deliverAfterClose answers the delivery of a closed incident's alert: duplicate when
// the closed run took this version of the alert (the memo holds the fingerprint of the
// last version it took), else a new run linked to the closed one. When another run is
// running by now (a concurrent delivery started it), the alert is handed over to it.
func (in *Intake) deliverAfterClose(ctx context.Context, customer config.Customer, vendor string, alert integrations.Alert, id string) (IncidentRef, error) {
	for range afterCloseAttempts {
		described, err := in.Temporal.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			return IncidentRef{}, err
		}
		info := described.GetWorkflowExecutionInfo()
		latest := IncidentRef{WorkflowID: id, RunID: info.GetExecution().GetRunId(), Duplicate: true}
		if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			if handed, err := in.handOver(ctx, latest, alert); err != nil || handed {
				return latest, err
			}
			continue
		}
		var fingerprint string
		if field, ok := info.GetMemo().GetFields()[memoFingerprint]; ok {
			// A memo that does not decode (a key dropped from the ring) reads as another
			// version of the alert: a new run, never a lost alert.
			_ = in.Converter.FromPayload(field, &fingerprint)
		}
		if fingerprint == Fingerprint(alert) {
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
