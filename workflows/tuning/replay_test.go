package tuning

import (
	"fmt"
	"testing"

	"xsoc/internal/devstack"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// TestRecordedTuningsStillReplay replays a customer's Tuning mid-run, recorded from the
// real stack by tests/soc's TestRecordHistories (a rule added, its hits counted) and
// TestRecordIdentityHistories (a rule added pending, approved, retired). vN_ files hold
// version N of tuning-round-3 (0: before round 3); vN_approvals_vM_ files also version M
// of tuning-approvals (add_rule leaves the rule pending); the rest of the name says
// what the recorder did. Tuning runs for as long as its customer: a change that would
// break it fails here. Guard it with workflow.GetVersion.
func TestRecordedTuningsStillReplay(t *testing.T) {
	testworld.ReplayRecorded(t, api.TuningWorkflowType, Tuning, func(v devstack.Versions) string {
		if v[approvalsChange] > 0 {
			return fmt.Sprintf("v%d_approvals_v%d_", v[tuningVersionChange], v[approvalsChange])
		}
		return fmt.Sprintf("v%d_beside_", v[tuningVersionChange])
	}, nil)
}
