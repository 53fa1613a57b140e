package tuning

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/identity"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// Two people for a rule, proven (docs/identity-contract.md): add_rule leaves the rule
// pending, in its writer's name (the stamp's person, or a declared "by"); approve_rule
// by another person, verified by the codec server (not its shared token), puts it in
// force. A rule nobody approves within api.RuleApprovalWindow expires unapplied.

// approvalsChange guards what add_rule does: Tunings that took add_rule before it
// replay the rule as they applied it, approved as it was added.
const (
	approvalsChange                  = "tuning-approvals"
	approvals       workflow.Version = 1
)

// validAddRule is add_rule's validator: its author (the stamp's person, or the declared
// "by") and the rule itself.
func (t *tuning) validAddRule(r api.AddRuleRequest, now time.Time) error {
	author, err := casework.ValidAuthor(r.Stamp, r.By, now, &t.state.Stamps)
	if err != nil {
		return err
	}
	r.By = author.Name
	return validateAddRule(r, now)
}

// addPendingRule records a rule that waits for its approval: it suppresses nothing yet,
// so Triage is not told.
func (t *tuning) addPendingRule(ctx workflow.Context, r api.AddRuleRequest) (api.RuleAdded, error) {
	now := workflow.Now(ctx)
	author := casework.AcceptedAuthor(r.Stamp, r.By, now, &t.state.Stamps)
	id := fmt.Sprintf("R-%d", len(t.state.Rules)+1)
	due := now.Add(api.RuleApprovalWindow)
	note := "awaiting approval until " + due.UTC().Format(time.RFC3339)
	if asked := strings.TrimSpace(r.ApprovedBy); asked != "" {
		note += " (asked of " + asked + ")"
	}
	t.state.Rules = append(t.state.Rules, api.Rule{
		ID: id, By: author.Name, Reason: r.Reason, Expires: r.Expires.UTC(), Match: r.Match, AddedAt: now, ApprovalDue: due,
		History: []api.RuleChange{ruleChange(now, author, "added", note+": "+r.Reason)},
	})
	workflow.GetLogger(ctx).Info("rule added, pending approval", "customer", t.in.Customer, "rule", id, "by", author.String())
	return api.RuleAdded{ID: id, State: api.RulePending, ApprovalDue: due}, nil
}

// validApproval is approve_rule's validator: the approver is proven, a person, not the
// writer, and the rule waits for its approval.
func (t *tuning) validApproval(r api.ApproveRuleRequest, now time.Time) error {
	author, err := casework.ValidAuthor(r.Stamp, r.By, now, &t.state.Stamps)
	if err != nil {
		return err
	}
	return t.approvable(r, author, now)
}

// approvable tells why the author may not approve the rule, if they may not.
func (t *tuning) approvable(r api.ApproveRuleRequest, author identity.Author, now time.Time) error {
	switch {
	case !author.Verified:
		return fmt.Errorf("approve_rule needs a proven approver, and %q is only declared: approve through the codec server "+
			"(the Temporal UI, or the CLI with --codec-endpoint and your own token)", author.Name)
	case r.Principal != nil && r.Principal.Shared():
		return errors.New("the shared codec token proves no person: approve with your own token (XSOC_CODEC_TOKENS) or through the SSO proxy")
	}
	i := t.ruleIndex(r.ID)
	if i < 0 {
		return fmt.Errorf("no rule %q (rules: %s)", r.ID, strings.Join(t.ids(), ", "))
	}
	rule := t.state.Rules[i]
	switch state := rule.StateAt(now); {
	case state == api.RuleActive:
		return fmt.Errorf("rule %s is already in force (approved by %s)", rule.ID, rule.ApprovedBy)
	case state == api.RuleExpired && rule.Pending() && !now.Before(rule.ApprovalDue):
		return fmt.Errorf("rule %s expired unapproved at %s (approvals are taken for %s): add it again",
			rule.ID, rule.ApprovalDue.UTC().Format(time.RFC3339), approvalWindow)
	case state != api.RulePending:
		return fmt.Errorf("rule %s is %s", rule.ID, state)
	case strings.EqualFold(author.Name, rule.By):
		return fmt.Errorf("%s wrote rule %s: another person approves it", rule.By, rule.ID)
	}
	return nil
}

// approveRule puts a pending rule in force and hands Triage the rules before answering,
// so that it applies to every alert received after approve_rule returned.
func (t *tuning) approveRule(ctx workflow.Context, r api.ApproveRuleRequest) (api.RuleAdded, error) {
	now := workflow.Now(ctx)
	author := casework.AcceptedAuthor(r.Stamp, r.By, now, &t.state.Stamps)
	if err := t.approvable(r, author, now); err != nil {
		return api.RuleAdded{}, temporal.NewApplicationError(err.Error(), "RuleRefused")
	}
	rule := &t.state.Rules[t.ruleIndex(r.ID)]
	rule.ApprovedBy, rule.ApprovedAt = author.Name, now
	rule.History = append(rule.History, ruleChange(now, author, "approved", r.Note))
	t.state.Revision++
	workflow.GetLogger(ctx).Info("rule approved", "customer", t.in.Customer, "rule", rule.ID, "by", author.String())
	if err := t.handOver(ctx); err != nil {
		return api.RuleAdded{ID: rule.ID, State: api.RuleActive}, temporal.NewApplicationError(fmt.Sprintf(
			"rule %s is approved but not yet in force: the customer's triage could not be reached (%v); it is handed over again until it is", rule.ID, err), "TriageUnreachable")
	}
	return api.RuleAdded{ID: rule.ID, State: api.RuleActive}, nil
}

// approvalWindow reads api.RuleApprovalWindow as people write it.
var approvalWindow = fmt.Sprintf("%.0f h", api.RuleApprovalWindow.Hours())

// ruleChange is a line of a rule's history in its author's name, verified or declared.
func ruleChange(at time.Time, author identity.Author, what, note string) api.RuleChange {
	verified := author.Verified
	return api.RuleChange{At: at, By: author.Name, Verified: &verified, Via: author.Via, What: what, Note: note}
}
