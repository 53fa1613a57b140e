package incident

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// toldBy answers, from the records told so far, when the Account first heard of each
// moment (by key), and the record that concluded the incident.
func toldBy(w *testworld.World) (map[string]api.Moment, *api.Conclusion) {
	w.Mu.Lock()
	defer w.Mu.Unlock()
	first := map[string]api.Moment{}
	var concluded *api.Conclusion
	for _, record := range w.Told {
		for _, m := range record.Moments {
			if _, ok := first[m.Key()]; !ok {
				first[m.Key()] = m
			}
		}
		if record.Concluded != nil {
			concluded = record.Concluded
		}
	}
	return first, concluded
}

func TestIncidentTellsItsAccountEachMomentWhileItIsOpen(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	opened := w.Start
	var afterTriage, afterBreach, afterAck map[string]api.Moment
	var concludedWhileOpen *api.Conclusion
	w.At(time.Minute, func() { afterTriage, _ = toldBy(w) })
	w.At(31*time.Minute, func() { afterBreach, concludedWhileOpen = toldBy(w) })
	w.Decide(40*time.Minute, api.DecisionAcknowledge, api.Decision{By: "hanako"})
	w.At(41*time.Minute, func() { afterAck, _ = toldBy(w) })
	w.Decide(5*time.Hour, api.DecisionClose, api.Decision{By: "hanako", Note: "duplicate of incident 7"})
	policy := testworld.Policy()
	policy.Response.Policy = "investigate_first"

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Contains(t, afterTriage, api.MomentIn, "the alert is in once triage answered, long before the incident concludes")
	require.Equal(t, api.OutcomeHandled, afterTriage[api.MomentTriaged].Outcome)
	require.Equal(t, "high", afterTriage[api.MomentIn].Severity)
	require.NotContains(t, afterTriage, api.MomentAck)

	breach, ok := afterBreach[api.MomentClock+"/"+api.ClockAck]
	require.True(t, ok, "the ack clock's breach is told when it breaches: %v", afterBreach)
	require.Equal(t, api.SLABreached, breach.State)
	require.Equal(t, opened.Add(30*time.Minute), breach.At, "told at the moment the 30m clock ran out")
	require.Nil(t, concludedWhileOpen)

	ack := afterAck[api.MomentAck]
	require.Equal(t, opened.Add(40*time.Minute), ack.At)
	require.Equal(t, opened, ack.Since, "MTTA runs from the opening")

	final, concluded := toldBy(w)
	require.NotNil(t, concluded)
	require.Equal(t, status.ClosedAt, concluded.At)
	require.Equal(t, status.State, concluded.State)
	require.Contains(t, final, api.MomentClock+"/"+api.ClockVerdict)
	w.Mu.Lock()
	defer w.Mu.Unlock()
	for _, record := range w.Told {
		require.Equal(t, status.WorkflowID, record.Incident)
		require.Equal(t, w.Told[0].Run, record.Run, "the Account counts each moment once per incident run")
	}
	require.LessOrEqual(t, len(w.Told), 6, "told when something new happened, not at every event")
}

func TestSuppressedIncidentTellsItsAccountOnceWithHowTriageAnswered(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Triage = func(api.Admission) api.TriageAnswer {
		return api.TriageAnswer{Decision: api.TriageSuppressed, Rule: suppressingRule(), Why: "known scanner"}
	}

	w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	w.Mu.Lock()
	require.Len(t, w.Told, 1, "a suppressed alert ends in one record")
	w.Mu.Unlock()
	told, concluded := toldBy(w)
	require.Equal(t, api.OutcomeSuppressed, told[api.MomentTriaged].Outcome)
	require.Equal(t, suppressingRule().ID, told[api.MomentTriaged].Rule)
	require.NotNil(t, concluded)
	require.False(t, concluded.Billable)
}

func TestIncidentGoesOnWhenItsAccountCannotBeToldAndTellsItLater(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.TellFails = errors.New("the server is unavailable")
	w.At(10*time.Minute, func() { w.Mu.Lock(); w.TellFails = nil; w.Mu.Unlock() })
	ack := w.Decide(5*time.Minute, api.DecisionAcknowledge, api.Decision{By: "hanako"})
	var afterRecovery map[string]api.Moment
	w.Decide(20*time.Minute, api.DecisionComment, api.Decision{By: "hanako", Note: "looking"})
	w.At(21*time.Minute, func() { afterRecovery, _ = toldBy(w) })
	w.Decide(time.Hour, api.DecisionClose, api.Decision{By: "hanako", Note: "done"})
	policy := testworld.Policy()
	policy.Response.Policy = "investigate_first"

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.NoError(t, ack.Refusal(), "decisions are taken while the Account is unreachable")
	require.Equal(t, "hanako", status.Acknowledged.By)
	require.Contains(t, afterRecovery, api.MomentIn, "what could not be told is told with the next event")
	require.Contains(t, afterRecovery, api.MomentAck)
	failures := 0
	for _, e := range status.Timeline {
		if e.Kind == "report_failed" {
			failures++
		}
	}
	require.Equal(t, 1, failures, "the timeline says it once")
}
