package tuning

import (
	"testing"

	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
	"xsoc/workflows/start"
)

// newWorld is a world that runs a customer's Tuning (package testworld).
func newWorld(t *testing.T) *testworld.World {
	return testworld.New(t, &start.Calls{}, map[string]any{api.TuningWorkflowType: Tuning})
}
