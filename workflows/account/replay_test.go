package account

import (
	"testing"

	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// TestRecordedAccountsStillReplay replays Accounts recorded from the real stack. The
// v0 file comes from commit 0ae6fe2 (before the notice retry version), run as tests/
// runs it with one more lot (3 tickets bought 2025-12-10, so that a ticket notice goes
// out): an Account that merged purchases, sent the notice, took a consume and a
// recorded incident. Accounts run for years: a change that would break them fails
// here. Guard it with workflow.GetVersion.
func TestRecordedAccountsStillReplay(t *testing.T) {
	testworld.ReplayRecorded(t, api.AccountWorkflowType, Account, nil)
}
