package workflows

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestRecordedIncidentsStillReplay replays histories recorded from the real stack
// (tests/histories_test.go records them). A change to the Incident workflow that
// would break incidents already running fails here: guard it with workflow.GetVersion.
func TestRecordedIncidentsStillReplay(t *testing.T) {
	files, err := filepath.Glob("testdata/histories/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories in testdata/histories: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflowWithOptions(Incident, workflow.RegisterOptions{Name: IncidentWorkflowType})
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, file); err != nil {
				t.Fatalf("%s no longer replays: %v", file, err)
			}
		})
	}
}
