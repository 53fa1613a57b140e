package workflows

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/integrations"
)

func TestCancelledIncidentEndsCleanlyAndTellsTheSOCWhatStaysContained(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.at(5*time.Minute, func() { w.env.CancelWorkflow() })

	w.env.ExecuteWorkflow(IncidentWorkflowType, input(socPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.True(t, w.env.IsWorkflowCompleted())
	err := w.env.GetWorkflowError()
	var canceled *temporal.CanceledError
	require.True(t, errors.As(err, &canceled), "the incident ends as cancelled, not failed: %v", err)
	require.Equal(t, []string{"isolate pc-1", "investigate malop-1"}, w.platform.Calls(), "nothing is released")
	var notices []string
	for _, m := range w.outbox.all("slack") {
		if m.To == "#soc-triage" && m.Key != "" {
			notices = append(notices, m.Key)
		}
	}
	require.Len(t, notices, 2, "the triage page, then the notice that pc-1 stays isolated")
	var status IncidentStatus
	w.query(QueryStatus, &status)
	require.True(t, timelineHas(status, "cancelled", "still contained: pc-1"), "the timeline says what stays contained: %+v", status.Timeline)
	left := slices.ContainsFunc(w.signalled, func(s externalSignal) bool {
		return s.Name == SignalIncidentClosed && s.WorkflowID == TriageWorkflowID("acme")
	})
	require.True(t, left, "a cancelled incident frees its hosts at triage: %+v", w.signalled)
}

func TestSignalsArrivingAsTheIncidentContinuesAsNewAreCarriedOver(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := socPolicy()
	policy.Response.Policy = "investigate_first"
	// The history is long from the start; the investigation keeps the incident busy
	// while the signals arrive, and it continues as new as soon as it is idle.
	w.env.SetContinueAsNewSuggested(true)
	w.platform.delays["investigate malop-1"] = time.Second
	w.at(200*time.Millisecond, func() {
		w.env.SignalWorkflow(DecisionComment, Decision{By: "bob", Note: "looked at the process tree"})
		w.env.SignalWorkflow(DecisionAcknowledge, Decision{By: "bob"})
	})

	w.env.ExecuteWorkflow(IncidentWorkflowType, input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	var next *workflow.ContinueAsNewError
	require.True(t, w.env.IsWorkflowCompleted())
	require.True(t, errors.As(w.env.GetWorkflowError(), &next), "the incident continued as new: %v", w.env.GetWorkflowError())
	var carried IncidentInput
	require.NoError(t, decodeInput(next, &carried))
	require.NotNil(t, carried.Resume)
	require.True(t, timelineHas(*carried.Resume, "comment", "looked at the process tree"))
	require.NotNil(t, carried.Resume.Acknowledged, "the acknowledgement signal was applied before continuing")
	require.Equal(t, "bob", carried.Resume.Acknowledged.By)
}

func TestWriteBackNamesTheAnalystWhoDecidedAndTheirNote(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testPolicy()
	policy.Response.Policy = "investigate_first"
	w.decide(time.Minute, DecisionVerdict, Decision{By: "hanako", Verdict: VerdictBenignTruePositive, Note: "pentest by the red team"})

	w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Len(t, w.platform.conclusions, 1)
	c := w.platform.conclusions[0]
	require.Equal(t, "hanako", c.By)
	require.Equal(t, "pentest by the red team", c.Note)
	require.Equal(t, VerdictBenignTruePositive, c.Verdict)
}

func TestHostArrivingWhileContainmentRunsIsContainedOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.platform.delays["isolate pc-1"] = 1500 * time.Millisecond
	policy := testPolicy()
	policy.Response.Policy = "isolate_first"
	var during IncidentStatus
	w.at(500*time.Millisecond, func() {
		w.query(QueryStatus, &during)
		w.env.UpdateWorkflow(UpdateDeliverAlert, "", &testUpdate{}, testAlert(integrations.SeverityHigh, "pc-1", "pc-2"))
	})
	var contained IncidentStatus
	w.at(time.Minute, func() { w.query(QueryStatus, &contained) })
	w.decide(2*time.Minute, DecisionVerdict, Decision{By: "x", Verdict: VerdictTruePositive})
	w.decide(3*time.Minute, DecisionClose, Decision{By: "x", Note: "done"})

	w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, StateContaining, during.State, "the new host arrived while pc-1 was being isolated")
	require.Equal(t, []string{"pc-1", "pc-2"}, contained.Containment.Hosts)
	require.Equal(t, StateContained, contained.State)
	isolations := 0
	for _, call := range w.platform.Calls() {
		if call == "isolate pc-1" || call == "isolate pc-2" {
			isolations++
		}
	}
	require.Equal(t, 2, isolations, "each host is isolated once: %v", w.platform.Calls())
}
