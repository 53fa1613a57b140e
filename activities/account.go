package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// The Account's names, repeated here because workflows import this package (the
// workflows package's api.go holds the same values for the outside world).
const (
	accountUpdateConsume   = "consume"
	accountUpdateRecord    = "record_incident"
	accountUpdateActiveIDs = "record_active_ids"
	accountQueryReport     = "report"
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

// RecordActiveIDs hands a month's active endpoints by vendor to the customer's
// Account. The Update id is this workflow run's, so a retry is applied once and a
// later report run records its own (newer) count.
func (a *Activities) RecordActiveIDs(ctx context.Context, in ActiveIDs) error {
	updateID := "active-ids/" + in.Month
	if activity.IsActivity(ctx) {
		updateID += "/" + activity.GetInfo(ctx).WorkflowExecution.RunID
	}
	return a.updateAccount(ctx, in.Customer, accountUpdateActiveIDs, updateID, in, nil)
}

// ReadMonthlyReport answers a month ("2026-11") of the customer's Account: workflows
// cannot query another workflow, so this activity does it for them.
func (a *Activities) ReadMonthlyReport(ctx context.Context, customer, month string) (MonthlyReport, error) {
	var report MonthlyReport
	value, err := a.Temporal.QueryWorkflow(ctx, accountID(customer), "", accountQueryReport, month)
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
	return report, nil
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
