package start

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/api"
)

// TriageSettingsFor takes a customer's triage settings from the customers file.
func TriageSettingsFor(customer config.Customer, soc *config.SOC) api.TriageSettings {
	settings := api.TriageSettings{Policy: PolicyFor(customer, soc, integrations.Capabilities{})}
	if soc != nil {
		settings.StormPerMinute, settings.DigestEvery = soc.Storm.AlertsPerMinute, soc.Storm.DigestEvery.D()
		settings.CampaignHosts, settings.CampaignWindow = soc.Correlation.CampaignHosts, soc.Correlation.CampaignWindow.D()
		settings.NotifyOver, settings.QAEvery = soc.Suppression.NotifyOver, soc.Suppression.QAEvery
	}
	if storm := customer.Storm; storm != nil {
		if storm.AlertsPerMinute > 0 {
			settings.StormPerMinute = storm.AlertsPerMinute
		}
		if storm.DigestEvery > 0 {
			settings.DigestEvery = storm.DigestEvery.D()
		}
	}
	return settings
}

// EnsureTriage starts the Triage and Tuning of every configured customer that are
// not running, hands each Triage the current settings, and asks each Tuning to hand
// its rules over (a Triage started afresh has none). Triage's work is on the path of
// every alert, so it runs at the highest task priority. Each Triage keeps at most half
// the server's limit of signals in flight (pendingSignalsLimit).
func EnsureTriage(ctx context.Context, c client.Client, customers *config.Customers, pendingSignalsLimit int) error {
	for _, customer := range customers.Customers {
		settings := TriageSettingsFor(customer, customers.SOC)
		settings.SignalsInFlight = max(1, pendingSignalsLimit/2)
		attributes := temporal.NewSearchAttributes(api.SACustomer.ValueSet(customer.ID))
		_, err := c.SignalWithStartWorkflow(ctx, api.TriageWorkflowID(customer.ID), api.SignalConfigure, settings,
			client.StartWorkflowOptions{ID: api.TriageWorkflowID(customer.ID), TaskQueue: api.TaskQueue, TypedSearchAttributes: attributes,
				Priority: temporal.Priority{PriorityKey: 1}},
			api.TriageWorkflowType, api.TriageInput{Customer: customer.ID, Settings: settings})
		if err != nil {
			return fmt.Errorf("starting the triage of customer %s: %w", customer.ID, err)
		}
		_, err = c.SignalWithStartWorkflow(ctx, api.TuningWorkflowID(customer.ID), api.SignalHandOver, nil,
			client.StartWorkflowOptions{ID: api.TuningWorkflowID(customer.ID), TaskQueue: api.TaskQueue, TypedSearchAttributes: attributes,
				WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING},
			api.TuningWorkflowType, api.TuningInput{Customer: customer.ID})
		if err != nil {
			return fmt.Errorf("starting the suppression rules of customer %s: %w", customer.ID, err)
		}
	}
	return nil
}

// PolicyFor takes the incident's policy from the customer's configuration and the
// SOC's, with the capabilities of the vendor platform the alert came from.
func PolicyFor(c config.Customer, soc *config.SOC, capabilities integrations.Capabilities) api.Policy {
	repeat := config.DefaultRepeat
	if c.EscalationRepeat != nil {
		repeat = *c.EscalationRepeat
	}
	p := api.Policy{
		CustomerName:        c.Name,
		Language:            c.Language,
		Detect:              c.HasService("detect"),
		Respond:             c.HasService("respond"),
		Response:            c.Response,
		Capabilities:        capabilities,
		Sites:               c.Sites,
		SLA:                 c.SLA,
		Escalation:          c.Escalation,
		Repeat:              repeat,
		StatusUpdates:       c.StatusUpdates,
		Timezone:            c.Timezone,
		StatusCoalesce:      c.StatusCoalesce,
		PageCustomerOnAlert: c.PagesCustomerOnAlert(soc),
	}
	if soc != nil {
		socRepeat := config.DefaultRepeat
		if soc.EscalationRepeat != nil {
			socRepeat = *soc.EscalationRepeat
		}
		p.SOC = &api.SOCPolicy{Name: soc.Name, Language: soc.Language, Timezone: soc.Timezone, Contact: soc.Contact,
			Escalation: soc.Escalation, Repeat: socRepeat, Notices: soc.Notices}
	}
	return p
}

