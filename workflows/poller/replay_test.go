package poller

import (
	"testing"

	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// TestRecordedPollersStillReplay replays Pollers recorded from the real stack.
// poller_v0 comes from commit 0ae6fe2 (before the poller outage version): a Poller
// mid-run. poller_v1 is a Cybereason Poller as it ran before first fetch (commit after
// 96affa7: the outage version; a MalOp delivered, an outage told to the SOC and its
// end), recorded by tests/firstfetch's TestRecordPollerHistory; poller_v2 is the same
// with first fetch (the seeded backlog fetched from a day back and the SOC told).
// Pollers run for years: a change that would break them fails here. Guard it with
// workflow.GetVersion.
func TestRecordedPollersStillReplay(t *testing.T) {
	testworld.ReplayRecorded(t, api.PollerWorkflowType, Poller, nil)
}
