package tuning

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"xsoc/identity"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// outcome is how one rule change sent as an Update went.
type outcome struct {
	rejected error
	err      error
	result   api.RuleAdded
}

// change sends a rule change as an Update d after the start.
func change(w *testworld.World, d time.Duration, name string, arg any) *outcome {
	o := &outcome{}
	w.At(d, func() {
		w.Env.UpdateWorkflow(name, fmt.Sprintf("%s-%s", name, d), &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { o.rejected = err },
			OnComplete: func(result any, err error) {
				o.err = err
				if added, ok := result.(api.RuleAdded); ok {
					o.result = added
				}
			},
		}, arg)
	})
	return o
}

// handedOver are the rule sets Tuning handed the customer's Triage, in order.
func handedOver(w *testworld.World) []api.RuleSet {
	var sets []api.RuleSet
	for _, s := range w.Signalled {
		if s.Name == api.SignalRules && s.WorkflowID == api.TriageWorkflowID("acme") {
			sets = append(sets, s.Arg.(api.RuleSet))
		}
	}
	return sets
}

func verifiedAs(c api.RuleChange) string {
	switch {
	case c.Verified == nil:
		return c.What + " by " + c.By
	case *c.Verified:
		return c.What + " by " + c.By + " (verified, " + c.Via + ")"
	}
	return c.What + " by " + c.By + " (declared)"
}

// A rule added by hanako suppresses nothing until another proven person approves it:
// Triage is not handed it while it is pending; hanako herself, a declared approver and
// the shared codec token are refused; sato, verified, puts it in force.
func TestARuleIsInForceOnlyOnceAnotherProvenPersonApprovesIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rule := api.AddRuleRequest{Stamp: testworld.Stamp("hanako", identity.ViaSSO, time.Minute), ApprovedBy: "sato", Reason: "inventory script",
		Expires: testworld.Start.Add(30 * 24 * time.Hour), Match: api.RuleMatch{Detection: "Inventory scan*"}}
	added := change(w, time.Minute, api.UpdateAddRule, rule)
	var pending []api.Rule
	w.At(2*time.Minute, func() { w.Query(api.QueryRules, &pending) })
	self := change(w, 3*time.Minute, api.UpdateApproveRule, api.ApproveRuleRequest{Stamp: testworld.Stamp("Hanako", identity.ViaToken, 3*time.Minute), ID: "R-1"})
	declared := change(w, 4*time.Minute, api.UpdateApproveRule, api.ApproveRuleRequest{By: "sato", ID: "R-1"})
	shared := change(w, 5*time.Minute, api.UpdateApproveRule, api.ApproveRuleRequest{Stamp: testworld.Stamp(identity.SharedName, identity.ViaToken, 5*time.Minute), ID: "R-1"})
	mismatch := change(w, 6*time.Minute, api.UpdateApproveRule, api.ApproveRuleRequest{Stamp: testworld.Stamp("sato", identity.ViaToken, 6*time.Minute), By: "tanaka", ID: "R-1"})
	unknown := change(w, 7*time.Minute, api.UpdateApproveRule, api.ApproveRuleRequest{Stamp: testworld.Stamp("sato", identity.ViaToken, 7*time.Minute), ID: "R-9"})
	var beforeApproval int
	w.At(8*time.Minute, func() { beforeApproval = len(handedOver(w)) })
	approved := change(w, 9*time.Minute, api.UpdateApproveRule, api.ApproveRuleRequest{Stamp: testworld.Stamp("sato", identity.ViaToken, 9*time.Minute), ID: "R-1", Note: "checked the script"})
	again := change(w, 10*time.Minute, api.UpdateApproveRule, api.ApproveRuleRequest{Stamp: testworld.Stamp("tanaka", identity.ViaToken, 10*time.Minute), ID: "R-1"})
	var rules []api.Rule
	w.At(11*time.Minute, func() { w.Query(api.QueryRules, &rules) })
	w.At(12*time.Minute, func() { w.Env.CancelWorkflow() })

	w.Env.ExecuteWorkflow(api.TuningWorkflowType, api.TuningInput{Customer: "acme"})

	require.NoError(t, added.rejected)
	require.NoError(t, added.err)
	require.Equal(t, api.RuleAdded{ID: "R-1", State: api.RulePending, ApprovalDue: testworld.Start.Add(time.Minute + 24*time.Hour)}, added.result)
	require.Len(t, pending, 1)
	require.Equal(t, api.RulePending, pending[0].State)
	require.Equal(t, "hanako", pending[0].By, "the writer is the stamp's person")
	require.Empty(t, pending[0].ApprovedBy, "asking sato is not sato's approval")
	require.ErrorContains(t, self.rejected, "hanako wrote rule R-1: another person approves it")
	require.ErrorContains(t, declared.rejected, `"sato" is only declared`)
	require.ErrorContains(t, shared.rejected, "the shared codec token proves no person")
	require.ErrorAs(t, mismatch.rejected, new(*identity.MismatchError))
	require.ErrorContains(t, unknown.rejected, `no rule "R-9" (rules: R-1)`)
	sets := handedOver(w)
	require.Equal(t, 1, beforeApproval, "only the start's hand-over while the rule is pending")
	require.Empty(t, sets[0].Rules)
	require.NoError(t, approved.rejected)
	require.NoError(t, approved.err)
	require.Equal(t, api.RuleAdded{ID: "R-1", State: api.RuleActive}, approved.result)
	require.Len(t, sets, 2)
	require.Len(t, sets[1].Rules, 1, "approved, Triage has the rule")
	require.Equal(t, "sato", sets[1].Rules[0].ApprovedBy)
	require.ErrorContains(t, again.rejected, "rule R-1 is already in force (approved by sato)")
	require.Len(t, rules, 1)
	require.Equal(t, api.RuleActive, rules[0].State)
	require.Equal(t, testworld.Start.Add(9*time.Minute), rules[0].ApprovedAt)
	var history []string
	for _, c := range rules[0].History {
		history = append(history, verifiedAs(c))
	}
	require.Equal(t, []string{"added by hanako (verified, sso)", "approved by sato (verified, token)"}, history)
	require.Equal(t, "checked the script", rules[0].History[1].Note)
}