// EnsureAccounts starts the Account of every configured customer that is not running,
// hands each its purchases and its current settings (plan, IDs, contacts, language,
// time zone) from the customers file, and creates (or brings up to date) each
// customer's monthly report schedule.
func EnsureAccounts(ctx context.Context, c client.Client, customers *config.Customers) error {
	for _, customer := range customers.Customers {
		options, input := accountStart(customer)
		_, err := c.SignalWithStartWorkflow(ctx, options.ID, api.SignalPurchases, customer.Billing.Tickets, options, api.AccountWorkflowType, input)
		if err != nil {
			return fmt.Errorf("starting the account of customer %s: %w", customer.ID, err)
		}
		// An Account that was already running learns what changed in the file.
		if err := c.SignalWorkflow(ctx, options.ID, "", api.SignalSettings, accountSettingsOf(customer)); err != nil {
			return fmt.Errorf("updating the account of customer %s: %w", customer.ID, err)
		}
		report := api.MonthlyReportInput{Customer: customer.ID, Plan: customer.Billing.Plan, Notify: accountNotifyOf(customer),
			Timezone: customer.Timezone}
		if err := ensureReportSchedule(ctx, c, report); err != nil {
			return fmt.Errorf("scheduling the monthly report of customer %s: %w", customer.ID, err)
		}
	}
	return nil
}

// pollerInput starts the poller of a customer's platform from the customers file.
func PollerInputFor(customer string, platform config.Platform) api.PollerInput {
	return api.PollerInput{Customer: customer, Vendor: platform.Vendor, Every: platform.Poll.D(), FirstFetch: platform.FirstFetchWindow()}
}

// accountStart is how a customer's Account starts from the customers file: at worker
// start, or when an activity finds it not running. An Account already running is
// kept (its ledger is the truth), never started over.
//
// Every closing incident waits for the Account to take its record (its Update), so the
// Account's tasks go before high incidents' (priority 2; its runs keep it as they
// continue as new): in a worm thousands of incidents' tasks queue at priority 3.
func accountStart(customer config.Customer) (client.StartWorkflowOptions, api.AccountInput) {
	options := client.StartWorkflowOptions{
		ID: api.AccountWorkflowID(customer.ID), TaskQueue: api.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(api.SACustomer.ValueSet(customer.ID)),
		Priority:                 temporal.Priority{PriorityKey: 2},
	}
	settings := accountSettingsOf(customer)
	return options, api.AccountInput{Customer: customer.ID, Plan: settings.Plan, IDs: settings.IDs, Purchases: customer.Billing.Tickets,
		Notify: settings.Notify, Timezone: settings.Timezone}
}

// accountSettingsOf is what the Account knows of a customer from the customers file.
func accountSettingsOf(customer config.Customer) api.AccountSettings {
	return api.AccountSettings{Plan: customer.Billing.Plan, IDs: customer.Billing.IDs, Notify: accountNotifyOf(customer), Timezone: customer.Timezone}
}

func accountNotifyOf(customer config.Customer) api.AccountNotify {
	return api.AccountNotify{CustomerName: customer.Name, Language: customer.Language, Contacts: customer.StatusUpdates}
}

// reportCron is 00:00 on the 1st of each month in the customer's zone: the month
// before is complete there.
const reportCron = "0 0 1 * *"

// reportCatchupWindow lets a report whose 1st was missed (server down) still go
// out later that month, for the month it was due for.
const reportCatchupWindow = 27 * 24 * time.Hour

// ensureReportSchedule creates the customer's report schedule, or updates the one
// that exists so that it carries the customers file's current contacts and plan.
func ensureReportSchedule(ctx context.Context, c client.Client, in api.MonthlyReportInput) error {
	id := api.ReportScheduleID(in.Customer)
	spec := client.ScheduleSpec{CronExpressions: []string{reportCron}, TimeZoneName: config.LoadLocation(in.Timezone).String()}
	action := &client.ScheduleWorkflowAction{
		ID: id, Workflow: api.MonthlyReportWorkflowType, Args: []any{in}, TaskQueue: api.TaskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(api.SACustomer.ValueSet(in.Customer)),
	}
	policy := client.SchedulePolicies{Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: reportCatchupWindow}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: id, Spec: spec, Action: action, Overlap: policy.Overlap, CatchupWindow: policy.CatchupWindow,
		Note: "Monthly report of customer " + in.Customer + ", from the customers file.",
	})
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return err
	}
	return c.ScheduleClient().GetHandle(ctx, id).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(current client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			schedule := current.Description.Schedule
			schedule.Spec, schedule.Action, schedule.Policy = &spec, action, &policy
			return &client.ScheduleUpdate{Schedule: &schedule}, nil
		},
	})
}

// EnsurePollers starts a durable poller for every platform that has a poll interval;
// a new one looks back the platform's first_fetch. A poller already running keeps its
// cursor.
func EnsurePollers(ctx context.Context, c client.Client, customers *config.Customers) error {
	for _, customer := range customers.Customers {
		for _, platform := range customer.Platforms {
			if platform.Poll <= 0 {
				continue
			}
			id := api.PollerWorkflowID(customer.ID, platform.Vendor)
			_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID: id, TaskQueue: api.TaskQueue,
				WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
				TypedSearchAttributes:    temporal.NewSearchAttributes(api.SACustomer.ValueSet(customer.ID), api.SAVendor.ValueSet(platform.Vendor)),
			}, api.PollerWorkflowType, PollerInputFor(customer.ID, platform))
			if err != nil {
				return fmt.Errorf("starting the %s poller of customer %s: %w", platform.Vendor, customer.ID, err)
			}
		}
	}
	return nil
}
