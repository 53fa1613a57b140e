package workflows

import (
	"context"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// StartRequest starts a customer request, or finds the one with the same id, running
// or ended: the id is the customer's own reference, so posting it again never starts
// a second request (Duplicate). It answers as soon as the request is durably started,
// without waiting for a worker, and goes through the client's data converter. The
// search attributes of the SOC's list of open requests are set at once, so the
// request shows there even before a worker picks it up.
func StartRequest(ctx context.Context, c client.Client, in RequestInput) (RequestRef, error) {
	id := RequestWorkflowID(in.Customer, in.Request.ID)
	attributes := []temporal.SearchAttributeUpdate{
		SACustomer.ValueSet(in.Customer), SAState.ValueSet(StateRequested), SASLAState.ValueSet(SLAOnTrack),
		SASLADueAt.ValueSet(time.Now().Add(in.Ack.D())),
	}
	if in.Request.Host != "" {
		attributes = append(attributes, SAHost.ValueSet(in.Request.Host))
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(attributes...),
	}, RequestWorkflowType, in)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &already) {
		return RequestRef{WorkflowID: id, RunID: already.RunId, Duplicate: true}, nil
	}
	if err != nil {
		return RequestRef{}, err
	}
	return RequestRef{WorkflowID: id, RunID: run.GetRunID()}, nil
}
