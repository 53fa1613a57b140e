package incident

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

// TestRecordedIncidentsStillReplay replays histories recorded from the real stack
// (tests/histories_test.go, tests/soc/histories_test.go and
// tests/soc/histories_redelivery_test.go record them). vN_ files hold version N of
// incident-round-2 (1: the event queue and triage by Signal; 2: triage by Update; 3:
// the Account told by a local activity; 4: round 3's lifecycle; 5: merged alerts handed
// over by triage, campaigns taking them in batches); vN_moments_ files also hold
// incident-account-moments (the Account told each moment as it happens). A change to the
// Incident workflow that would break incidents already running fails here: guard it
// with workflow.GetVersion.
func TestRecordedIncidentsStillReplay(t *testing.T) {
	testworld.ReplayRecorded(t, api.IncidentWorkflowType, Incident, func(v devstack.Versions) string {
		if v[accountMomentsChange] >= int(accountMomentsVersion) {
			return fmt.Sprintf("v%d_moments_", v[incidentVersionChange])
		}
		return fmt.Sprintf("v%d_", v[incidentVersionChange])
	}, asRecorded)
}

// asRecorded replays an incident's history under its own workflow id, which the
// history does not hold but its input names: the incident's keys (pages a decision
// answers) are built from it, so a replay under the replayer's made-up id would take
// other paths.
func asRecorded(history *historypb.History) (worker.ReplayWorkflowHistoryOptions, error) {
	started := history.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	var in api.IncidentInput
	// The recorded payloads are plain JSON (the recorder decrypts them).
	if err := converter.GetDefaultDataConverter().FromPayloads(started.GetInput(), &in); err != nil {
		return worker.ReplayWorkflowHistoryOptions{}, err
	}
	return worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: api.IncidentWorkflowID(in.Customer, in.Vendor, in.Alert.ID), RunID: started.GetOriginalExecutionRunId()},
	}, nil
}
