package incident

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// Intake hands re-deliveries over by Signal: the incident applies them as it applies
// the Update (new hosts contained, a higher Severity escalates, nothing twice).
func TestRedeliveryBySignalAddsHostsAndRaisesSeverityWithoutDuplicating(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.At(time.Minute, func() {
		w.Env.SignalWorkflow(api.SignalDeliverAlert, testAlert(integrations.SeverityCritical, "pc-1", "pc-2"))
	})
	other := testAlert(integrations.SeverityEmergency, "pc-9")
	other.ID = "malop-2"
	w.At(2*time.Minute, func() { w.Env.SignalWorkflow(api.SignalDeliverAlert, other) })
	w.Decide(3*time.Minute, api.DecisionVerdict, api.Decision{By: "x", Verdict: api.VerdictFalsePositive})
	policy := testworld.Policy()
	policy.Response.Policy = "isolate_first"

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, 2, status.Deliveries, "the other alert's delivery is not this incident's")
	require.Equal(t, integrations.SeverityCritical, status.Severity)
	require.Equal(t, []string{"isolate pc-1", "investigate malop-1", "isolate pc-2", "release pc-1", "release pc-2", "writeback malop-1 false_positive"}, w.Platform.Calls())
	require.True(t, timelineHas(status, "hosts_added", "pc-2"))
	require.True(t, timelineHas(status, "rejected", "alert malop-2 does not belong to this incident of alert malop-1"))
}

// A suppressed incident closes in its first workflow task; a re-delivery the server
// accepted as it closed is still the incident's: it is recorded, not lost, and does
// not re-open it.
func TestRedeliveryHandedOverAsTheIncidentClosesIsRecorded(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Triage = func(api.Admission) api.TriageAnswer {
		return api.TriageAnswer{Decision: api.TriageSuppressed, Rule: suppressingRule(), Why: "rule R-7 matched: nightly IT inventory script"}
	}
	// The vendor is slow to take the verdict: the incident is closed, not yet over.
	w.Platform.Delays["writeback malop-1 false_positive"] = 1500 * time.Millisecond
	w.At(500*time.Millisecond, func() {
		w.Env.SignalWorkflow(api.SignalDeliverAlert, testAlert(integrations.SeverityHigh, "osk-pc-1", "osk-pc-2"))
	})

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "osk-pc-1")))

	require.Equal(t, api.StateSuppressed, status.State)
	require.Equal(t, 2, status.Deliveries)
	require.True(t, timelineHas(status, "redelivery", "after close: recorded, not reopened"))
	require.Empty(t, status.Paged)
}
