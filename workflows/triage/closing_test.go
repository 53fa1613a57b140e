package triage

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
	"xsoc/workflows/start"
)

// Once the server suggests continuing as new (here as at 90 % of its limit of Updates),
// a busy triage ends its run within moments: it refuses new admissions (the worker asks
// the next run), holds the hand-overs and carries them, and carries the notice that is
// still going out instead of waiting for it.
func TestTriageContinuesAsNewWhenSuggestedWhileANoticeIsGoingOut(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	// Slack takes ten minutes to answer the storm's notice.
	var posts []activities.Notification
	tw.w.Env.OnActivity("PostSlack", mock.Anything, mock.Anything).Return(func(_ context.Context, n activities.Notification) (activities.Delivery, error) {
		posts = append(posts, n)
		return activities.Delivery{Channel: "slack"}, nil
	}).After(10 * time.Minute)
	settings := triageSettings()
	var owners []api.Admission
	for n := 1; n <= 6; n++ {
		owners = append(owners, withRun(handingOver(admission(n, fmt.Sprintf("Detection %d", n), "high", fmt.Sprintf("pc-%d", n))), fmt.Sprintf("r%d", n)))
	}
	// Six new incidents in a minute: a storm, told to the SOC.
	tw.admitBatch(time.Second, "owners", owners...)
	// Then, with the suggestion, an alert joining pc-1's incident by Signal (as
	// critical ones ask).
	tw.w.At(2*time.Second, func() {
		tw.suggestContinueAsNewWithTheNext()
		tw.w.Env.SignalWorkflow(api.SignalAdmit, withRun(handingOver(admission(11, "Follow-up 11", "high", "pc-1")), "r11"))
	})
	tw.w.At(time.Hour, func() { tw.w.Env.CancelWorkflow() })
	tw.w.Env.ExecuteWorkflow(api.TriageWorkflowType, api.TriageInput{Customer: "acme", Settings: settings})

	var next *workflow.ContinueAsNewError
	require.True(t, errors.As(tw.w.Env.GetWorkflowError(), &next), "continued as new: %v", tw.w.Env.GetWorkflowError())
	var in Input
	require.NoError(t, testworld.DecodeInput(next, &in))
	require.Empty(t, posts, "the run did not wait for Slack")
	require.Len(t, in.State.Notices, 1, "the storm's notice carried")
	require.Contains(t, in.State.Notices[0].Notification.Key, "/storm/1/started")
	require.True(t, in.State.Notices[0].Notification.Resent, "marked as possibly sent")
	require.Len(t, in.State.Handovers, 1, "the hand-over held and carried")
	require.Equal(t, "incident/acme/cybereason/a1", in.State.Handovers[0].Parent)
	require.Empty(t, tw.joinedBatches("incident/acme/cybereason/a1"), "nothing handed over by the ending run")

	// The next run sends the notice again, and hands the alert over.
	next2 := newTriageWorld(t)
	var again []activities.Notification
	next2.w.Env.OnActivity("PostSlack", mock.Anything, mock.Anything).Return(func(_ context.Context, n activities.Notification) (activities.Delivery, error) {
		again = append(again, n)
		return activities.Delivery{Channel: "slack"}, nil
	})
	next2.w.At(time.Minute, func() { next2.w.Env.CancelWorkflow() })
	next2.w.Env.ExecuteWorkflow(api.TriageWorkflowType, in)
	require.Len(t, again, 1, "the carried notice sent once")
	require.True(t, again[0].Resent)
	require.Equal(t, [][]string{{"a11"}}, next2.joinedBatches("incident/acme/cybereason/a1"))
}

// An admission by Update after the server suggested continuing as new is refused as
// one to ask again of the next run, never as a refusal that makes the incident page.
func TestTriageRefusesAdmissionsWhileItContinuesAsNew(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	tw.admitBatch(time.Second, "before", withRun(handingOver(admission(1, "Detection 1", "high", "pc-1")), "r1"))
	refused := &testworld.UpdateOutcome{}
	tw.w.At(2*time.Second, func() {
		tw.suggestContinueAsNewWithTheNext()
		tw.admitBatchNow(refused, "after", withRun(handingOver(admission(2, "Follow-up 2", "high", "pc-1")), "r2"))
	})
	tw.w.At(time.Hour, func() { tw.w.Env.CancelWorkflow() })
	tw.w.Env.ExecuteWorkflow(api.TriageWorkflowType, api.TriageInput{Customer: "acme", Settings: triageSettings()})

	var next *workflow.ContinueAsNewError
	require.True(t, errors.As(tw.w.Env.GetWorkflowError(), &next), "continued as new: %v", tw.w.Env.GetWorkflowError())
	var refusal *temporal.ApplicationError
	require.True(t, errors.As(refused.Rejected, &refusal), "the admission after the suggestion refused: %+v", refused)
	require.Equal(t, api.ErrorTriageContinuing, refusal.Type())
	require.False(t, start.TriageRefused(refused.Rejected), "not a refusal that pages")
}

// suggestContinueAsNewWithTheNext has the server suggest continuing as new in the
// workflow task of what a callback sends after it: the test environment runs a task
// for the callback's own timer first.
func (tw *triageWorld) suggestContinueAsNewWithTheNext() {
	tw.w.At(0, func() { tw.w.Env.SetContinueAsNewSuggested(true) })
}
