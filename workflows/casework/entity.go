package casework

import "go.temporal.io/sdk/workflow"

// Entity is a workflow that runs for as long as its customer is configured (Triage,
// Tuning, Account). It lives in turns: it takes what arrived, does what is due, carries
// its state into a new run once its history has grown and nothing is in flight, and
// otherwise waits until something arrives or is due. It takes signals with
// ReceiveAsync at the top of a turn, never by a coroutine blocked on a channel: a
// signal handed to a blocked receiver that has not run yet would be lost to the
// continue-as-new.
type Entity interface {
	// Take takes every signal that arrived, in the entity's order.
	Take(ctx workflow.Context)
	// Work does what is due now.
	Work(ctx workflow.Context)
	// ContinueAsNew answers the continue-as-new error when this run should end, nil
	// when it goes on.
	ContinueAsNew(ctx workflow.Context) error
	// Wait waits until something arrives or is due.
	Wait(ctx workflow.Context) error
}

// RunEntity runs an entity's turns until it continues as new (or is cancelled).
func RunEntity(ctx workflow.Context, e Entity) error {
	for {
		e.Take(ctx)
		e.Work(ctx)
		if err := e.ContinueAsNew(ctx); err != nil {
			return err
		}
		if err := e.Wait(ctx); err != nil {
			return err
		}
	}
}

// MayContinueAsNew tells whether a workflow should carry its state into a new run: the
// server suggests it (the history has grown), and nothing would be lost: idle (no
// signal untaken, no work in flight) and no handler running.
func MayContinueAsNew(ctx workflow.Context, idle bool) bool {
	return workflow.GetInfo(ctx).GetContinueAsNewSuggested() && idle && workflow.AllHandlersFinished(ctx)
}
