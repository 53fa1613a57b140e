package casework

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/workflows/api"
)

// An incident waits for triage's answer in its first workflow task until 3 s before
// the worker would hold the task by a new one (at 80 % of its timeout).
func TestAnIncidentWaitsForTriageWhileItsFirstTaskLasts(t *testing.T) {
	require.Equal(t, 5*time.Second, AdmitWithinTask(10*time.Second), "the server's default task timeout")
	require.Equal(t, 5*time.Second, AdmitWithinTask(0), "a timeout the workflow was not told")
	require.Equal(t, 13*time.Second, AdmitWithinTask(api.IncidentTaskTimeout), "as intake starts incidents")
	require.Equal(t, time.Second, AdmitWithinTask(2*time.Second), "at least a second")
	options := AdmitWithinTaskOptions(api.IncidentTaskTimeout)
	require.Equal(t, 13*time.Second, options.StartToCloseTimeout)
	require.Equal(t, 13*time.Second, options.ScheduleToCloseTimeout)
}
