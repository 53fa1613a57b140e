package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"xsoc/identity"
	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
	"xsoc/workflows/start"
)

func entries(s api.IncidentStatus, kind string) []api.Entry {
	var found []api.Entry
	for _, e := range s.Timeline {
		if e.Kind == kind {
			found = append(found, e)
		}
	}
	return found
}

func verified(e api.Entry) string {
	switch {
	case e.Verified == nil:
		return "unsigned"
	case *e.Verified:
		return "verified " + e.Via
	}
	return "declared"
}

// A decision sent through the codec server without "by" is its sender's, verified;
// one whose "by" names someone else is refused, naming both; one a process holding the
// ring sends with its own "by" is declared.
func TestStampedDecisionsAreTheirSendersVerified(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	mismatch := w.Decide(time.Minute, api.DecisionAcknowledge, api.Decision{Stamp: testworld.Stamp("hanako", identity.ViaToken, time.Minute), By: "sato"})
	nobody := w.Decide(90*time.Second, api.DecisionAcknowledge, api.Decision{})
	ack := w.Decide(2*time.Minute, api.DecisionAcknowledge, api.Decision{Stamp: testworld.Stamp("hanako", identity.ViaSSO, 2*time.Minute)})
	comment := w.Decide(3*time.Minute, api.DecisionComment, api.Decision{By: "taro", Note: "looking"})
	verdict := w.Decide(4*time.Minute, api.DecisionVerdict, api.Decision{Stamp: testworld.Stamp("sato", identity.ViaToken, 4*time.Minute),
		By: "Sato", Verdict: api.VerdictFalsePositive, Note: "admin tool"})

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.ErrorAs(t, mismatch.Rejected, new(*identity.MismatchError))
	require.ErrorContains(t, mismatch.Rejected, `"sato"`)
	require.ErrorContains(t, mismatch.Rejected, "hanako (token)")
	require.ErrorIs(t, nobody.Rejected, identity.ErrNoAuthor)
	for _, o := range []*testworld.UpdateOutcome{ack, comment, verdict} {
		require.NoError(t, o.Refusal())
	}
	require.Equal(t, &api.Acknowledgement{By: "hanako", Verified: true, Via: identity.ViaSSO, At: testworld.Start.Add(2 * time.Minute)}, status.Acknowledged)
	require.Equal(t, &api.DecisionRecord{By: "sato", Verified: true, Via: identity.ViaToken, Note: "admin tool", At: testworld.Start.Add(4 * time.Minute)},
		status.Decider, "a by naming the sender, letter case aside, is the stamp's name")
	require.Equal(t, "verified sso", verified(entries(status, "acknowledged")[0]))
	require.Equal(t, "declared", verified(entries(status, "comment")[0]))
	require.Equal(t, "taro", entries(status, "comment")[0].By)
	require.Equal(t, "verified token", verified(entries(status, "verdict")[0]))
	require.Equal(t, "verified token", verified(entries(status, "closed")[0]))
	require.Equal(t, "unsigned", verified(entries(status, "opened")[0]), "xsoc's own lines are nobody's")
	require.Equal(t, 3, status.Decisions)
	require.NotContains(t, fmt.Sprint(status.Timeline), "sato (declared)")
}

// A Signal the key ring did not encrypt reaches the incident as refused: it is dropped
// with a line saying why, and decides nothing. A stamped Signal whose "by" names
// someone else is recorded as rejected.
func TestRefusedAndMismatchedSignalsDecideNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.At(time.Minute, func() {
		w.Env.SignalWorkflow(api.DecisionClose, map[string]string{identity.RefusedField: "payload 0 is not encrypted with a key of the ring"})
	})
	w.Signal(2*time.Minute, api.DecisionClose, api.Decision{Stamp: testworld.Stamp("hanako", identity.ViaToken, 2*time.Minute), By: "mallory", Note: "x"})
	w.Signal(3*time.Minute, api.DecisionComment, api.Decision{Stamp: testworld.Stamp("hanako", identity.ViaSlack, 3*time.Minute), Note: "by signal"})
	w.Decide(4*time.Minute, api.DecisionClose, api.Decision{By: "hanako", Note: "done"})

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	refused := entries(status, "refused")
	require.Len(t, refused, 1)
	require.Equal(t, "refused signal close: payload 0 is not encrypted with a key of the ring", refused[0].Text)
	rejected := entries(status, "rejected")
	require.Len(t, rejected, 1)
	require.Contains(t, rejected[0].Text, `close refused: "by" names "mallory" but the decision was sent by hanako (token)`)
	comment := entries(status, "comment")
	require.Len(t, comment, 1)
	require.Equal(t, "verified slack", verified(comment[0]))
	require.Equal(t, 2, status.Decisions, "the comment and the last close")
	closed := entries(status, "closed")
	require.Len(t, closed, 1)
	require.Equal(t, testworld.Start.Add(4*time.Minute), closed[0].At)
}

