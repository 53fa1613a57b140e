package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// The Account's names, repeated here because workflows import this package (the
// workflows package's api.go holds the same values for the outside world).
const (
	accountUpdateConsume = "consume"
	accountUpdateRecord  = "record_incident"
)

func accountID(customer string) string { return "account/" + customer }

// ConsumeTickets takes option tickets from the customer's Account for an incident and
// answers how many are left. The request id is the Update id, so a retry or a
// re-delivered decision consumes once.
func (a *Activities) ConsumeTickets(ctx context.Context, in ConsumeRequest) (int, error) {
	var remaining int
	err := a.updateAccount(ctx, in.Customer, accountUpdateConsume, in.RequestID, in, &remaining)
	return remaining, err
}

// RecordIncident hands a concluded incident's summary to the customer's Account,
// once (the incident id is the Update id).
func (a *Activities) RecordIncident(ctx context.Context, in IncidentSummary) error {
	return a.updateAccount(ctx, in.Customer, accountUpdateRecord, "record/"+in.Incident+"/"+in.OpenedAt.UTC().Format("20060102T150405.000"), in, nil)
}

func (a *Activities) updateAccount(ctx context.Context, customer, update, updateID string, arg, result any) error {
	handle, err := a.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   accountID(customer),
		UpdateName:   update,
		UpdateID:     updateID,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
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
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("account of customer %s is not running: %v", customer, err), "AccountNotFound", err)
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return temporal.NewNonRetryableApplicationError(appErr.Error(), "AccountRefused", err)
	}
	return err
}
