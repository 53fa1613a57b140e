package request

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"xsoc/identity"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
	"xsoc/workflows/start"
)

func timelineKind(s api.RequestStatus, kind string) []api.Entry {
	var found []api.Entry
	for _, e := range s.Timeline {
		if e.Kind == kind {
			found = append(found, e)
		}
	}
	return found
}

// A request's decisions are their senders', as an incident's: a stamped accept
// without "by" is hanako's, verified; a "by" naming someone else is refused; the
// tickets are consumed with the stamp passed on, and the records say who, proven how.
func TestRequestDecisionsAreTheirStampsSenders(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	var a *start.Calls
	var consumed []api.ConsumeRequest
	w.Env.OnActivity(a.ConsumeTickets, mock.Anything, mock.Anything).Return(func(_ context.Context, r api.ConsumeRequest) (int, error) {
		consumed = append(consumed, r)
		return 18, nil
	})
	mismatch := w.answer(time.Minute, api.DecisionAccept, api.RequestDecision{Stamp: testworld.Stamp("hanako", identity.ViaToken, time.Minute), By: "sato"})
	accept := api.RequestDecision{Stamp: testworld.Stamp("hanako", identity.ViaToken, 2*time.Minute)}
	accepted := w.answer(2*time.Minute, api.DecisionAccept, accept)
	copied := w.answer(3*time.Minute, api.DecisionDone, api.RequestDecision{Stamp: accept.Stamp, Note: "copied"})
	done := w.answer(4*time.Minute, api.DecisionDone, api.RequestDecision{By: "taro", Note: "report delivered"})

	status := w.run(requestInput(requestSOCPolicy(), api.CustomerRequest{Kind: api.RequestOption, Service: "forensics", Tickets: 2}, []string{}...))

	require.ErrorAs(t, mismatch.Rejected, new(*identity.MismatchError))
	require.NoError(t, accepted.Refusal())
	require.ErrorAs(t, copied.Rejected, new(*identity.ReplayError))
	require.NoError(t, done.Refusal())
	require.Len(t, consumed, 1)
	require.Equal(t, "hanako", consumed[0].By)
	require.Equal(t, accept.Principal, consumed[0].Principal, "the Account checks the same stamp")
	require.Equal(t, &api.Acknowledgement{By: "hanako", Verified: true, Via: identity.ViaToken, At: testworld.Start.Add(2 * time.Minute)}, status.Acknowledged)
	require.Equal(t, "hanako", status.Accepted.By)
	require.True(t, status.Accepted.Verified)
	require.True(t, status.Tickets.Verified)
	require.Equal(t, api.DecisionRecord{By: "taro", Note: "report delivered", At: testworld.Start.Add(4 * time.Minute)}, *status.Done)
	accepts := timelineKind(status, "accepted")
	require.Len(t, accepts, 1)
	require.NotNil(t, accepts[0].Verified)
	require.True(t, *accepts[0].Verified)
	require.Equal(t, identity.ViaToken, accepts[0].Via)
	dones := timelineKind(status, "done")
	require.NotNil(t, dones[0].Verified)
	require.False(t, *dones[0].Verified, "taro declared")
}

// A Signal the key ring did not encrypt is dropped with a line saying why; a stamped
// Signal whose by names someone else is rejected; neither decides.
func TestRefusedRequestSignalsDecideNothing(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	w.At(time.Minute, func() {
		w.Env.SignalWorkflow(api.DecisionDecline, map[string]string{identity.RefusedField: "payload 0 is not encrypted with a key of the ring"})
	})
	w.At(2*time.Minute, func() {
		w.Env.SignalWorkflow(api.DecisionDecline, api.RequestDecision{Stamp: testworld.Stamp("hanako", identity.ViaSlack, 2*time.Minute), By: "mallory", Reason: "x"})
	})
	w.answer(3*time.Minute, api.DecisionDecline, api.RequestDecision{By: "hanako", Reason: "duplicate"})

	status := w.run(requestInput(requestSOCPolicy(), api.CustomerRequest{Kind: api.RequestInvestigate, Host: "osk-pc-17"}))

	refused := timelineKind(status, "refused")
	require.Len(t, refused, 1)
	require.Equal(t, "refused signal decline: payload 0 is not encrypted with a key of the ring", refused[0].Text)
	require.True(t, requestTimelineHas(status, "rejected", `decline refused: "by" names "mallory" but the decision was sent by hanako (slack)`))
	require.Equal(t, "duplicate", status.Declined.Note)
	require.Equal(t, 1, status.Decisions)
}

// Decisions taken as Signals are their stamps' senders' too: a stamped accept is
// hanako's, verified; a copy of its stamp and a stale stamp are rejected, each with a
// line saying why; a done declared by a process holding the ring is declared.
func TestStampedRequestSignalsAreVerifiedOnceAndFresh(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	accept := api.RequestDecision{Stamp: testworld.Stamp("hanako", identity.ViaSlack, time.Minute), Note: "on it"}
	w.At(time.Minute, func() { w.Env.SignalWorkflow(api.DecisionAccept, accept) })
	w.At(2*time.Minute, func() {
		w.Env.SignalWorkflow(api.DecisionDone, api.RequestDecision{Stamp: accept.Stamp, Note: "copied"})
	})
	w.At(40*time.Minute, func() {
		w.Env.SignalWorkflow(api.DecisionDone, api.RequestDecision{Stamp: testworld.Stamp("hanako", identity.ViaToken, 20*time.Minute), Note: "stale"})
	})
	w.At(41*time.Minute, func() {
		w.Env.SignalWorkflow(api.DecisionDone, api.RequestDecision{By: "sato", Note: "findings sent"})
	})

	status := w.run(requestInput(requestSOCPolicy(), api.CustomerRequest{Kind: api.RequestInvestigate, Host: "osk-pc-17"}))

	require.NotNil(t, status.Accepted)
	require.Equal(t, api.DecisionRecord{By: "hanako", Verified: true, Via: identity.ViaSlack, Note: "on it", At: testworld.Start.Add(time.Minute)}, *status.Accepted)
	require.True(t, requestTimelineHas(status, "rejected", "was taken before"), "the copy")
	require.True(t, requestTimelineHas(status, "rejected", "before the workflow took it"), "the stale stamp")
	require.Equal(t, api.DecisionRecord{By: "sato", Note: "findings sent", At: testworld.Start.Add(41 * time.Minute)}, *status.Done)
	require.Equal(t, 2, status.Decisions)
}
