// The xsoc worker: runs incidents, accounts and pollers, and every activity.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/workflows"
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
	c, err := client.Dial(process.ClientOptions)
	if err != nil {
		return fmt.Errorf("connecting to Temporal at %s: %w", temporalSettings.Address, err)
	}
	defer c.Close()

	acts, err := activities.New(settings, customers, log)
	if err != nil {
		return err
	}
	own := &workflows.Activities{
		Temporal: c, Customers: customers, Platforms: acts.Platforms, Log: log,
		Intake: workflows.NewIntake(c, process.ClientOptions, customers.SOC),
	}
	// The cache is process-wide and must be sized before the first worker exists.
	if settings.StickyCacheSize > 0 {
		worker.SetStickyWorkflowCacheSize(settings.StickyCacheSize)
	}
	// Two pollers per kind (the SDK's default) leave the worker waiting on the server in an
	// alert storm; with 8, `make bench` drained a 3,000-alert burst's pages ~25 % faster.
	w := worker.New(c, workflows.TaskQueue, worker.Options{MaxConcurrentWorkflowTaskPollers: 8, MaxConcurrentActivityTaskPollers: 8})
	w.RegisterWorkflowWithOptions(workflows.Incident, workflow.RegisterOptions{Name: workflows.IncidentWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.Account, workflow.RegisterOptions{Name: workflows.AccountWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.Poller, workflow.RegisterOptions{Name: workflows.PollerWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.Triage, workflow.RegisterOptions{Name: workflows.TriageWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.Tuning, workflow.RegisterOptions{Name: workflows.TuningWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.Request, workflow.RegisterOptions{Name: workflows.RequestWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.SendMonthlyReport, workflow.RegisterOptions{Name: workflows.MonthlyReportWorkflowType})
	w.RegisterActivity(acts)
	w.RegisterActivity(own)

	ctx := context.Background()
	if err := workflows.EnsureAccounts(ctx, c, customers); err != nil {
		return err
	}
	if err := workflows.EnsureTriage(ctx, c, customers); err != nil {
		return err
	}
	if err := workflows.EnsurePollers(ctx, c, customers); err != nil {
		return err
	}
	log.Info("worker started", "task_queue", workflows.TaskQueue, "customers", len(customers.Customers),
		"sticky_cache_size", stickyCacheSize(settings))
	return w.Run(worker.InterruptCh())
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
