package start

import (
	"context"
	"errors"
	"hash/fnv"
	"sync"
	"time"

	deploymentpb "go.temporal.io/api/deployment/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"xsoc/workflows/api"
)

// Starting incidents on a version. Temporal 1.29 stores the first workflow task of a
// workflow started without a version in the task queue's unversioned backlog and hands
// it to the current version's queue in memory; when that queue is unloaded meanwhile
// (idle while the worker is down, or under load), the tasks it held are neither
// dispatched nor given back until the unversioned backlog is reloaded: incidents
// answered 202 that never start (tests/limits; 7,960 of a 20,000-alert worm).
// Incidents are pinned to the version they start on anyway, so intake names it at the
// start: the first task is stored in that version's own backlog, which its pollers
// read, and nothing passes through the unversioned one.

// CurrentVersionRefresh is how often a process reads the deployment's routing: an
// incident started within it after an operator changed the current version starts on
// the previous one, which keeps serving its incidents until they close.
const CurrentVersionRefresh = time.Second

// currentVersions follows the deployment's routing (current and ramping versions).
type currentVersions struct {
	deployment client.WorkerDeploymentHandle
	mu         sync.Mutex
	routing    client.WorkerDeploymentRoutingConfig
}

// followed are the followers of the processes' clients (FollowCurrentVersion): every
// intake of a process on that client (HTTP, syslog, the worker's re-openings) shares
// its reading.
var followed sync.Map // client.Client → *currentVersions

// FollowCurrentVersion has every incident and request started through c start pinned
// to the version the deployment routes new workflows to: it reads the routing now
// (within a few seconds; until then, and when it cannot be read, the server routes the
// starts) and again every CurrentVersionRefresh until ctx ends. The worker and the
// starter call it once, for their client.
func FollowCurrentVersion(ctx context.Context, c client.Client) {
	v := &currentVersions{deployment: c.WorkerDeploymentClient().GetHandle(api.DeploymentName)}
	v.refresh(ctx)
	followed.Store(c, v)
	go func() {
		defer followed.Delete(c)
		tick := time.NewTicker(CurrentVersionRefresh)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				v.refresh(ctx)
			}
		}
	}()
}

// versionsOf answers the follower of a client, nil when its process follows none.
func versionsOf(c client.Client) *currentVersions {
	if v, ok := followed.Load(c); ok {
		return v.(*currentVersions)
	}
	return nil
}

// override answers the versioning override that starts a workflow on the version the
// deployment routes new workflows to, nil when it routes them to unversioned workers
// or could not be read (the server then routes the start as before).
func (v *currentVersions) override(workflowID string) *workflowpb.VersioningOverride {
	version := v.versionFor(workflowID)
	if version == nil {
		return nil
	}
	return &workflowpb.VersioningOverride{Override: &workflowpb.VersioningOverride_Pinned{Pinned: &workflowpb.VersioningOverride_PinnedOverride{
		Behavior: workflowpb.VersioningOverride_PINNED_OVERRIDE_BEHAVIOR_PINNED,
		Version:  &deploymentpb.WorkerDeploymentVersion{DeploymentName: version.DeploymentName, BuildId: version.BuildID},
	}}}
}

// clientOverride is override for the SDK client's start options.
func (v *currentVersions) clientOverride(workflowID string) client.VersioningOverride {
	version := v.versionFor(workflowID)
	if version == nil {
		return nil
	}
	return &client.PinnedVersioningOverride{Version: *version}
}

// versionFor answers the version a new workflow starts on: the current one, or the
// ramping one for its share of workflow ids.
func (v *currentVersions) versionFor(workflowID string) *worker.WorkerDeploymentVersion {
	if v == nil {
		return nil
	}
	routing := v.read()
	version := routing.CurrentVersion
	if ramping := routing.RampingVersion; routing.RampingVersionPercentage > 0 && rampShare(workflowID) < routing.RampingVersionPercentage {
		version = ramping
	}
	if version == nil || version.BuildID == "" {
		return nil
	}
	return version
}

// read answers the last reading of the routing.
func (v *currentVersions) read() client.WorkerDeploymentRoutingConfig {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.routing
}

func (v *currentVersions) refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	described, err := v.deployment.Describe(ctx, client.WorkerDeploymentDescribeOptions{})
	v.mu.Lock()
	defer v.mu.Unlock()
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
		v.routing = described.Info.RoutingConfig
	case errors.As(err, &notFound):
		// No worker has registered the deployment yet: the server routes the starts.
		v.routing = client.WorkerDeploymentRoutingConfig{}
	}
	// Otherwise (a busy or unreachable server) the last reading stands until the next.
}

// rampShare places a workflow id in [0, 100): the same id always falls on the same
// side of a ramp, so a start retried after a timeout names the same version.
func rampShare(workflowID string) float32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(workflowID))
	return float32(h.Sum32()%10000) / 100
}
