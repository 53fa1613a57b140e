package triage

import (
	"testing"

	"go.temporal.io/sdk/workflow"

	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
	"xsoc/workflows/start"
)

// newWorld is a world that runs a customer's Triage (package testworld), with a
// stand-in for the campaign incidents it starts, which tests mock by name.
func newWorld(t *testing.T) *testworld.World {
	return testworld.New(t, &start.Calls{}, map[string]any{api.TriageWorkflowType: Triage, api.IncidentWorkflowType: campaignIncident})
}

// campaignIncident stands in for the Incident workflow, which triage reaches only by
// name: tests mock it with env.OnWorkflow.
func campaignIncident(workflow.Context, api.IncidentInput) (api.IncidentStatus, error) {
	return api.IncidentStatus{}, nil
}