// A stamped decision is taken once: the same payload sent again, as an Update or a
// Signal, is refused, and so is a stamp older than identity.MaxStampAge. The stamps
// taken travel with the incident into its next run.
func TestCopiesOfStampedDecisionsAreRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	comment := api.Decision{Stamp: testworld.Stamp("hanako", identity.ViaToken, time.Minute), Note: "first"}
	first := w.Decide(time.Minute, api.DecisionComment, comment)
	again := w.Decide(2*time.Minute, api.DecisionComment, comment)
	w.Signal(3*time.Minute, api.DecisionComment, comment)
	stale := w.Decide(30*time.Minute, api.DecisionComment, api.Decision{Stamp: testworld.Stamp("hanako", identity.ViaToken, 10*time.Minute), Note: "late"})
	carried := w.Decide(31*time.Minute, api.DecisionComment, api.Decision{Stamp: testworld.Stamp("sato", identity.ViaToken, 25*time.Minute), Note: "carried"})
	w.Decide(40*time.Minute, api.DecisionClose, api.Decision{By: "hanako", Note: "done"})
	in := input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1"))
	in.Stamps.Taken = []identity.TakenStamp{{ID: "sato-25m0s", At: testworld.Start.Add(25 * time.Minute)}}

	status := w.Run(in)

	require.NoError(t, first.Refusal())
	require.ErrorAs(t, again.Rejected, new(*identity.ReplayError))
	require.ErrorAs(t, stale.Rejected, new(*identity.StaleError))
	require.ErrorAs(t, carried.Rejected, new(*identity.ReplayError), "a stamp the previous run took")
	require.Len(t, entries(status, "comment"), 1)
	rejected := entries(status, "rejected")
	require.Len(t, rejected, 1, "the signalled copy is recorded")
	require.Contains(t, rejected[0].Text, "was taken before")
}

// use_tickets passes its stamp on to the Account, which checks it again; the
// incident records the tickets against the verified author.
func TestUseTicketsForwardsTheStamp(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var a *start.Calls
	var sent []api.ConsumeRequest
	w.Env.OnActivity(a.ConsumeTickets, mock.Anything, mock.Anything).Return(func(_ context.Context, r api.ConsumeRequest) (int, error) {
		sent = append(sent, r)
		return 18, nil
	})
	use := api.Decision{Stamp: testworld.Stamp("hanako", identity.ViaToken, time.Minute), Service: "forensics", Tickets: 2}
	w.Decide(time.Minute, api.DecisionUseTickets, use)
	w.Decide(3*time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "done"})

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Len(t, sent, 1)
	require.Equal(t, "hanako", sent[0].By)
	require.Equal(t, use.Principal, sent[0].Principal)
	require.Equal(t, []api.TicketUse{{Service: "forensics", Tickets: 2, By: "hanako", Verified: true, Via: identity.ViaToken, At: testworld.Start.Add(time.Minute)}}, status.Tickets)
	require.True(t, slices.ContainsFunc(status.Timeline, func(e api.Entry) bool { return e.Kind == "tickets" && verified(e) == "verified token" }))
}

// The stamps taken go with the incident when it continues as new.
func TestStampsTravelAcrossContinueAsNew(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testworld.SOCPolicy()
	policy.Response.Policy = "investigate_first"
	// As in TestSignalsArrivingAsTheIncidentContinuesAsNewAreCarriedOver: the incident
	// continues as new as soon as its investigation is done.
	w.Env.SetContinueAsNewSuggested(true)
	w.Platform.Delays["investigate malop-1"] = time.Second
	w.Signal(200*time.Millisecond, api.DecisionComment, api.Decision{Stamp: testworld.Stamp("hanako", identity.ViaToken, 200*time.Millisecond), Note: "first"})

	w.Env.ExecuteWorkflow(api.IncidentWorkflowType, input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	var next *workflow.ContinueAsNewError
	require.True(t, errors.As(w.Env.GetWorkflowError(), &next), "the incident continued as new: %v", w.Env.GetWorkflowError())
	var in api.IncidentInput
	require.NoError(t, testworld.DecodeInput(next, &in))
	require.Equal(t, []identity.TakenStamp{{ID: "hanako-200ms", At: testworld.Start.Add(200 * time.Millisecond)}}, in.Stamps.Taken)
}
