package triage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"xsoc/workflows/api"
)

func handingOver(a api.Admission) api.Admission {
	a.HandOver = true
	return a
}

// joinedBatches answers the alert ids of each JoinedAlerts signal triage sent a parent.
func (tw *triageWorld) joinedBatches(parent string) [][]string {
	tw.w.Mu.Lock()
	defer tw.w.Mu.Unlock()
	var batches [][]string
	for _, s := range tw.w.Signalled {
		if s.Name == api.SignalJoinedAlerts && s.WorkflowID == parent {
			var ids []string
			for _, j := range s.Arg.(api.JoinedAlerts).Alerts {
				ids = append(ids, j.Alert.ID)
			}
			batches = append(batches, ids)
		}
	}
	return batches
}

// Alerts that join an open incident are handed to it by triage, a signal per workflow
// task of triage, and
// their incidents are told so; an incident of an older build is not (it joins itself).
// The alert that completes a campaign is answered as handed over: the campaign started
// with it among its members.
func TestTriageHandsJoiningAlertsToTheirParentInOneSignal(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	tw.ask(time.Second, withRun(handingOver(admission(1, "Mimikatz", "high", "pc-1")), "r1"))
	tw.w.At(2*time.Second, func() {
		for n := 2; n <= 6; n++ {
			tw.askNow(withRun(handingOver(admission(n, fmt.Sprintf("Follow-up %d", n), "high", "pc-1")), fmt.Sprintf("r%d", n)))
		}
		tw.askNow(withRun(admission(7, "Follow-up 7", "high", "pc-1"), "r7"))
	})
	tw.ask(time.Minute, withRun(handingOver(admission(11, "Worm", "high", "pc-11")), "r11"))
	tw.ask(time.Minute, withRun(handingOver(admission(12, "Worm", "high", "pc-12")), "r12"))
	tw.ask(time.Minute, withRun(handingOver(admission(13, "Worm", "high", "pc-13")), "r13"))

	tw.run(time.Hour, triageSettings())

	owner := "incident/acme/cybereason/a1"
	for n := 2; n <= 6; n++ {
		answer := tw.answerByUpdate(n, fmt.Sprintf("r%d", n))
		require.Equal(t, owner, answer.Parent)
		require.True(t, answer.HandedOver)
	}
	require.False(t, tw.answerByUpdate(7, "r7").HandedOver, "an incident that did not ask for a hand-over joins by itself")
	// The test environment runs each Update in a workflow task of its own; the server
	// gives triage the Updates waiting together in one, and they leave in one signal.
	require.Equal(t, []string{"a2", "a3", "a4", "a5", "a6"}, slices.Concat(tw.joinedBatches(owner)...))
	trigger := tw.answerByUpdate(13, "r13")
	require.Equal(t, api.CampaignWorkflowID("acme", "a11"), trigger.Parent)
	require.True(t, trigger.HandedOver)
}

// A parent that is gone when its alerts are handed to it owns nothing any more, and
// its alerts start again as incidents of their own.
func TestTriageStartsAgainTheAlertsAGoneParentCouldNotTake(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	var reopened []api.ReopenRequest
	var mu sync.Mutex
	tw.w.Env.OnActivity("ReopenIncidents", mock.Anything, mock.Anything).Return(func(_ context.Context, r api.ReopenRequest) error {
		mu.Lock()
		defer mu.Unlock()
		reopened = append(reopened, r)
		return nil
	})
	owner := "incident/acme/cybereason/a1"
	tw.ask(time.Second, withRun(handingOver(admission(1, "Mimikatz", "high", "pc-1")), "r1"))
	tw.w.At(2*time.Second, func() {
		tw.w.Mu.Lock()
		tw.w.SignalFails[owner] = errors.New("workflow execution already completed")
		tw.w.Mu.Unlock()
	})
	tw.ask(3*time.Second, withRun(handingOver(admission(2, "Lateral movement", "high", "pc-1")), "r2"))
	tw.ask(time.Minute, withRun(handingOver(admission(3, "Mimikatz", "high", "pc-1")), "r3"))

	tw.run(time.Hour, triageSettings())

	require.True(t, tw.answerByUpdate(2, "r2").HandedOver)
	require.Len(t, reopened, 1)
	require.Equal(t, owner, reopened[0].Parent)
	require.Equal(t, "a2", reopened[0].Alerts[0].Alert.ID)
	require.Equal(t, "r2", reopened[0].Alerts[0].Run, "the handed-over run, which a re-opening waits for")
	require.Equal(t, api.TriageOwn, tw.answerByUpdate(3, "r3").Decision, "the gone parent owns pc-1 no more")
}

