// The xsoc worker: runs incidents, accounts and pollers, and every activity, as one
// build (version) of the Worker Deployment "xsoc" (docs/deploy.md).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/internal/codec"
	"xsoc/workflows/api"
	"xsoc/workflows/start"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		config.Exit(log, "worker", err)
	}
}

func run(log *slog.Logger) error {
	process, err := config.LoadProcess(log)
	if err != nil {
		return err
	}
	settings, customers, temporalSettings := process.Settings, process.Customers, process.Temporal
	buildID, err := settings.WorkerBuildID()
	if err != nil {
		return err
	}
	log = log.With("build_id", buildID)
	ready := &readiness{}
	if settings.WorkerMetricsListen != "" {
		metrics := newWorkerMetrics(log, buildID)
		defer metrics.close()
		process.ClientOptions.MetricsHandler = metrics.handler
		stop, err := serveHTTP(log, settings.WorkerMetricsListen, workerMux(metrics.http, ready))
		if err != nil {
			return err
		}
		defer stop()
	}
	c, err := client.Dial(process.ClientOptions)
	if err != nil {
		return fmt.Errorf("connecting to Temporal at %s: %w", temporalSettings.Address, err)
	}
	defer c.Close()

	acts, err := activities.New(settings, customers, log)
	if err != nil {
		return err
	}
	own := &start.Calls{
		Temporal: c, Customers: customers, Platforms: acts.Platforms, Log: log,
		Intake: start.NewIntake(c, process.ClientOptions, customers.SOC),
	}
	// The cache is process-wide and must be sized before the first worker exists.
	if settings.StickyCacheSize > 0 {
		worker.SetStickyWorkflowCacheSize(settings.StickyCacheSize)
	}
	fatal := make(chan error, 1)
	w := worker.New(c, api.TaskQueue, worker.Options{
		// Two pollers per kind (the SDK's default) leave the worker waiting on the server in an
		// alert storm; with 8, `make bench` drained a 3,000-alert burst's pages ~25 % faster.
		MaxConcurrentWorkflowTaskPollers: 8, MaxConcurrentActivityTaskPollers: 8,
		DeploymentOptions: deploymentOptions(buildID),
		// No Signal in clear reaches a workflow (docs/identity-contract.md): the
		// decisions arrive marked refused and are recorded as such; others are dropped.
		Interceptors: []interceptor.WorkerInterceptor{codec.SignalGuard(process.Codec, decisionSignal)},
		OnFatalError: func(err error) {
			select {
			case fatal <- err:
			default:
			}
		},
	})
	registerWorkflows(w)
	w.RegisterActivity(acts)
	w.RegisterActivity(own)

	// The server learns of this build's version from the worker's polls: the worker
	// polls first, then (maybe) becomes current, then starts the customers' entities,
	// whose first tasks need a current version to run on.
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	ctx := context.Background()
	current, err := promotion{deployment: c.WorkerDeploymentClient().GetHandle(api.DeploymentName), buildID: buildID,
		policy: settings.PromoteVersion, log: log, retryEvery: 500 * time.Millisecond}.run(ctx)
	if err != nil {
		return err
	}
	if current != buildID {
		log.Warn("this build is not the current version: it runs only the workflows pinned to it until an operator promotes it",
			"deployment", api.DeploymentName, "current", orNone(current), "promote", settings.PromoteVersion,
			"to_promote", "temporal worker deployment set-current-version --deployment-name "+api.DeploymentName+" --build-id "+buildID)
	}
	// Incidents the worker starts again (a parent that could not take them) start
	// pinned to the deployment's current version, as intake's do.
	start.FollowCurrentVersion(ctx, c)
	if err := start.EnsureAccounts(ctx, c, customers); err != nil {
		return err
	}
	if err := start.EnsureTriage(ctx, c, customers, settings.ServerPendingSignalsLimit); err != nil {
		return err
	}
	if err := start.EnsurePollers(ctx, c, customers); err != nil {
		return err
	}
	ready.set(fmt.Sprintf("build %s serves task queue %s; current version of deployment %s: %s",
		buildID, api.TaskQueue, api.DeploymentName, orNone(current)))
	log.Info("worker started", "task_queue", api.TaskQueue, "deployment", api.DeploymentName,
		"current", current == buildID, "customers", len(customers.Customers), "sticky_cache_size", stickyCacheSize(settings))
	select {
	case <-worker.InterruptCh():
		log.Info("worker stopping")
		return nil
	case err := <-fatal:
		return err
	}
}

// decisionSignal tells the signals a person sends — the decisions of incidents and
// requests — which reach the workflow when refused, to be recorded as rejected.
func decisionSignal(name string) bool {
	return slices.Contains(api.Decisions, name) || slices.Contains(api.RequestDecisions, name)
}

// stickyCacheSize is the number of workflows the worker keeps in memory.
func stickyCacheSize(settings config.Settings) int {
	if settings.StickyCacheSize > 0 {
		return settings.StickyCacheSize
	}
	return sdkDefaultStickyCacheSize
}

// sdkDefaultStickyCacheSize is the Go SDK's default (worker.SetStickyWorkflowCacheSize).
const sdkDefaultStickyCacheSize = 10000
