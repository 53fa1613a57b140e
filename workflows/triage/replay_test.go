package triage

import (
	"testing"

	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// TestRecordedTriagesStillReplay replays a customer's Triage mid-run, recorded from the
// real stack by tests/soc's TestRecordHistories (a rule added, alerts suppressed and
// merged). Triage runs for as long as its customer: a change that would break it fails
// here. Guard it with workflow.GetVersion.
func TestRecordedTriagesStillReplay(t *testing.T) {
	testworld.ReplayRecorded(t, api.TriageWorkflowType, Triage, nil)
}
