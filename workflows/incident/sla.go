package incident

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// passClocks moves the clocks whose moment has come: at risk, or breached, which is
// recorded and pages the next level of the triaging tier.
func (inc *incident) passClocks(ctx workflow.Context) {
	before := inc.status.slaState()
	for _, name := range inc.status.advanceClocks(workflow.Now(ctx)) {
		due := inc.status.clock(name).Due
		inc.record(ctx, casework.NewEntry(workflow.Now(ctx), "sla_breach", "", casework.Facts("clock", name, "due", due.Format(time.RFC3339)),
			"SLA breached: %s was due %s", name, due.Format(time.RFC3339)))
		inc.pageBreach(ctx, name)
	}
	if inc.status.slaState() != before {
		inc.publish(ctx)
	}
}

// closeClocks stops every clock still running: the incident is over.
func (inc *incident) closeClocks() {
	for _, name := range []string{api.ClockAck, api.ClockVerdict, api.ClockContain} {
		inc.status.dropClock(name)
	}
}

// clocksChanged publishes the new SLA state.
func (inc *incident) clocksChanged(ctx workflow.Context) { inc.publish(ctx) }
