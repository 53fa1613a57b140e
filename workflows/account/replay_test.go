package account

import (
	"fmt"
	"testing"

	"xsoc/internal/devstack"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// TestRecordedAccountsStillReplay replays Accounts recorded from the real stack, named
// by the version of account-notice-retry they hold. notice_retry_v0 comes from commit
// 0ae6fe2 (before the notice retry version), run as tests/ runs it with one more lot (3
// tickets bought 2025-12-10, so that a ticket notice goes out): an Account that merged
// purchases, sent the notice, took a consume and a recorded incident. Accounts run for
// years: a change that would break them fails here. Guard it with workflow.GetVersion.
// notice_retry_vN_live_vM files also hold account-live-figures (each figure counted at
// its moment): tests/live_month_test.go's TestRecordLiveAccountHistory records them.
func TestRecordedAccountsStillReplay(t *testing.T) {
	testworld.ReplayRecorded(t, api.AccountWorkflowType, Account, func(v devstack.Versions) string {
		name := fmt.Sprintf("notice_retry_v%d", v[noticeRetryVersion])
		if v[liveFiguresVersion] >= 1 {
			name += fmt.Sprintf("_live_v%d", v[liveFiguresVersion])
		}
		return name
	}, nil)
}
