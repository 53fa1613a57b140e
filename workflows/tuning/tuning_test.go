package tuning

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"xsoc/identity"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

func TestTuningAddsRetiresCountsHitsOnceAndHandsTriageTheRulesInForce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rule := api.AddRuleRequest{By: "hanako", ApprovedBy: "sato", Reason: "inventory script",
		Expires: testworld.Start.Add(30 * 24 * time.Hour), Match: api.RuleMatch{Detection: "Suspicious PowerShell*"}}
	var added api.RuleAdded
	w.At(time.Minute, func() {
		w.Env.UpdateWorkflow(api.UpdateAddRule, "add-1", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("refused: %v", err) },
			OnComplete: func(result any, err error) { require.NoError(t, err); added = result.(api.RuleAdded) },
		}, rule)
	})
	w.At(90*time.Second, func() {
		w.Env.UpdateWorkflow(api.UpdateApproveRule, "approve-1", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("approval refused: %v", err) }, OnComplete: func(any, error) {},
		}, api.ApproveRuleRequest{Stamp: testworld.Stamp("sato", identity.ViaToken, 90*time.Second), ID: "R-1"})
	})
	var refused error
	w.At(2*time.Minute, func() {
		bad := rule
		bad.ApprovedBy = "hanako"
		w.Env.UpdateWorkflow(api.UpdateAddRule, "add-2", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { refused = err }, OnComplete: func(any, error) {},
		}, bad)
	})
	hit := api.RuleHit{Rule: "R-1", Incident: "incident/acme/cybereason/a1", At: testworld.Start.Add(3 * time.Minute)}
	w.At(3*time.Minute, func() { w.Env.SignalWorkflow(api.SignalRuleHits, api.RuleHits{Hits: []api.RuleHit{hit}}) })
	w.At(4*time.Minute, func() { w.Env.SignalWorkflow(api.SignalRuleHits, api.RuleHits{Hits: []api.RuleHit{hit}}) })
	w.At(5*time.Minute, func() {
		w.Env.UpdateWorkflow(api.UpdateRetireRule, "retire-1", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("retire refused: %v", err) }, OnComplete: func(any, error) {},
		}, api.RetireRuleRequest{ID: "R-1", By: "sato", Reason: "script replaced"})
	})
	var rules []api.Rule
	w.At(6*time.Minute, func() { w.Query(api.QueryRules, &rules) })
	w.At(7*time.Minute, func() { w.Env.CancelWorkflow() })

	w.Env.ExecuteWorkflow(api.TuningWorkflowType, api.TuningInput{Customer: "acme"})

	require.Equal(t, "R-1", added.ID)
	require.ErrorContains(t, refused, `"approved_by" must be another person`)
	require.Len(t, rules, 1)
	require.Equal(t, api.RuleRetired, rules[0].State)
	require.Equal(t, 1, rules[0].Hits, "a hit reported twice counts once")
	require.Equal(t, hit.At, rules[0].LastHit)
	var whats []string
	for _, c := range rules[0].History {
		whats = append(whats, c.What+" by "+c.By)
	}
	require.Equal(t, []string{"added by hanako", "approved by sato", "retired by sato"}, whats)
	var sets []api.RuleSet
	for _, s := range w.Signalled {
		if s.Name == api.SignalRules && s.WorkflowID == api.TriageWorkflowID("acme") {
			sets = append(sets, s.Arg.(api.RuleSet))
		}
	}
	require.GreaterOrEqual(t, len(sets), 3, "handed over at start, on approval and on retire")
	require.Len(t, sets[len(sets)-2].Rules, 1, "after approve_rule, triage has the rule")
	require.Empty(t, sets[len(sets)-1].Rules, "after retire_rule, triage has none")
	require.Greater(t, sets[len(sets)-1].Revision, sets[len(sets)-2].Revision)
}

// A Triage that cannot be reached is handed the rules again with backoff, not in a loop
// that grows Tuning's history to the server's limit; the rule set names Tuning's epoch.
func TestTuningHandsRulesToAGoneTriageWithBackoff(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.SignalFails[api.TriageWorkflowID("acme")] = errors.New("unknown external workflow execution")
	w.At(time.Hour, func() { w.Env.CancelWorkflow() })

	w.Env.ExecuteWorkflow(api.TuningWorkflowType, api.TuningInput{Customer: "acme"})

	var handOvers []api.RuleSet
	for _, s := range w.Signalled {
		if s.Name == api.SignalRules {
			handOvers = append(handOvers, s.Arg.(api.RuleSet))
		}
	}
	require.Greater(t, len(handOvers), 3, "it keeps trying")
	require.Less(t, len(handOvers), 25, "with backoff (2 s doubling to 5 min): about 18 tries in an hour")
	require.NotEmpty(t, handOvers[0].Epoch, "the rule set names the Tuning that counts its revisions")
}
