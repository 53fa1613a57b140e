package casework

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/config"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

func TestClocksNeverMoveBackwards(t *testing.T) {
	var clocks []api.Clock
	PlanClocks(&clocks, testworld.Start, config.SLA{Ack: testworld.Minutes(5)})
	PlanClocks(&clocks, testworld.Start.Add(time.Minute), config.SLA{Ack: testworld.Minutes(30), Verdict: testworld.Minutes(60)})
	require.Equal(t, testworld.Start.Add(5*time.Minute), FindClock(clocks, api.ClockAck).Due)
	require.Equal(t, testworld.Start.Add(61*time.Minute), FindClock(clocks, api.ClockVerdict).Due, "a clock the lower Severity lacked starts at the raise")
}
