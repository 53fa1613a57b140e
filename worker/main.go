// The xsoc worker: runs incidents, accounts and pollers, and every activity.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("worker stopped", "error", err)
		var problems *config.ProblemList
		if errors.As(err, &problems) {
			fmt.Fprintln(os.Stderr, problems.Error())
		}
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	settings, err := config.LoadSettings()
	if err != nil {
		return err
	}
	customers, err := config.LoadCustomers(settings.CustomersFile)
	if err != nil {
		return err
	}
	temporalSettings, err := config.LoadTemporal()
	if err != nil {
		return err
	}
	options, err := temporalSettings.ClientOptions()
	if err != nil {
		return err
	}
	options.Logger = sdklog.NewStructuredLogger(log)
	c, err := client.Dial(options)
	if err != nil {
		return fmt.Errorf("connecting to Temporal at %s: %w", temporalSettings.Address, err)
	}
	defer c.Close()

	acts, err := activities.New(settings, customers, c, log)
	if err != nil {
		return err
	}
	intake := &workflows.Intake{Temporal: c, Namespace: temporalSettings.Namespace}
	acts.Deliver = func(ctx context.Context, customerID, vendor string, alert integrations.Alert) (bool, error) {
		customer, ok := customers.Customer(customerID)
		if !ok {
			return false, fmt.Errorf("unknown customer %s", customerID)
		}
		ref, err := intake.Deliver(ctx, *customer, vendor, alert)
		return ref.Duplicate, err
	}
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(workflows.Incident, workflow.RegisterOptions{Name: workflows.IncidentWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.Account, workflow.RegisterOptions{Name: workflows.AccountWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.Poller, workflow.RegisterOptions{Name: workflows.PollerWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.SendMonthlyReport, workflow.RegisterOptions{Name: workflows.MonthlyReportWorkflowType})
	w.RegisterActivity(acts)

	ctx := context.Background()
	if err := workflows.EnsureAccounts(ctx, c, customers); err != nil {
		return err
	}
	if err := workflows.EnsurePollers(ctx, c, customers); err != nil {
		return err
	}
	log.Info("worker started", "task_queue", workflows.TaskQueue, "customers", len(customers.Customers))
	return w.Run(worker.InterruptCh())
}
