package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"xsoc/config"
	"xsoc/workflows/account"
	"xsoc/workflows/api"
	"xsoc/workflows/incident"
	"xsoc/workflows/poller"
	"xsoc/workflows/report"
	"xsoc/workflows/request"
	"xsoc/workflows/triage"
	"xsoc/workflows/tuning"
)

// registration is a workflow the worker runs, with its Worker Versioning behaviour.
type registration struct {
	workflow any
	name     string
	behavior workflow.VersioningBehavior
}

// registrations are the workflows the worker runs (docs/deploy.md says why each is
// pinned or auto-upgrades):
//   - case work is pinned: an incident or a customer's request lives hours to days
//     and finishes on the build that started it, so a deploy never replays it on
//     other code; a new build takes the new cases once it is current;
//   - the per-customer entities run for years (Account, Triage, Tuning, Poller) and
//     the monthly report retries its mail for hours: they auto-upgrade, moving to a
//     new current build at their next workflow task, so an old build can drain and
//     stop; a change to their commands is guarded with workflow.GetVersion.
//
// The worker sets no default behaviour: a workflow registered without one fails the
// worker's start, so that every new type is decided here.
var registrations = []registration{
	{incident.Incident, api.IncidentWorkflowType, workflow.VersioningBehaviorPinned},
	{request.Request, api.RequestWorkflowType, workflow.VersioningBehaviorPinned},
	{account.Account, api.AccountWorkflowType, workflow.VersioningBehaviorAutoUpgrade},
	{triage.Triage, api.TriageWorkflowType, workflow.VersioningBehaviorAutoUpgrade},
	{tuning.Tuning, api.TuningWorkflowType, workflow.VersioningBehaviorAutoUpgrade},
	{poller.Poller, api.PollerWorkflowType, workflow.VersioningBehaviorAutoUpgrade},
	{report.SendMonthlyReport, api.MonthlyReportWorkflowType, workflow.VersioningBehaviorAutoUpgrade},
}

func registerWorkflows(w worker.Worker) {
	for _, r := range registrations {
		w.RegisterWorkflowWithOptions(r.workflow, workflow.RegisterOptions{Name: r.name, VersioningBehavior: r.behavior})
	}
}

// deploymentOptions join the worker to the Worker Deployment as its build's version.
func deploymentOptions(buildID string) worker.DeploymentOptions {
	return worker.DeploymentOptions{
		UseVersioning: true,
		Version:       worker.WorkerDeploymentVersion{DeploymentName: api.DeploymentName, BuildID: buildID},
	}
}

// promotion makes a build the deployment's current version, as XSOC_PROMOTE_VERSION
// says. A deployment without a current version serves no workflow task at all, so
// the first deploy must promote; later builds normally wait for an operator.
type promotion struct {
	deployment client.WorkerDeploymentHandle
	buildID    string
	policy     string
	log        *slog.Logger
	// retryEvery paces the attempts while the server has not registered the version.
	retryEvery time.Duration
}

// promotionWithin bounds the wait for the server to register the worker's version,
// which it does on the worker's first polls (a second or two on the dev server).
const promotionWithin = time.Minute

// run promotes the build if the policy says so, and answers the deployment's current
// build id afterwards.
func (p promotion) run(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, promotionWithin)
	defer cancel()
	for {
		current, done, err := p.attempt(ctx)
		if done || !retryable(err) {
			return current, err
		}
		select {
		case <-ctx.Done():
			return current, fmt.Errorf("making build %s the current version of deployment %s (XSOC_PROMOTE_VERSION=%s): %w (last: %v)",
				p.buildID, api.DeploymentName, p.policy, ctx.Err(), err)
		case <-time.After(p.retryEvery):
		}
	}
}

// attempt reads the deployment and, when the policy asks for it, sets this build
// current under the deployment's conflict token (two workers of a first deploy may
// race: the loser reads again and finds the winner's build).
func (p promotion) attempt(ctx context.Context) (current string, done bool, err error) {
	described, err := p.deployment.Describe(ctx, client.WorkerDeploymentDescribeOptions{})
	if err != nil {
		return "", false, err
	}
	if v := described.Info.RoutingConfig.CurrentVersion; v != nil {
		current = v.BuildID
	}
	switch {
	case current == p.buildID:
		return current, true, nil
	case p.policy == config.PromoteNever, p.policy == config.PromoteIfNone && current != "":
		return current, true, nil
	}
	if !registered(described.Info, p.buildID) {
		return current, false, errVersionNotRegistered
	}
	// The conflict token makes the version current only if the deployment is still as
	// described: the previous version is the one Describe found.
	_, err = p.deployment.SetCurrentVersion(ctx, client.WorkerDeploymentSetCurrentVersionOptions{
		BuildID: p.buildID, ConflictToken: described.ConflictToken,
	})
	if err != nil {
		return current, false, err
	}
	previous := cmp.Or(current, "none")
	p.log.Info("this build is now the current version: new workflows start on it, auto-upgrading ones move to it",
		"deployment", api.DeploymentName, "previous", previous, "promote", p.policy)
	return p.buildID, true, nil
}

var errVersionNotRegistered = errors.New("the server has not registered this build's version yet")

func registered(info client.WorkerDeploymentInfo, buildID string) bool {
	for _, summary := range info.VersionSummaries {
		if summary.Version.BuildID == buildID {
			return true
		}
	}
	return false
}

// retryable: the deployment or version does not exist yet (the worker's first polls
// create them), another worker changed the deployment meanwhile (conflict token), or
// the server is busy.
func retryable(err error) bool {
	var notFound *serviceerror.NotFound
	var precondition *serviceerror.FailedPrecondition
	var unavailable *serviceerror.Unavailable
	var exhausted *serviceerror.ResourceExhausted
	return errors.Is(err, errVersionNotRegistered) || errors.As(err, &notFound) || errors.As(err, &precondition) ||
		errors.As(err, &unavailable) || errors.As(err, &exhausted)
}

// orNone names a deployment without a current version.
func orNone(buildID string) string {
	if buildID == "" {
		return "none"
	}
	return buildID
}
