package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"xsoc/internal/e2e"
	"xsoc/workflows/api"
	"xsoc/workflows/start"
)

// TestRainbowDeploy is docs/deploy.md's runbook, step by step: build A runs with
// incidents open; build B (another binary: its build id stamped at link time) starts
// beside it and waits; the operator makes B current with the temporal CLI; A's open
// incidents finish on A (every workflow task of theirs completed by A), new incidents
// start and finish on B, the customer's entities move to B; A drains and stops.
func TestRainbowDeploy(t *testing.T) {
	ctx := context.Background()
	stamp := time.Now().UnixNano() % 1_000_000
	buildA := currentBuild(t)

	onA := openIncidents(t, fmt.Sprintf("rainbow-a-%d", stamp), 3, buildA)
	mustDecide(t, onA[0], api.DecisionAcknowledge, map[string]any{"by": "hanako"})

	// Deploy B beside A: it polls, the server registers its version, nothing moves.
	buildB := fmt.Sprintf("rainbow-b-%d", stamp)
	binary, err := xsoc.BuildWorker(ctx, "worker-b", buildB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := xsoc.StartWorker("worker-b", binary, "XSOC_PROMOTE_VERSION=if-none"); err != nil {
		t.Fatal(err)
	}
	if current := currentBuild(t); current != buildA {
		t.Fatalf("build B started with if-none and took over: current %s", current)
	}

	// The operator makes B current.
	temporalCLI(t, "worker", "deployment", "set-current-version", "--deployment-name", api.DeploymentName, "--build-id", buildB, "--yes")
	if current := currentBuild(t); current != buildB {
		t.Fatalf("after set-current-version: current %s, want %s", current, buildB)
	}
	// Intake names the version each incident starts on, from a reading of the routing
	// at most start.CurrentVersionRefresh old (and the reading takes a moment).
	time.Sleep(3 * start.CurrentVersionRefresh)

	onB := openIncidents(t, fmt.Sprintf("rainbow-b-%d", stamp), 2, buildB)
	requireVersion(t, api.TriageWorkflowID("initech"), buildB, enumspb.VERSIONING_BEHAVIOR_AUTO_UPGRADE)
	e2e.Eventually(t, 10*time.Second, "A's incidents listed as pinned to A", func() error {
		if n := e2e.Count(t, xsoc.Temporal, pinnedTo(buildA)); n != 3 {
			return fmt.Errorf("%d running workflows pinned to A, want its 3 incidents", n)
		}
		return nil
	})
	waitDrainage(t, buildA, "draining")

	// A's incidents take decisions and finish, on A.
	finishOn(t, onA, buildA)
	requireVersion(t, api.AccountWorkflowID("initech"), buildB, enumspb.VERSIONING_BEHAVIOR_AUTO_UPGRADE)

	// A drains: no open workflow is pinned to it any more.
	if n := e2e.Count(t, xsoc.Temporal, pinnedTo(buildA)); n != 0 {
		t.Errorf("%d running workflows still pinned to A", n)
	}
	waitDrainage(t, buildA, "drained")
	if err := xsoc.StopPart("worker"); err != nil {
		t.Fatal(err)
	}

	// B serves alone: its incidents and a new one finish on it.
	onB = append(onB, openIncidents(t, fmt.Sprintf("rainbow-b-last-%d", stamp), 1, buildB)...)
	finishOn(t, onB, buildB)
}

// openIncidents posts n alerts and waits until each incident is triaged, pinned to
// the build.
func openIncidents(t *testing.T, prefix string, n int, buildID string) []string {
	t.Helper()
	var ids []string
	for i := range n {
		id := postAlert(t, fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("pc-%s-%d", prefix, i))
		waitTriaged(t, id)
		requireVersion(t, id, buildID, enumspb.VERSIONING_BEHAVIOR_PINNED)
		ids = append(ids, id)
	}
	return ids
}

// finishOn gives each incident its verdict, waits until it completes and checks that
// the build ran every workflow task of it.
func finishOn(t *testing.T, ids []string, buildID string) {
	t.Helper()
	for _, id := range ids {
		mustDecide(t, id, api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": "false_positive", "note": "admin script"})
		if err := waitClosed(t, id); err != nil {
			t.Fatalf("%s did not complete: %v", id, err)
		}
		requireTasksRanOn(t, id, buildID)
	}
}

// drainageStatus answers a version's drainage status as `temporal worker deployment
// describe-version` shows it: draining while workflows pinned to it run, then drained.
// (Right after a change of the current version the server may answer not found.)
func drainageStatus(buildID string) (string, error) {
	out, err := runTemporalCLI("worker", "deployment", "describe-version", "--deployment-name", api.DeploymentName, "--build-id", buildID, "-o", "json")
	if err != nil {
		return "", err
	}
	var version struct {
		DrainageInfo struct {
			DrainageStatus string `json:"drainageStatus"`
		} `json:"drainageInfo"`
	}
	if err := json.Unmarshal(out, &version); err != nil {
		return "", fmt.Errorf("describe-version %s: %w\n%s", buildID, err, out)
	}
	return strings.ToLower(version.DrainageInfo.DrainageStatus), nil
}

// waitDrainage waits until the build's drainage status is the one wanted.
func waitDrainage(t *testing.T, buildID, want string) {
	t.Helper()
	e2e.Eventually(t, time.Minute, "build "+buildID+" "+want, func() error {
		status, err := drainageStatus(buildID)
		if err == nil && status != want {
			err = fmt.Errorf("its drainage status is %q", status)
		}
		return err
	})
}

// currentBuild answers the deployment's current build id.
func currentBuild(t *testing.T) string {
	t.Helper()
	described, err := xsoc.Temporal.WorkerDeploymentClient().GetHandle(api.DeploymentName).Describe(context.Background(), client.WorkerDeploymentDescribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := described.Info.RoutingConfig.CurrentVersion; v != nil {
		return v.BuildID
	}
	return ""
}

// pinnedTo is the visibility query for the running workflows pinned to a build: those
// that keep it from draining.
func pinnedTo(buildID string) string {
	return fmt.Sprintf(`TemporalWorkerDeploymentVersion=%q AND TemporalWorkflowVersioningBehavior="Pinned" AND ExecutionStatus="Running"`,
		api.DeploymentName+":"+buildID)
}

// requireVersion checks the build a workflow runs on and its versioning behaviour, as
// `temporal workflow describe` shows them.
func requireVersion(t *testing.T, workflowID, buildID string, behavior enumspb.VersioningBehavior) {
	t.Helper()
	e2e.Eventually(t, 20*time.Second, workflowID+" on "+buildID, func() error {
		described, err := e2e.Describe(context.Background(), xsoc.Temporal, workflowID, "")
		if err != nil {
			return err
		}
		info := described.GetWorkflowExecutionInfo().GetVersioningInfo()
		if got := info.GetDeploymentVersion().GetBuildId(); got != buildID || info.GetBehavior() != behavior {
			return fmt.Errorf("on build %q (%s), want %q (%s)", got, info.GetBehavior(), buildID, behavior)
		}
		return nil
	})
}

// requireTasksRanOn checks that every workflow task of the workflow's run was
// completed by a worker of the build.
func requireTasksRanOn(t *testing.T, workflowID, buildID string) {
	t.Helper()
	iter := xsoc.Temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	tasks := 0
	for iter.HasNext() {
		event, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		if completed := event.GetWorkflowTaskCompletedEventAttributes(); completed != nil {
			tasks++
			if got := completed.GetDeploymentVersion().GetBuildId(); got != buildID {
				t.Errorf("%s: workflow task %d completed by build %q, want %q", workflowID, event.GetEventId(), got, buildID)
			}
		}
	}
	if tasks < 2 {
		t.Errorf("%s: %d workflow tasks: the decisions ran none", workflowID, tasks)
	}
}
