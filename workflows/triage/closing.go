package triage

import (
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// Continuing as new in a storm. The server takes at most history.maxTotalUpdates
// (2,000) Updates in one run of a workflow and refuses every Update after them; it
// suggests continuing as new at 90 % of that, as it does when the history grows. In a
// worm every admission batch is an Update, and triage continued as new only when idle:
// nothing in flight, no hand-over held, no notice going out. It never was. A notice to
// the SOC that Slack kept refusing, or whose task the server lost, held the run past
// the limit, and the server refused every admission after it.
//
// From triageVersionContinuesBusy, once the server suggests continuing as new, triage
// closes its run:
//   - it refuses new admissions (ErrorTriageContinuing), and the worker asks again a
//     moment later, of the new run (start's admission batches);
//   - it sends nothing more that can wait: hand-overs and rule hits stay in its state,
//     which the new run carries and sends;
//   - the notices still going out are carried too, and sent again by the new run,
//     marked as possibly sent (the Slack client then looks for the post before
//     posting);
//   - it waits for its signals in flight (the server would drop one whose sender has
//     ended) and for what it is deciding, then continues as new.
//
// The run closes in the time the server takes to deliver its signals in flight. Runs of
// version 4 kept up to SignalsInFlight out: seconds in tests/updatelimit, but 4.5
// minutes for 998 signals on a dev server saturated by a 20,000-alert worm, admissions
// refused meanwhile. From triageVersionHandoverPerParent at most one hand-over is out
// to each parent (handover.go), so a worm's closing run waits for about one signal per
// open campaign.

// triageVersionContinuesBusy: the run continues as new when the server suggests it,
// busy or not (closing).
const triageVersionContinuesBusy workflow.Version = 4

// closing tells whether this run is ending: the server suggested continuing as new.
func (t *triage) closing(ctx workflow.Context) bool {
	return t.continuesBusy && workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// refuseWhileClosing refuses an admission while the run is ending: it is asked again
// of the next run.
func (t *triage) refuseWhileClosing(ctx workflow.Context) error {
	if t.closing(ctx) {
		return temporal.NewApplicationError("triage is continuing as new: ask again", api.ErrorTriageContinuing)
	}
	return nil
}

// readyToClose tells whether an ending run may continue as new: every signal taken,
// nothing but notices in flight, no decision or handler running.
func (t *triage) readyToClose(ctx workflow.Context) bool {
	return !t.signalsWaiting() && t.effects.Idle() && !t.deciding && workflow.AllHandlersFinished(ctx)
}

// sendNotice sends a notice beside the loop. From triageVersionContinuesBusy it is
// kept in noticesOut until it ends, so that a run ending before then carries it.
func (t *triage) sendNotice(ctx workflow.Context, m casework.Message, done func(ctx workflow.Context, err error)) {
	future := casework.Send(ctx, casework.NotifyOptions, m)
	if !t.continuesBusy {
		t.effects.Await(ctx, future, func(ctx workflow.Context, get func(any) error) { done(ctx, get(nil)) })
		return
	}
	t.noticesOut = append(t.noticesOut, m)
	workflow.Go(ctx, func(ctx workflow.Context) {
		err := future.Get(ctx, nil)
		// A notice's key names it (casework.Messages): two going out under one key are
		// the same notice, and each end takes one out.
		if i := slices.IndexFunc(t.noticesOut, func(out casework.Message) bool { return out.Notification.Key == m.Notification.Key }); i >= 0 {
			t.noticesOut = slices.Delete(t.noticesOut, i, i+1)
		}
		done(ctx, err)
	})
}

// carryNotices puts the notices still going out into the state the next run starts
// with, marked as possibly sent.
func (t *triage) carryNotices() {
	for _, m := range t.noticesOut {
		m.Notification.Resent = true
		t.state.Notices = append(t.state.Notices, m)
	}
}

// resendCarriedNotices sends the notices the previous run left going out.
func (t *triage) resendCarriedNotices(ctx workflow.Context) {
	carried := t.state.Notices
	t.state.Notices = nil
	for _, m := range carried {
		t.sendNotice(ctx, m, func(ctx workflow.Context, err error) {
			if err != nil {
				workflow.GetLogger(ctx).Warn("a SOC notice carried from the previous run failed", "customer", t.in.Customer, "key", m.Notification.Key, "error", err)
			}
		})
	}
}
