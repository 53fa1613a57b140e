package casework

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// Alarm is an entity's one timer: it rings at the next due moment, and is only
// replaced when that moment changes, so that events do not churn timers. Awaiting
// code checks Rang(): no coroutine waits on the timer, which keeps an idle entity
// to its one coroutine.
type Alarm struct {
	at     time.Time
	timer  workflow.Future
	cancel workflow.CancelFunc
}

// Rang tells whether the alarm went off.
func (a *Alarm) Rang() bool { return a != nil && a.timer.IsReady() }

// SetAlarm makes the alarm ring at the moment (none when zero or past, or when the
// context is cancelled: its timer would ring at once).
func SetAlarm(ctx workflow.Context, current *Alarm, at time.Time) *Alarm {
	if current != nil && current.at.Equal(at) && !current.Rang() {
		return current
	}
	if current != nil && !current.Rang() {
		current.cancel()
	}
	wait := at.Sub(workflow.Now(ctx))
	if at.IsZero() || wait <= 0 || ctx.Err() != nil {
		return nil
	}
	timerCtx, cancel := workflow.WithCancel(ctx)
	return &Alarm{at: at, timer: workflow.NewTimer(timerCtx, wait), cancel: cancel}
}
