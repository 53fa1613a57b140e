package tests

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	cybereasonsim "xsoc/integrations/cybereason/sim"
	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
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
			return e2e.IncidentHistoryName(v, name)
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

// TestRecordRequestAndReportHistories records a customer request (an urgent isolate,
// accepted and done) and a monthly report (acme's schedule triggered), for the replay
// tests of workflows/request and workflows/report. Neither workflow has a version
// marker yet: their files are v0_<path>. Run it again after a deliberate, versioned
// change to either:
//
//	XSOC_RECORD_HISTORIES=$PWD/workflows go test -run TestRecordRequestAndReportHistories ./tests
func TestRecordRequestAndReportHistories(t *testing.T) {
	dir := os.Getenv("XSOC_RECORD_HISTORIES")
	if dir == "" {
		t.Skip("set XSOC_RECORD_HISTORIES to record histories for the replay tests")
	}
	request := postIsolateRequest(t, fmt.Sprintf("hist-%d", time.Now().UnixNano()%1_000_000))
	// The Update waits for the request to have checked the host and paged the SOC.
	if err := decideRequest(request, api.DecisionAccept, map[string]any{"by": "hanako", "note": "isolating"}); err != nil {
		t.Fatalf("accept: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := xsoc.Temporal.GetWorkflow(ctx, request, "").Get(ctx, nil); err != nil {
		t.Fatalf("the request did not end: %v", err)
	}
	recordHistory(t, filepath.Join(dir, "request"), request, "v0_isolate_accepted_done")

	schedule := xsoc.Temporal.ScheduleClient().GetHandle(ctx, api.ReportScheduleID("acme"))
	triggered := time.Now()
	if err := schedule.Trigger(ctx, client.ScheduleTriggerOptions{Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL}); err != nil {
		t.Fatalf("triggering the report: %v", err)
	}
	var report string
	eventually(t, time.Minute, "the monthly report sent", func() error {
		page, err := xsoc.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf(
			`WorkflowType=%q AND XsocCustomer="acme" AND ExecutionStatus="Completed" AND StartTime >= %q`,
			api.MonthlyReportWorkflowType, triggered.Add(-time.Second).UTC().Format(time.RFC3339))})
		if err != nil {
			return err
		}
		if len(page.GetExecutions()) == 0 {
			return fmt.Errorf("no report completed yet")
		}
		report = page.GetExecutions()[0].GetExecution().GetWorkflowId()
		return nil
	})
	recordHistory(t, filepath.Join(dir, "report"), report, "v0_per_response_mailed")
}

// postIsolateRequest asks acme, by request CS-<name>, to isolate a host of that name
// the Cybereason simulator knows, urgently, and answers the request's workflow id.
func postIsolateRequest(t *testing.T, name string) string {
	t.Helper()
	host := "osk-" + name
	if _, err := xsoc.Cybereason.AddSensor(cybereasonsim.Sensor{Name: host}); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"id": "CS-%s", "kind": "isolate", "host": %q, "by": "yamada@acme.example", "urgent": true}`, name, host)
	code, answer, _ := post(t, "/v1/requests/acme", []byte(body))
	if code != http.StatusAccepted {
		t.Fatalf("request: %d %s", code, answer)
	}
	return decode[api.RequestRef](t, answer).WorkflowID
}

// decideRequest sends a decision to a request as an Update and waits for its answer.
func decideRequest(id, name string, decision map[string]any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	handle, err := xsoc.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name,
		Args: []any{decision}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return err
	}
	return handle.Get(ctx, nil)
}

// recordHistory writes a workflow's history into a workflow package's testdata/histories
// as name, once no version marker says otherwise (name starts with v0_).
func recordHistory(t *testing.T, pkg, id, name string) {
	t.Helper()
	file, err := xsoc.RecordHistory(filepath.Join(pkg, "testdata", "histories"), id, func(v devstack.Versions) string {
		if len(v) > 0 {
			t.Errorf("%s holds version markers %v: name its history by them", id, v)
		}
		return name
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s", file)
}
