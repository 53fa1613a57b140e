package casework

import "go.temporal.io/sdk/workflow"

// InFlight is the work a workflow runs beside its story or loop (notifications,
// signals, vendor calls), so that a slow channel never holds the next step: each is
// waited for in a coroutine of its own, and counted, because a workflow must neither
// continue as new nor end while any is out (its outcome would be lost).
type InFlight struct{ running int }

// Idle tells whether nothing is out.
func (f *InFlight) Idle() bool { return f.running == 0 }

// Await waits for work the story started, beside it, and hands its outcome to done
// (get reads the answer) once it finished.
func (f *InFlight) Await(ctx workflow.Context, work workflow.Future, done func(ctx workflow.Context, get func(into any) error)) {
	f.running++
	workflow.Go(ctx, func(ctx workflow.Context) {
		_ = work.Get(ctx, nil)
		done(ctx, func(into any) error { return work.Get(ctx, into) })
		f.running--
	})
}

// Start starts work in a coroutine of its own, and hands its outcome to done once it
// finished. Unlike Await, the work's command goes out when that coroutine first runs,
// after the commands the story issues before it yields: the Account's and the
// Request's notifications were written so, and their histories keep that order.
func (f *InFlight) Start(ctx workflow.Context, start func(ctx workflow.Context) workflow.Future, done func(ctx workflow.Context, get func(into any) error)) {
	f.running++
	workflow.Go(ctx, func(ctx workflow.Context) {
		work := start(ctx)
		_ = work.Get(ctx, nil)
		done(ctx, func(into any) error { return work.Get(ctx, into) })
		f.running--
	})
}