// A rule nobody approves within 24 h expires without ever suppressing: a late approval
// is refused, and the rules query says why it expired. A pending rule may be retired.
func TestAPendingRuleExpiresUnapprovedAfter24Hours(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rule := api.AddRuleRequest{By: "hanako", Reason: "inventory script",
		Expires: testworld.Start.Add(30 * 24 * time.Hour), Match: api.RuleMatch{Detection: "Inventory scan*"}}
	change(w, time.Minute, api.UpdateAddRule, rule)
	change(w, 3*time.Hour, api.UpdateAddRule, rule)
	var justBefore []api.Rule
	w.At(24*time.Hour+59*time.Second, func() { w.Query(api.QueryRules, &justBefore) })
	late := change(w, 24*time.Hour+2*time.Minute, api.UpdateApproveRule, api.ApproveRuleRequest{Stamp: testworld.Stamp("sato", identity.ViaToken, 24*time.Hour+2*time.Minute), ID: "R-1"})
	withdrawn := change(w, 24*time.Hour+3*time.Minute, api.UpdateRetireRule, api.RetireRuleRequest{Stamp: testworld.Stamp("hanako", identity.ViaToken, 24*time.Hour+3*time.Minute), ID: "R-1"})
	retired := change(w, 24*time.Hour+4*time.Minute, api.UpdateRetireRule, api.RetireRuleRequest{Stamp: testworld.Stamp("hanako", identity.ViaToken, 24*time.Hour+4*time.Minute), ID: "R-2", Reason: "withdrawn"})
	var rules []api.Rule
	w.At(24*time.Hour+5*time.Minute, func() { w.Query(api.QueryRules, &rules) })
	w.At(24*time.Hour+6*time.Minute, func() { w.Env.CancelWorkflow() })

	w.Env.ExecuteWorkflow(api.TuningWorkflowType, api.TuningInput{Customer: "acme"})

	require.Equal(t, api.RulePending, justBefore[0].State)
	require.ErrorContains(t, late.rejected, "rule R-1 expired unapproved at "+testworld.Start.Add(time.Minute+24*time.Hour).UTC().Format(time.RFC3339))
	require.ErrorContains(t, withdrawn.rejected, "rule R-1 is already expired")
	require.NoError(t, retired.rejected)
	require.Equal(t, api.RuleExpired, rules[0].State)
	last := rules[0].History[len(rules[0].History)-1]
	require.Equal(t, api.RuleChange{At: testworld.Start.Add(time.Minute + 24*time.Hour), By: "xsoc", What: "expired", Note: "nobody approved it within 24 h"}, last)
	require.Equal(t, "added by hanako (declared)", verifiedAs(rules[0].History[0]))
	require.Equal(t, api.RuleRetired, rules[1].State)
	require.Equal(t, "retired by hanako (verified, token)", verifiedAs(rules[1].History[1]))
	for _, set := range handedOver(w) {
		require.Empty(t, set.Rules, "an unapproved rule is never handed to Triage")
	}
}

// A stamped approval is taken once: its copy, sent to approve another rule, is refused.
func TestACopiedApprovalIsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rule := api.AddRuleRequest{By: "hanako", Reason: "inventory script",
		Expires: testworld.Start.Add(30 * 24 * time.Hour), Match: api.RuleMatch{Detection: "Inventory scan*"}}
	change(w, time.Minute, api.UpdateAddRule, rule)
	change(w, time.Minute+time.Second, api.UpdateAddRule, rule)
	approval := api.ApproveRuleRequest{Stamp: testworld.Stamp("sato", identity.ViaToken, 2*time.Minute), ID: "R-1"}
	first := change(w, 2*time.Minute, api.UpdateApproveRule, approval)
	approval.ID = "R-2"
	copied := change(w, 3*time.Minute, api.UpdateApproveRule, approval)
	w.At(4*time.Minute, func() { w.Env.CancelWorkflow() })

	w.Env.ExecuteWorkflow(api.TuningWorkflowType, api.TuningInput{Customer: "acme"})

	require.NoError(t, first.rejected)
	require.ErrorAs(t, copied.rejected, new(*identity.ReplayError))
}
