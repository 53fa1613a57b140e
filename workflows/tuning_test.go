package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
)

func TestTuningAddsRetiresCountsHitsOnceAndHandsTriageTheRulesInForce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rule := AddRuleRequest{By: "hanako", ApprovedBy: "sato", Reason: "inventory script",
		Expires: testStart.Add(30 * 24 * time.Hour), Match: RuleMatch{Detection: "Suspicious PowerShell*"}}
	var added RuleAdded
	w.at(time.Minute, func() {
		w.env.UpdateWorkflow(UpdateAddRule, "add-1", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("refused: %v", err) },
			OnComplete: func(result any, err error) { require.NoError(t, err); added = result.(RuleAdded) },
		}, rule)
	})
	var refused error
	w.at(2*time.Minute, func() {
		bad := rule
		bad.ApprovedBy = "hanako"
		w.env.UpdateWorkflow(UpdateAddRule, "add-2", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { refused = err }, OnComplete: func(any, error) {},
		}, bad)
	})
	hit := RuleHit{Rule: "R-1", Incident: "incident/acme/cybereason/a1", At: testStart.Add(3 * time.Minute)}
	w.at(3*time.Minute, func() { w.env.SignalWorkflow(SignalRuleHits, RuleHits{Hits: []RuleHit{hit}}) })
	w.at(4*time.Minute, func() { w.env.SignalWorkflow(SignalRuleHits, RuleHits{Hits: []RuleHit{hit}}) })
	w.at(5*time.Minute, func() {
		w.env.UpdateWorkflow(UpdateRetireRule, "retire-1", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("retire refused: %v", err) }, OnComplete: func(any, error) {},
		}, RetireRuleRequest{ID: "R-1", By: "sato", Reason: "script replaced"})
	})
	var rules []Rule
	w.at(6*time.Minute, func() { w.query(QueryRules, &rules) })
	w.at(7*time.Minute, func() { w.env.CancelWorkflow() })

	w.env.ExecuteWorkflow(TuningWorkflowType, TuningInput{Customer: "acme"})

	require.Equal(t, "R-1", added.ID)
	require.ErrorContains(t, refused, `"approved_by" must be another person`)
	require.Len(t, rules, 1)
	require.Equal(t, RuleRetired, rules[0].State)
	require.Equal(t, 1, rules[0].Hits, "a hit reported twice counts once")
	require.Equal(t, hit.At, rules[0].LastHit)
	var whats []string
	for _, c := range rules[0].History {
		whats = append(whats, c.What+" by "+c.By)
	}
	require.Equal(t, []string{"added by hanako", "retired by sato"}, whats)
	var sets []RuleSet
	for _, s := range w.signalled {
		if s.Name == SignalRules && s.WorkflowID == TriageWorkflowID("acme") {
			sets = append(sets, s.Arg.(RuleSet))
		}
	}
	require.GreaterOrEqual(t, len(sets), 3, "handed over at start, on add and on retire")
	require.Len(t, sets[len(sets)-2].Rules, 1, "after add_rule, triage has the rule")
	require.Empty(t, sets[len(sets)-1].Rules, "after retire_rule, triage has none")
	require.Greater(t, sets[len(sets)-1].Revision, sets[len(sets)-2].Revision)
}

// A Triage that cannot be reached is handed the rules again with backoff, not in a loop
// that grows Tuning's history to the server's limit; the rule set names Tuning's epoch.
func TestTuningHandsRulesToAGoneTriageWithBackoff(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.signalFails[TriageWorkflowID("acme")] = errors.New("unknown external workflow execution")
	w.at(time.Hour, func() { w.env.CancelWorkflow() })

	w.env.ExecuteWorkflow(TuningWorkflowType, TuningInput{Customer: "acme"})

	var handOvers []RuleSet
	for _, s := range w.signalled {
		if s.Name == SignalRules {
			handOvers = append(handOvers, s.Arg.(RuleSet))
		}
	}
	require.Greater(t, len(handOvers), 3, "it keeps trying")
	require.Less(t, len(handOvers), 25, "with backoff (2 s doubling to 5 min): about 18 tries in an hour")
	require.NotEmpty(t, handOvers[0].Epoch, "the rule set names the Tuning that counts its revisions")
}
