package workflows

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"xsoc/config"
	"xsoc/integrations"
)

// SignalConfigure hands a running Triage the settings of the customers file the
// worker started with.
const SignalConfigure = "configure"

// SignalHandOver asks Tuning to hand Triage the rules in force again.
const SignalHandOver = "hand_over"

// TriageSettingsFor takes a customer's triage settings from the customers file.
func TriageSettingsFor(customer config.Customer, soc *config.SOC) TriageSettings {
	settings := TriageSettings{Policy: PolicyFor(customer, soc, integrations.Capabilities{})}
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
// every alert, so it runs at the highest task priority.
func EnsureTriage(ctx context.Context, c client.Client, customers *config.Customers) error {
	for _, customer := range customers.Customers {
		settings := TriageSettingsFor(customer, customers.SOC)
		attributes := temporal.NewSearchAttributes(SACustomer.ValueSet(customer.ID))
		_, err := c.SignalWithStartWorkflow(ctx, TriageWorkflowID(customer.ID), SignalConfigure, settings,
			client.StartWorkflowOptions{ID: TriageWorkflowID(customer.ID), TaskQueue: TaskQueue, TypedSearchAttributes: attributes,
				Priority: temporal.Priority{PriorityKey: 1}},
			TriageWorkflowType, TriageInput{Customer: customer.ID, Settings: settings})
		if err != nil {
			return fmt.Errorf("starting the triage of customer %s: %w", customer.ID, err)
		}
		_, err = c.SignalWithStartWorkflow(ctx, TuningWorkflowID(customer.ID), SignalHandOver, nil,
			client.StartWorkflowOptions{ID: TuningWorkflowID(customer.ID), TaskQueue: TaskQueue, TypedSearchAttributes: attributes,
				WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING},
			TuningWorkflowType, TuningInput{Customer: customer.ID})
		if err != nil {
			return fmt.Errorf("starting the suppression rules of customer %s: %w", customer.ID, err)
		}
	}
	return nil
}