// A server that delivers signals slowly while alerts keep being handed over: triage
// keeps at most SignalsInFlight hand-overs out (the server refuses a workflow task
// whose signals pass its limit, and again on every retry); the rest wait and go out
// as the first are delivered, none lost.
func TestTriageKeepsItsHandOversInFlightUnderTheServersLimit(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	tw.w.SignalLatency = 20 * time.Millisecond
	const parents = 6
	var owners, joining []api.Admission
	for n := 1; n <= parents; n++ {
		owners = append(owners, withRun(handingOver(admission(n, fmt.Sprintf("Detection %d", n), "high", fmt.Sprintf("pc-%d", n))), fmt.Sprintf("r%d", n)))
		for k := range 3 {
			m := 10*n + k
			joining = append(joining, withRun(handingOver(admission(m, fmt.Sprintf("Follow-up %d", m), "high", fmt.Sprintf("pc-%d", n))), fmt.Sprintf("r%d", m)))
		}
	}
	tw.admitBatch(time.Second, "owners", owners...)
	tw.admitBatch(2*time.Second, "joining", joining[:parents]...)
	tw.admitBatch(3*time.Second, "joining-more", joining[parents:]...)
	settings := triageSettings()
	settings.SignalsInFlight = 2
	tw.run(time.Hour, settings)

	require.LessOrEqual(t, tw.w.MostSignalsOut, 2, "signals out at once")
	for n := 1; n <= parents; n++ {
		var handed []string
		for _, batch := range tw.joinedBatches(fmt.Sprintf("incident/acme/cybereason/a%d", n)) {
			handed = append(handed, batch...)
		}
		slices.Sort(handed)
		require.Equal(t, []string{fmt.Sprintf("a%d", 10*n), fmt.Sprintf("a%d", 10*n+1), fmt.Sprintf("a%d", 10*n+2)}, handed,
			"every alert handed to its parent once")
	}
}

// A server that delivers signals slowly while a worm's alerts keep joining the same
// parents: triage keeps at most one hand-over out to each parent; the alerts decided
// meanwhile gather and go out together once it is delivered, each handed once.
func TestTriageKeepsOneHandOverOutToEachParent(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	tw.w.SignalLatency = 50 * time.Millisecond
	const parents, waves = 2, 5
	var owners []api.Admission
	for n := 1; n <= parents; n++ {
		owners = append(owners, withRun(handingOver(admission(n, fmt.Sprintf("Detection %d", n), "high", fmt.Sprintf("pc-%d", n))), fmt.Sprintf("r%d", n)))
	}
	tw.admitBatch(time.Second, "owners", owners...)
	want := map[string][]string{}
	for wave := range waves {
		var joining []api.Admission
		for n := 1; n <= parents; n++ {
			m := 100*n + wave
			joining = append(joining, withRun(handingOver(admission(m, fmt.Sprintf("Follow-up %d", m), "high", fmt.Sprintf("pc-%d", n))), fmt.Sprintf("r%d", m)))
			parent := fmt.Sprintf("incident/acme/cybereason/a%d", n)
			want[parent] = append(want[parent], fmt.Sprintf("a%d", m))
		}
		tw.admitBatch(2*time.Second+time.Duration(wave)*time.Millisecond, fmt.Sprintf("wave-%d", wave), joining...)
	}
	tw.run(time.Hour, triageSettings())

	for parent, ids := range want {
		require.Equal(t, 1, tw.w.MostSignalsOutTo[parent], "hand-overs out at once to %s", parent)
		handed := slices.Concat(tw.joinedBatches(parent)...)
		slices.Sort(handed)
		slices.Sort(ids)
		require.Equal(t, ids, handed, "every alert handed to %s once", parent)
		require.Less(t, len(tw.joinedBatches(parent)), waves, "the alerts decided while one was out went together")
	}
}
