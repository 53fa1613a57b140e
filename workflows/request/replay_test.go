package request

import (
	"fmt"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"xsoc/internal/devstack"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// TestRecordedRequestsStillReplay replays requests recorded from the real stack by
// tests/histories_test.go's TestRecordRequestAndReportHistories (an urgent isolate,
// accepted and done). A request is pinned to its build, but an operator may move one
// to a newer build when its own is gone: a change to its commands must be guarded with
// workflow.GetVersion, and the files named by the versions they hold (v0_: none;
// authors_vN_: version N of request-proven-authors, decisions taken as Signals, recorded
// by tests/histories_identity_test.go).
func TestRecordedRequestsStillReplay(t *testing.T) {
	testworld.ReplayRecorded(t, api.RequestWorkflowType, Request, func(v devstack.Versions) string {
		switch {
		case len(v) == 0:
			return "v0_"
		case len(v) == 1 && v[provenAuthorsChange] > 0:
			return fmt.Sprintf("authors_v%d_", v[provenAuthorsChange])
		}
		return "(a version marker the test does not know)"
	}, asRecorded)
}

// asRecorded replays a request under its own workflow id, which the history does not
// hold but its input names: the request's notification keys are built from it.
func asRecorded(history *historypb.History) (worker.ReplayWorkflowHistoryOptions, error) {
	started := history.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	var in api.RequestInput
	// The recorded payloads are plain JSON (the recorder decrypts them).
	if err := converter.GetDefaultDataConverter().FromPayloads(started.GetInput(), &in); err != nil {
		return worker.ReplayWorkflowHistoryOptions{}, err
	}
	return worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: api.RequestWorkflowID(in.Customer, in.Request.ID), RunID: started.GetOriginalExecutionRunId()},
	}, nil
}
