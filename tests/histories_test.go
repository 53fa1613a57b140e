package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	cybereasonsim "xsoc/integrations/cybereason/sim"
	"xsoc/internal/devstack"
	"xsoc/workflows/api"
)

// TestRecordHistories records the histories of the incident's main paths without a
// SOC (investigation, containment and release, a breach escalated and paid with
// tickets) as the incident's latest version runs them, for the replay test that guards
// running incidents against breaking changes. XSOC_RECORD_HISTORIES names the
// repository's workflows/ directory; each history goes to
// incident/testdata/histories, named vN_<path> by the version N of incident-round-2 it
// holds (an earlier version's files stay). Run it again after a deliberate, versioned
// change to the workflow:
//
//	XSOC_RECORD_HISTORIES=$PWD/workflows go test -run TestRecordHistories ./tests
func TestRecordHistories(t *testing.T) {
	dir := os.Getenv("XSOC_RECORD_HISTORIES")
	if dir == "" {
		t.Skip("set XSOC_RECORD_HISTORIES to record incident histories for the replay test")
	}
	stamp := time.Now().UnixNano()
	paths := map[string]func() string{
		"investigate_first_true_positive": func() string {
			id := postGeneric(t, "acme", fmt.Sprintf("hist-inv-%d", stamp), "high", "fs-hist01")
			waitState(t, id, api.StateInvestigating)
			mustDecide(t, id, api.DecisionAcknowledge, map[string]any{"by": "hanako"})
			mustDecide(t, id, api.DecisionComment, map[string]any{"by": "hanako", "note": "process tree reviewed"})
			mustDecide(t, id, api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": "true_positive"})
			mustDecide(t, id, api.DecisionClose, map[string]any{"by": "hanako", "note": "reimaged"})
			return id
		},
		"isolate_first_false_positive": func() string {
			guid, err := xsoc.Cybereason.AddMalop(cybereasonsim.Malop{Name: "Suspicious script", Severity: "High",
				Machines: []cybereasonsim.Machine{{Name: fmt.Sprintf("pc-hist-%d", stamp%1000)}}})
			if err != nil {
				t.Fatal(err)
			}
			id := api.IncidentWorkflowID("acme", "cybereason", guid)
			eventually(t, 30*time.Second, "polled MalOp contained", func() error {
				if status, err := queryStatus(id); err != nil || status.State != api.StateContained {
					return fmt.Errorf("not contained yet: %v", err)
				}
				return nil
			})
			mustDecide(t, id, api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": "false_positive"})
			return id
		},
		"breach_escalate_tickets_suppressed": func() string {
			id := postGeneric(t, "acme", fmt.Sprintf("hist-breach-%d", stamp), "low", "pc-hist-late")
			eventually(t, 20*time.Second, "breach", func() error {
				if status, err := queryStatus(id); err != nil || status.Clocks[0].State != api.SLABreached {
					return fmt.Errorf("not breached yet")
				}
				return nil
			})
			_, _ = decide(t, id, api.DecisionRelease, map[string]any{"by": "bob"})
			mustDecide(t, id, api.DecisionEscalate, map[string]any{"by": "bob", "severity": "high"})
			mustDecide(t, id, api.DecisionUseTickets, map[string]any{"by": "bob", "service": "malware_analysis", "tickets": 1})
			mustDecide(t, id, api.DecisionClose, map[string]any{"by": "bob", "note": "duplicate"})
			return id
		},
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, run := range paths {
		id := run()
		waitClosed(t, id)
		file, err := xsoc.RecordHistory(filepath.Join(dir, "incident", "testdata", "histories"), id, func(v devstack.Versions) string {
			return fmt.Sprintf("v%d_%s", v["incident-round-2"], name)
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s", file)
	}
}

func queryStatus(id string) (api.IncidentStatus, error) {
	var status api.IncidentStatus
	value, err := xsoc.Temporal.QueryWorkflow(context.Background(), id, "", api.QueryStatus)
	if err == nil {
		err = value.Get(&status)
	}
	return status, err
}
