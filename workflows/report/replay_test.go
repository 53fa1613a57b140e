package report

import (
	"testing"

	"xsoc/internal/devstack"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// TestRecordedReportsStillReplay replays monthly reports recorded from the real stack by
// tests/histories_test.go's TestRecordRequestAndReportHistories (acme's schedule
// triggered: the report read from the Account and mailed). A report auto-upgrades to a
// new build mid-run: a change to its commands must be guarded with workflow.GetVersion,
// and the files named by the versions they hold (v0_: none yet).
func TestRecordedReportsStillReplay(t *testing.T) {
	testworld.ReplayRecorded(t, api.MonthlyReportWorkflowType, SendMonthlyReport, func(v devstack.Versions) string {
		if len(v) == 0 {
			return "v0_"
		}
		return "(a version marker the test does not know)"
	}, nil)
}
