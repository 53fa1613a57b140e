package testworld

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xsoc/internal/devstack"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// ReplayRecorded replays every history of the package's testdata/histories, recorded
// from the real stack, with the workflow registered under its type name: a change to
// the workflow that would break the runs recorded there fails here (guard it with
// workflow.GetVersion). Each file is named by the versions it holds: its name starts
// with named(its versions). options, when given, says how to replay each history.
func ReplayRecorded(t *testing.T, name string, fn any, named func(devstack.Versions) string,
	options func(*historypb.History) (worker.ReplayWorkflowHistoryOptions, error)) {
	t.Helper()
	files, err := filepath.Glob("testdata/histories/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories in testdata/histories: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			history, err := readHistory(file)
			if err != nil {
				t.Fatal(err)
			}
			versions, err := devstack.HistoryVersions(history)
			if err != nil {
				t.Fatal(err)
			}
			if prefix := named(versions); !strings.HasPrefix(filepath.Base(file), prefix) {
				t.Errorf("%s holds %v: its name should start with %q", file, versions, prefix)
			}
			var opts worker.ReplayWorkflowHistoryOptions
			if options != nil {
				if opts, err = options(history); err != nil {
					t.Fatal(err)
				}
			}
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: name})
			if err := replayer.ReplayWorkflowHistoryWithOptions(nil, history, opts); err != nil {
				t.Fatalf("%s no longer replays: %v", file, err)
			}
		})
	}
}

func readHistory(file string) (*historypb.History, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only
	return client.HistoryFromJSON(f, client.HistoryJSONOptions{})
}
