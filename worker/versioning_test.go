package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"xsoc/config"
	"xsoc/workflows/api"
)

// fakeDeployment is the server's view of the deployment: its current build, the
// builds it registered, and a conflict token that changes with every change.
type fakeDeployment struct {
	client.WorkerDeploymentHandle
	current    string
	registered []string
	token      int
	// registerAfter registers the worker's build once Describe was called so often.
	registerAfter int
	describes     int
	// raceOnce: another worker promotes its build between our Describe and our Set.
	raceOnce string
	sets     int
}

func (f *fakeDeployment) Describe(context.Context, client.WorkerDeploymentDescribeOptions) (client.WorkerDeploymentDescribeResponse, error) {
	f.describes++
	if f.describes == f.registerAfter {
		f.registered = append(f.registered, "b2")
	}
	var info client.WorkerDeploymentInfo
	for _, id := range f.registered {
		info.VersionSummaries = append(info.VersionSummaries, client.WorkerDeploymentVersionSummary{
			Version: worker.WorkerDeploymentVersion{DeploymentName: api.DeploymentName, BuildID: id}})
	}
	if f.current != "" {
		info.RoutingConfig.CurrentVersion = &worker.WorkerDeploymentVersion{DeploymentName: api.DeploymentName, BuildID: f.current}
	}
	return client.WorkerDeploymentDescribeResponse{ConflictToken: []byte{byte(f.token)}, Info: info}, nil
}

func (f *fakeDeployment) SetCurrentVersion(_ context.Context, o client.WorkerDeploymentSetCurrentVersionOptions) (client.WorkerDeploymentSetCurrentVersionResponse, error) {
	f.sets++
	if f.raceOnce != "" {
		f.current, f.raceOnce = f.raceOnce, ""
		f.token++
	}
	if len(o.ConflictToken) != 1 || int(o.ConflictToken[0]) != f.token {
		return client.WorkerDeploymentSetCurrentVersionResponse{}, serviceerror.NewFailedPrecondition("conflict token mismatch")
	}
	f.current = o.BuildID
	f.token++
	return client.WorkerDeploymentSetCurrentVersionResponse{}, nil
}

func TestPromotionFollowsThePolicy(t *testing.T) {
	for _, tc := range []struct {
		name          string
		policy        string
		current       string
		registerAfter int
		raceOnce      string
		want          string
		wantSets      int
	}{
		{"the first deploy becomes current", config.PromoteIfNone, "", 1, "", "b2", 1},
		{"the first deploy waits until the server registers its version", config.PromoteIfNone, "", 3, "", "b2", 1},
		{"a later build waits for the operator", config.PromoteIfNone, "b1", 1, "", "b1", 0},
		{"a dev stack's build takes over", config.PromoteAlways, "b1", 1, "", "b2", 1},
		{"never leaves an empty deployment to the operator", config.PromoteNever, "", 1, "", "", 0},
		{"a build already current stays", config.PromoteNever, "b2", 1, "", "b2", 0},
		{"the loser of a first-deploy race finds the winner current", config.PromoteIfNone, "", 1, "b9", "b9", 1},
		{"always retries a race it lost", config.PromoteAlways, "b1", 1, "b9", "b2", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeDeployment{current: tc.current, registerAfter: tc.registerAfter, raceOnce: tc.raceOnce}
			got, err := promotion{deployment: fake, buildID: "b2", policy: tc.policy, log: slog.New(slog.DiscardHandler),
				retryEvery: time.Millisecond}.run(context.Background())
			if err != nil || got != tc.want || fake.sets != tc.wantSets {
				t.Fatalf("current %q after %d sets (%v), want %q after %d", got, fake.sets, err, tc.want, tc.wantSets)
			}
		})
	}
}

// Case work finishes on the build that started it; the entities follow new builds.
func TestEveryWorkflowHasItsVersioningBehavior(t *testing.T) {
	want := map[string]workflow.VersioningBehavior{
		api.IncidentWorkflowType: workflow.VersioningBehaviorPinned, api.RequestWorkflowType: workflow.VersioningBehaviorPinned,
		api.AccountWorkflowType: workflow.VersioningBehaviorAutoUpgrade, api.TriageWorkflowType: workflow.VersioningBehaviorAutoUpgrade,
		api.TuningWorkflowType: workflow.VersioningBehaviorAutoUpgrade, api.PollerWorkflowType: workflow.VersioningBehaviorAutoUpgrade,
		api.MonthlyReportWorkflowType: workflow.VersioningBehaviorAutoUpgrade,
	}
	if len(registrations) != len(want) {
		t.Errorf("%d workflows registered, want %d", len(registrations), len(want))
	}
	for _, r := range registrations {
		if r.behavior != want[r.name] {
			t.Errorf("%s: behaviour %v, want %v", r.name, r.behavior, want[r.name])
		}
	}
}
