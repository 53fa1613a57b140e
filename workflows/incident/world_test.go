package incident

import (
	"testing"

	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
	"xsoc/workflows/start"
)

// newWorld is a world that runs incidents (package testworld).
func newWorld(t *testing.T) *testworld.World {
	return testworld.New(t, &start.Calls{}, map[string]any{api.IncidentWorkflowType: Incident})
}
