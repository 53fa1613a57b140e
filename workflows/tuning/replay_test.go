package tuning

import (
	"fmt"
	"testing"

	"xsoc/internal/devstack"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// TestRecordedTuningsStillReplay replays a customer's Tuning mid-run, recorded from the
// real stack by tests/soc's TestRecordHistories (a rule added, its hits counted). vN_
// files hold version N of tuning-round-3 (0: before round 3); the rest of the name says
// which incident version the stack ran beside it. Tuning runs for as long as its
// customer: a change that would break it fails here. Guard it with workflow.GetVersion.
func TestRecordedTuningsStillReplay(t *testing.T) {
	testworld.ReplayRecorded(t, api.TuningWorkflowType, Tuning, func(v devstack.Versions) string {
		return fmt.Sprintf("v%d_", v[tuningVersionChange])
	}, nil)
}
