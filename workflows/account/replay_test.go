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
func TestRecordedAccountsStillReplay(t *testing.T) {
	testworld.ReplayRecorded(t, api.AccountWorkflowType, Account, func(v devstack.Versions) string {
		return fmt.Sprintf("notice_retry_v%d", v[noticeRetryVersion])
	}, nil)
}
