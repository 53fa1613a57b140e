package workflows

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"xsoc/integrations"
)

// memoUpserts records the memos an incident under test upserts.
func (w *world) memoUpserts() func() []map[string]any {
	var mu sync.Mutex
	var memos []map[string]any
	w.env.OnUpsertMemo(mock.Anything).Run(func(args mock.Arguments) {
		mu.Lock()
		defer mu.Unlock()
		memos = append(memos, args.Get(0).(map[string]any))
	}).Return().Maybe()
	return func() []map[string]any {
		mu.Lock()
		defer mu.Unlock()
		return memos
	}
}

// Intake compares a delivery after close with the memo's fingerprint: the running
// incident keeps it on the last version of the alert it took, once per new version.
func TestIncidentKeepsTheMemoOnTheLastVersionItTook(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	memos := w.memoUpserts()
	first := testAlert(integrations.SeverityHigh, "pc-1")
	later := testAlert(integrations.SeverityCritical, "pc-1", "pc-2")
	w.at(time.Minute, func() { w.env.SignalWorkflow(SignalDeliverAlert, first) })
	w.at(2*time.Minute, func() { w.env.UpdateWorkflow(UpdateDeliverAlert, "", &testUpdate{}, later) })
	w.at(3*time.Minute, func() { w.env.SignalWorkflow(SignalDeliverAlert, later) })
	w.decide(4*time.Minute, DecisionClose, Decision{By: "x", Note: "test"})
	policy := testPolicy()
	policy.Response.Policy = "investigate_first"

	status := w.run(input(policy, first))

	require.Equal(t, 4, status.Deliveries)
	require.Equal(t, []map[string]any{{memoFingerprint: Fingerprint(later)}}, memos(), "one upsert, for the one later version")
	require.Equal(t, Fingerprint(later), status.Fingerprint)
}

// A version that reaches the incident once it has concluded is recorded, not worked:
// the memo stays on the version the incident worked, so that the vendor's next
// delivery of it (a poll, a retry) opens the new run it calls for.
func TestConcludedIncidentLeavesTheMemoOnTheVersionItWorked(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	memos := w.memoUpserts()
	w.triage = func(Admission) TriageAnswer {
		return TriageAnswer{Decision: TriageSuppressed, Rule: suppressingRule(), Why: "rule R-7 matched: nightly IT inventory script"}
	}
	w.platform.delays["writeback malop-1 false_positive"] = 1500 * time.Millisecond
	w.at(500*time.Millisecond, func() {
		w.env.SignalWorkflow(SignalDeliverAlert, testAlert(integrations.SeverityCritical, "osk-pc-1"))
	})

	status := w.run(input(socPolicy(), testAlert(integrations.SeverityHigh, "osk-pc-1")))

	require.Equal(t, 2, status.Deliveries)
	require.Empty(t, memos())
	require.Empty(t, status.Fingerprint)
}
