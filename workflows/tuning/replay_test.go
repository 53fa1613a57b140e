package tuning

import (
	"testing"

	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// TestRecordedTuningsStillReplay replays a customer's Tuning mid-run, recorded from the
// real stack by tests/soc's TestRecordHistories (a rule added, its hits counted).
// Tuning runs for as long as its customer: a change that would break it fails here.
// Guard it with workflow.GetVersion.
func TestRecordedTuningsStillReplay(t *testing.T) {
	testworld.ReplayRecorded(t, api.TuningWorkflowType, Tuning, nil)
}
