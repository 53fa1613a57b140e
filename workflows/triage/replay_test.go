package triage

import (
	"fmt"
	"testing"

	"xsoc/internal/devstack"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// TestRecordedTriagesStillReplay replays a customer's Triage mid-run, recorded from the
// real stack by tests/soc's TestRecordHistories (a rule added, alerts suppressed and
// merged). vN_ files hold version N of triage-round-3 (0: before round 3); the rest of
// the name says which incident version asked it (1 by Signal, 2 and later by Update).
// Triage runs for as long as its customer: a change that would break it fails here.
// Guard it with workflow.GetVersion.
func TestRecordedTriagesStillReplay(t *testing.T) {
	testworld.ReplayRecorded(t, api.TriageWorkflowType, Triage, func(v devstack.Versions) string {
		return fmt.Sprintf("v%d_", v[triageVersionChange])
	}, nil)
}
