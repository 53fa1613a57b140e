package deploy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"xsoc/workflows/api"
)

// roundOneIncident stands for an incident of round 1, whose code is gone: its history
// has no incident-round-2 marker, its first command is a timer.
func roundOneIncident(ctx workflow.Context, _ api.IncidentInput) (api.IncidentStatus, error) {
	return api.IncidentStatus{}, workflow.Sleep(ctx, 5*time.Second)
}

// An incident too old for the build it is moved to (docs/deploy.md: an incident
// pinned to a removed build) ends at once with an error naming it and the versions
// the build runs, on its first workflow task there: no failed workflow task, no loop.
func TestIncidentTooOldForItsBuildFailsAtOnce(t *testing.T) {
	ctx := context.Background()
	stamp := time.Now().UnixNano() % 1_000_000
	oldBuild := fmt.Sprintf("round-1-%d", stamp)
	old := worker.New(xsoc.Temporal, api.TaskQueue, worker.Options{DeploymentOptions: worker.DeploymentOptions{
		UseVersioning: true, Version: worker.WorkerDeploymentVersion{DeploymentName: api.DeploymentName, BuildID: oldBuild},
	}})
	old.RegisterWorkflowWithOptions(roundOneIncident, workflow.RegisterOptions{Name: api.IncidentWorkflowType, VersioningBehavior: workflow.VersioningBehaviorPinned})
	if err := old.Start(); err != nil {
		t.Fatal(err)
	}
	defer old.Stop()
	waitRegistered(t, oldBuild)

	id := api.IncidentWorkflowID("initech", "generic", fmt.Sprintf("round-1-%d", stamp))
	_, err := xsoc.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: api.TaskQueue,
		VersioningOverride: &client.PinnedVersioningOverride{Version: worker.WorkerDeploymentVersion{DeploymentName: api.DeploymentName, BuildID: oldBuild}},
	}, api.IncidentWorkflowType, api.IncidentInput{Customer: "initech", Vendor: "generic"})
	if err != nil {
		t.Fatal(err)
	}
	waitTaskCompleted(t, id)
	old.Stop()

	// The operator moves it to the current build, as for an incident whose build is gone.
	current := currentBuild(t)
	temporalCLI(t, "workflow", "update-options", "--workflow-id", id, "--versioning-override-behavior", "pinned",
		"--versioning-override-deployment-name", api.DeploymentName, "--versioning-override-build-id", current)

	err = waitClosed(t, id)
	var failure *temporal.ApplicationError
	if !errors.As(err, &failure) || failure.Type() != api.IncidentVersionUnsupported {
		t.Fatalf("the incident ended with %v, want an %s failure", err, api.IncidentVersionUnsupported)
	}
	if want := "incident " + id + " was started by round 1"; !strings.Contains(failure.Error(), want) {
		t.Errorf("the failure does not say %q: %v", want, failure)
	}
	// The versions this build runs, whatever the latest is.
	if versions := regexp.MustCompile(`this build runs incident versions 1 to [0-9]+ of incident-round-2`); !versions.MatchString(failure.Error()) {
		t.Errorf("the failure does not name the versions this build runs (%s): %v", versions, failure)
	}
	iter := xsoc.Temporal.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		event, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		if event.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED {
			t.Errorf("a workflow task failed (event %d): the build should fail the incident, not its tasks", event.GetEventId())
		}
		if completed := event.GetWorkflowTaskCompletedEventAttributes(); completed != nil && completed.GetDeploymentVersion().GetBuildId() == current {
			return // the build it was moved to ended it
		}
	}
	t.Errorf("no workflow task of %s completed on build %s", id, current)
}

// waitRegistered waits until the server lists the build as a version of the deployment.
func waitRegistered(t *testing.T, buildID string) {
	t.Helper()
	deployment := xsoc.Temporal.WorkerDeploymentClient().GetHandle(api.DeploymentName)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		described, err := deployment.Describe(context.Background(), client.WorkerDeploymentDescribeOptions{})
		if err != nil {
			continue
		}
		for _, summary := range described.Info.VersionSummaries {
			if summary.Version.BuildID == buildID {
				return
			}
		}
	}
	t.Fatalf("build %s was not registered", buildID)
}

// waitTaskCompleted waits until the workflow's first workflow task has completed.
func waitTaskCompleted(t *testing.T, workflowID string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		iter := xsoc.Temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			event, err := iter.Next()
			if err != nil {
				break
			}
			if event.GetEventType() == enumspb.EVENT_TYPE_TIMER_STARTED {
				return
			}
		}
	}
	t.Fatalf("%s: its first workflow task did not complete", workflowID)
}
