package incident

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// Intake compares a delivery after close with the memo's fingerprint: the running
// incident keeps it on the last version of the alert it took, once per new version.
func TestIncidentKeepsTheMemoOnTheLastVersionItTook(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	memos := w.MemoUpserts()
	first := testAlert(integrations.SeverityHigh, "pc-1")
	later := testAlert(integrations.SeverityCritical, "pc-1", "pc-2")
	w.At(time.Minute, func() { w.Env.SignalWorkflow(api.SignalDeliverAlert, first) })
	w.At(2*time.Minute, func() { w.Env.UpdateWorkflow(api.UpdateDeliverAlert, "", &testworld.TestUpdate{}, later) })
	w.At(3*time.Minute, func() { w.Env.SignalWorkflow(api.SignalDeliverAlert, later) })
	w.Decide(4*time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "test"})
	policy := testworld.Policy()
	policy.Response.Policy = "investigate_first"

	status := w.Run(input(policy, first))

	require.Equal(t, 4, status.Deliveries)
	require.Equal(t, []map[string]any{{api.MemoFingerprint: api.Fingerprint(later)}}, memos(), "one upsert, for the one later version")
	require.Equal(t, api.Fingerprint(later), status.Fingerprint)
}

// A version that reaches the incident once it has concluded is recorded, not worked:
// the memo stays on the version the incident worked, so that the vendor's next
// delivery of it (a poll, a retry) opens the new run it calls for.
func TestConcludedIncidentLeavesTheMemoOnTheVersionItWorked(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	memos := w.MemoUpserts()
	w.Triage = func(api.Admission) api.TriageAnswer {
		return api.TriageAnswer{Decision: api.TriageSuppressed, Rule: suppressingRule(), Why: "rule R-7 matched: nightly IT inventory script"}
	}
	w.Platform.Delays["writeback malop-1 false_positive"] = 1500 * time.Millisecond
	w.At(500*time.Millisecond, func() {
		w.Env.SignalWorkflow(api.SignalDeliverAlert, testAlert(integrations.SeverityCritical, "osk-pc-1"))
	})

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "osk-pc-1")))

	require.Equal(t, 2, status.Deliveries)
	require.Empty(t, memos())
	require.Empty(t, status.Fingerprint)
}
