package tests

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"xsoc/internal/devstack"
	"xsoc/workflows/api"
)

// postGeneric posts one normalized alert and answers its incident's workflow id.
func postGeneric(t *testing.T, customer, id, severity, host string) string {
	t.Helper()
	code, body, _ := post(t, "/v1/alerts/generic/"+customer, genericAlert(id, severity, host))
	if code != 202 {
		t.Fatalf("posting %s: %d %s", id, code, body)
	}
	return decode[intakeAnswer](t, body).Incidents[0].WorkflowID
}

func mustDecide(t *testing.T, workflowID, name string, decision map[string]any) api.DecisionResult {
	t.Helper()
	result, err := decide(t, workflowID, name, decision)
	if err != nil {
		t.Fatalf("%s on %s: %v", name, workflowID, err)
	}
	return result
}

func waitClosed(t *testing.T, workflowID string) api.IncidentStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var status api.IncidentStatus
	if err := xsoc.Temporal.GetWorkflow(ctx, workflowID, "").Get(ctx, &status); err != nil {
		t.Fatalf("%s did not end: %v", workflowID, err)
	}
	return status
}

func TestInvestigateFirstIncidentIsContainedOnTruePositiveByUpdates(t *testing.T) {
	t.Parallel()
	// fs-* hosts are critical for acme (hybrid policy): investigated first.
	id := postGeneric(t, "acme", fmt.Sprintf("inv-%d", time.Now().UnixNano()), "high", "fs-share01")
	status := waitState(t, id, api.StateInvestigating)
	if status.Containment.Active() {
		t.Fatal("a critical host was contained before the verdict")
	}
	mustDecide(t, id, api.DecisionAcknowledge, map[string]any{"by": "hanako"})
	if _, err := decide(t, id, api.DecisionRelease, map[string]any{"by": "hanako"}); err == nil || !strings.Contains(err.Error(), "nothing is contained") {
		t.Fatalf("release before containment: %v", err)
	}
	result := mustDecide(t, id, api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": "true_positive"})
	// generic alerts come from no platform we can act on: the verdict is recorded and the
	// incident waits for the customer to contain.
	if result.State != api.StateAwaitingCustomer {
		t.Fatalf("after true positive on a generic alert: %+v", result)
	}
	mustDecide(t, id, api.DecisionComment, map[string]any{"by": "hanako", "note": "customer isolating"})
	mustDecide(t, id, api.DecisionClose, map[string]any{"by": "hanako", "note": "rebuilt"})
	final := waitClosed(t, id)
	if final.State != api.StateResolved || final.Verdict != api.VerdictTruePositive {
		t.Fatalf("final: %s %s", final.State, final.Verdict)
	}
	attributes := searchAttributes(t, id)
	if attributes["XsocState"] != "resolved" || attributes["XsocVerdict"] != "true_positive" || attributes["XsocSLAState"] != "met" {
		t.Fatalf("search attributes: %v", attributes)
	}
}

func TestBreachedIncidentIsFoundByTheManagersQuery(t *testing.T) {
	t.Parallel()
	// acme promises to acknowledge low alerts within 2s in the test configuration.
	id := postGeneric(t, "acme", fmt.Sprintf("breach-%d", time.Now().UnixNano()), "low", "pc-late")
	temporalBin, err := devstack.Tool("XSOC_TEMPORAL_BIN", "temporal")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the breached incident in the manager's list", func() error {
		out, err := exec.Command(temporalBin, "workflow", "list", "--address", xsoc.Dev.FrontendHostPort(),
			"--query", `XsocSLAState="breached" AND ExecutionStatus="Running"`).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		if !strings.Contains(string(out), id) {
			return fmt.Errorf("not listed yet:\n%s", out)
		}
		return nil
	})
	status := incidentStatus(t, id)
	if status.Clocks[0].State != api.SLABreached {
		t.Fatalf("ack clock: %+v", status.Clocks[0])
	}
	mustDecide(t, id, api.DecisionClose, map[string]any{"by": "hanako", "note": "late but handled"})
	waitClosed(t, id)
}
