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

// currentVersions follows the deployment's routing (current and ramping versions):
// read before the first start, then every CurrentVersionRefresh in the background.
type currentVersions struct {
	deployment client.WorkerDeploymentHandle
	follow     sync.Once
	read1      chan struct{} // closed once the first reading is in
	mu         sync.Mutex
	routing    client.WorkerDeploymentRoutingConfig
}

// followed are the processes' followers, one per client: every intake of a process
// (HTTP, syslog, the worker's re-openings) shares one reading.
var followed sync.Map // client.Client → *currentVersions

func newCurrentVersions(c client.Client) *currentVersions {
	v, _ := followed.LoadOrStore(c, &currentVersions{deployment: c.WorkerDeploymentClient().GetHandle(api.DeploymentName), read1: make(chan struct{})})
	return v.(*currentVersions)
}

// override answers the versioning override that starts a workflow on the version the
// deployment routes new workflows to, nil when it routes them to unversioned workers
// or could not be read (the server then routes the start as before).
func (v *currentVersions) override(ctx context.Context, workflowID string) *workflowpb.VersioningOverride {
	if v == nil {
		return nil
	}
	routing := v.read(ctx)
	version := routing.CurrentVersion
	if ramping := routing.RampingVersion; routing.RampingVersionPercentage > 0 && rampShare(workflowID) < routing.RampingVersionPercentage {
		version = ramping
	}
	if version == nil || version.BuildID == "" {
		return nil
	}
	return &workflowpb.VersioningOverride{Override: &workflowpb.VersioningOverride_Pinned{Pinned: &workflowpb.VersioningOverride_PinnedOverride{
		Behavior: workflowpb.VersioningOverride_PINNED_OVERRIDE_BEHAVIOR_PINNED,
		Version:  &deploymentpb.WorkerDeploymentVersion{DeploymentName: version.DeploymentName, BuildId: version.BuildID},
	}}}
}

// read answers the last reading of the routing; the first start waits for the first
// reading (a moment at most: without it the server routes the start), which starts
// the process's follower.
func (v *currentVersions) read(ctx context.Context) client.WorkerDeploymentRoutingConfig {
	v.follow.Do(func() { go v.followRouting() })
	select {
	case <-v.read1:
	default:
		wait := time.NewTimer(2 * time.Second)
		select {
		case <-v.read1:
		case <-ctx.Done():
		case <-wait.C:
		}
		wait.Stop()
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.routing
}

// followRouting reads the routing for as long as the process runs.
func (v *currentVersions) followRouting() {
	v.refresh()
	close(v.read1)
	for range time.Tick(CurrentVersionRefresh) {
		v.refresh()
	}
}

func (v *currentVersions) refresh() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
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
