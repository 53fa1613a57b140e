package workflows

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestRecordedAccountsAndPollersStillReplay replays histories of the long-running
// workflows recorded from the real stack before a change to them. The triage_v1 and
// tuning_v1 files are a customer's Triage and Tuning mid-run, recorded by
// tests/soc's TestRecordHistories (a rule added, alerts suppressed and merged). The *_v0 files
// come from commit 0ae6fe2 (before the poller outage and notice retry versions), run
// as tests/ runs it with one more lot (3 tickets bought 2025-12-10, so that a ticket
// notice goes out): an Account that merged purchases, sent the notice, took a
// consume and a recorded incident; a Poller mid-run. poller_v1 is a Cybereason Poller
// as it ran before first fetch (commit after 96affa7: the outage version; a MalOp
// delivered, an outage told to the SOC and its end), recorded by tests/firstfetch's
// TestRecordPollerHistory; poller_v2 is the same with first fetch (the seeded backlog
// fetched from a day back and the SOC told). Accounts and pollers run for years: a change that would
// break them fails here. Guard it with workflow.GetVersion.
func TestRecordedAccountsAndPollersStillReplay(t *testing.T) {
	files, err := filepath.Glob("testdata/long-running/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories in testdata/long-running: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflowWithOptions(Account, workflow.RegisterOptions{Name: AccountWorkflowType})
			replayer.RegisterWorkflowWithOptions(Poller, workflow.RegisterOptions{Name: PollerWorkflowType})
			replayer.RegisterWorkflowWithOptions(Triage, workflow.RegisterOptions{Name: TriageWorkflowType})
			replayer.RegisterWorkflowWithOptions(Tuning, workflow.RegisterOptions{Name: TuningWorkflowType})
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, file); err != nil {
				t.Fatalf("%s no longer replays: %v", file, err)
			}
		})
	}
}
