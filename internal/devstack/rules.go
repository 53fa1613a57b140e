package devstack

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"

	"xsoc/identity"
	"xsoc/internal/codec"
	"xsoc/workflows/api"
)

// AddApprovedRule adds a suppression rule to a customer's Tuning and has approver
// approve it, as the tests and the benchmark need a rule in force: add_rule leaves it
// pending, and approve_rule takes only a proven person. The approval is stamped with
// approver's principal (via token) exactly as the codec server stamps what a person
// sends with their token: this process holds the key ring, as the codec server does.
// It answers the rule's id once the rule is in force (after approve_rule returned; it
// matches alerts received from 5 s later).
func AddApprovedRule(ctx context.Context, c client.Client, customer string, rule any, approver string) (string, error) {
	var added api.RuleAdded
	if err := updateTuning(ctx, c, customer, api.UpdateAddRule, rule, &added); err != nil {
		return "", fmt.Errorf("add_rule for %s: %w", customer, err)
	}
	if err := ApproveRule(ctx, c, customer, added.ID, approver); err != nil {
		return added.ID, err
	}
	return added.ID, nil
}

// ApproveRule approves a pending rule as approver, stamped as AddApprovedRule says.
func ApproveRule(ctx context.Context, c client.Client, customer, id, approver string) error {
	principal := identity.Principal{Name: approver, Via: identity.ViaToken, At: time.Now().UTC(), ID: rand.Text()}
	stamped, err := codec.Stamped(api.ApproveRuleRequest{ID: id}, principal)
	if err != nil {
		return err
	}
	if err := updateTuning(ctx, c, customer, api.UpdateApproveRule, stamped, nil); err != nil {
		return fmt.Errorf("approve_rule %s for %s by %s: %w", id, customer, approver, err)
	}
	return nil
}

func updateTuning(ctx context.Context, c client.Client, customer, name string, arg, result any) error {
	handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: api.TuningWorkflowID(customer),
		UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return err
	}
	return handle.Get(ctx, result)
}
