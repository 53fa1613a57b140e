package workflows

import (
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestRecordedIncidentsStillReplay replays histories recorded from the real stack
// (tests/histories_test.go and tests/soc/histories_test.go record them). A change to
// the Incident workflow that would break incidents already running fails here: guard
// it with workflow.GetVersion.
func TestRecordedIncidentsStillReplay(t *testing.T) {
	files, err := filepath.Glob("testdata/histories/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories in testdata/histories: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflowWithOptions(Incident, workflow.RegisterOptions{Name: IncidentWorkflowType})
			if err := replayAsRecorded(replayer, file); err != nil {
				t.Fatalf("%s no longer replays: %v", file, err)
			}
		})
	}
}

// replayAsRecorded replays an incident's history under its own workflow id, which the
// history does not hold but its input names: the incident's keys (pages a decision
// answers) are built from it, so a replay under the replayer's made-up id would take
// other paths.
func replayAsRecorded(replayer worker.WorkflowReplayer, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	history, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return err
	}
	started := history.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	var in IncidentInput
	// The recorded payloads are plain JSON (the recorder decrypts them).
	if err := converter.GetDefaultDataConverter().FromPayloads(started.GetInput(), &in); err != nil {
		return err
	}
	return replayer.ReplayWorkflowHistoryWithOptions(nil, history, worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: IncidentWorkflowID(in.Customer, in.Vendor, in.Alert.ID), RunID: started.GetOriginalExecutionRunId()},
	})
}
