package poller

import (
	"fmt"
	"testing"

	"xsoc/internal/devstack"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// TestRecordedPollersStillReplay replays Pollers recorded from the real stack, named by
// the versions of poller-outage and poller-first-fetch they hold. outage_v0 comes from
// commit 0ae6fe2 (before the outage version): a Poller mid-run. outage_v1_first_fetch_v0
// is a Cybereason Poller as it ran before first fetch (commit after 96affa7; a MalOp
// delivered, an outage told to the SOC and its end), recorded by tests/firstfetch's
// TestRecordPollerHistory; outage_v1_first_fetch_v1 is the same with first fetch (the
// seeded backlog fetched from a day back and the SOC told). Pollers run for years: a
// change that would break them fails here. Guard it with workflow.GetVersion.
func TestRecordedPollersStillReplay(t *testing.T) {
	testworld.ReplayRecorded(t, api.PollerWorkflowType, Poller, func(v devstack.Versions) string {
		if v[pollerOutageVersion] == 0 {
			return "outage_v0" // it never reached the first fetch's version check
		}
		return fmt.Sprintf("outage_v%d_first_fetch_v%d", v[pollerOutageVersion], v[pollerFirstFetchVersion])
	}, nil)
}
