package incident

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

func TestCancelledIncidentEndsCleanlyAndTellsTheSOCWhatStaysContained(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.At(5*time.Minute, func() { w.Env.CancelWorkflow() })

	w.Env.ExecuteWorkflow(api.IncidentWorkflowType, input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.True(t, w.Env.IsWorkflowCompleted())
	err := w.Env.GetWorkflowError()
	var canceled *temporal.CanceledError
	require.True(t, errors.As(err, &canceled), "the incident ends as cancelled, not failed: %v", err)
	require.Equal(t, []string{"isolate pc-1", "investigate malop-1"}, w.Platform.Calls(), "nothing is released")
	var notices []string
	for _, m := range w.Outbox.All("slack") {
		if m.To == "#soc-triage" && m.Key != "" {
			notices = append(notices, m.Key)
		}
	}
	require.Len(t, notices, 2, "the triage page, then the notice that pc-1 stays isolated")
	var status api.IncidentStatus
	w.Query(api.QueryStatus, &status)
	require.True(t, timelineHas(status, "cancelled", "still contained: pc-1"), "the timeline says what stays contained: %+v", status.Timeline)
	left := slices.ContainsFunc(w.Signalled, func(s testworld.ExternalSignal) bool {
		return s.Name == api.SignalIncidentClosed && s.WorkflowID == api.TriageWorkflowID("acme")
	})
	require.True(t, left, "a cancelled incident frees its hosts at triage: %+v", w.Signalled)
}

func TestSignalsArrivingAsTheIncidentContinuesAsNewAreCarriedOver(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testworld.SOCPolicy()
	policy.Response.Policy = "investigate_first"
	// The history is long from the start; the investigation keeps the incident busy
	// while the signals arrive, and it continues as new as soon as it is idle.
	w.Env.SetContinueAsNewSuggested(true)
	w.Platform.Delays["investigate malop-1"] = time.Second
	w.At(200*time.Millisecond, func() {
		w.Env.SignalWorkflow(api.DecisionComment, api.Decision{By: "bob", Note: "looked at the process tree"})
		w.Env.SignalWorkflow(api.DecisionAcknowledge, api.Decision{By: "bob"})
	})

	w.Env.ExecuteWorkflow(api.IncidentWorkflowType, input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	var next *workflow.ContinueAsNewError
	require.True(t, w.Env.IsWorkflowCompleted())
	require.True(t, errors.As(w.Env.GetWorkflowError(), &next), "the incident continued as new: %v", w.Env.GetWorkflowError())
	var carried api.IncidentInput
	require.NoError(t, testworld.DecodeInput(next, &carried))
	require.NotNil(t, carried.Resume)
	require.True(t, timelineHas(*carried.Resume, "comment", "looked at the process tree"))
	require.NotNil(t, carried.Resume.Acknowledged, "the acknowledgement signal was applied before continuing")
	require.Equal(t, "bob", carried.Resume.Acknowledged.By)
}

func TestWriteBackNamesTheAnalystWhoDecidedAndTheirNote(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testworld.Policy()
	policy.Response.Policy = "investigate_first"
	w.Decide(time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictBenignTruePositive, Note: "pentest by the red team"})

	w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Len(t, w.Platform.Conclusions, 1)
	c := w.Platform.Conclusions[0]
	require.Equal(t, "hanako", c.By)
	require.Equal(t, "pentest by the red team", c.Note)
	require.Equal(t, api.VerdictBenignTruePositive, c.Verdict)
}

func TestHostArrivingWhileContainmentRunsIsContainedOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Platform.Delays["isolate pc-1"] = 1500 * time.Millisecond
	policy := testworld.Policy()
	policy.Response.Policy = "isolate_first"
	var during api.IncidentStatus
	w.At(500*time.Millisecond, func() {
		w.Query(api.QueryStatus, &during)
		w.Env.UpdateWorkflow(api.UpdateDeliverAlert, "", &testworld.TestUpdate{}, testAlert(integrations.SeverityHigh, "pc-1", "pc-2"))
	})
	var contained api.IncidentStatus
	w.At(time.Minute, func() { w.Query(api.QueryStatus, &contained) })
	w.Decide(2*time.Minute, api.DecisionVerdict, api.Decision{By: "x", Verdict: api.VerdictTruePositive})
	w.Decide(3*time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "done"})

	w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, api.StateContaining, during.State, "the new host arrived while pc-1 was being isolated")
	require.Equal(t, []string{"pc-1", "pc-2"}, contained.Containment.Hosts)
	require.Equal(t, api.StateContained, contained.State)
	isolations := 0
	for _, call := range w.Platform.Calls() {
		if call == "isolate pc-1" || call == "isolate pc-2" {
			isolations++
		}
	}
	require.Equal(t, 2, isolations, "each host is isolated once: %v", w.Platform.Calls())
}
