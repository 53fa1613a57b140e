package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// An alert triage handed to its parent itself closes as merged in its first workflow
// task: no signal to the parent, no answer to wait for, nobody paged.
func TestAlertHandedOverByTriageClosesAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	parent := api.CampaignWorkflowID("acme", "malop-0")
	w.Triage = func(a api.Admission) api.TriageAnswer {
		require.True(t, a.HandOver, "a new incident takes a hand-over")
		return api.TriageAnswer{Decision: api.TriageMerged, Parent: parent, HandedOver: true, Why: "the alert belongs to campaign " + parent}
	}

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, api.StateMerged, status.State)
	require.Equal(t, parent, status.Parent)
	require.Equal(t, testworld.Start, status.ClosedAt, "closed in the same instant")
	require.Empty(t, status.Paged)
	for _, s := range w.Signalled {
		require.NotEqual(t, api.SignalJoinedAlert, s.Name, "no join of its own")
	}
}

// handed is n alerts as triage hands them over, on hosts worm-<first+i>.
func handed(first, n int, severity integrations.Severity) api.JoinedAlerts {
	var batch api.JoinedAlerts
	for i := range n {
		id := fmt.Sprintf("w%d", first+i)
		batch.Alerts = append(batch.Alerts, api.JoinedAlert{Incident: "incident/acme/cybereason/" + id, Vendor: "cybereason",
			Alert: integrations.Alert{ID: id, Detection: "Worm", Severity: severity,
				Hosts: []integrations.Host{{Name: fmt.Sprintf("worm-%05d", first+i), Vendor: "cybereason"}}}})
	}
	return batch
}

// A contained campaign isolates the hosts of alerts handed to it many at once, in one
// vendor action per platform, and raises its Severity for a more severe member.
func TestContainedParentIsolatesHandedOverHostsInOneBatch(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testworld.SOCPolicy()
	policy.Response.Policy = "isolate_first"
	w.At(time.Minute, func() { w.Env.SignalWorkflow(api.SignalJoinedAlerts, handed(1, 30, integrations.SeverityHigh)) })
	w.At(2*time.Minute, func() { w.Env.SignalWorkflow(api.SignalJoinedAlerts, handed(31, 5, integrations.SeverityCritical)) })
	var during api.IncidentStatus
	w.At(3*time.Minute, func() { w.Query(api.QueryStatus, &during) })
	w.Decide(4*time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictFalsePositive, Note: "red team"})

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Len(t, during.Containment.Hosts, 36, "pc-1 and the 35 joined hosts: %v", during.Containment.Hosts)
	require.Equal(t, integrations.SeverityCritical, during.Severity, "a critical member raised the campaign")
	require.Equal(t, 35, during.JoinedCount)
	var batches int
	for _, e := range during.Timeline {
		if e.Kind == "action" && strings.HasPrefix(e.Text, "isolate of ") {
			batches++
		}
	}
	require.Equal(t, 2, batches, "one isolate action per handed-over batch: %v", during.Timeline)
	require.False(t, status.Containment.Active(), "a false positive releases every host")
	released := 0
	for _, call := range w.Platform.Calls() {
		if strings.HasPrefix(call, "release ") {
			released++
		}
	}
	require.Equal(t, 36, released)
}

// Alerts handed to an incident that concluded meanwhile start again as incidents of
// their own: none is lost between two.
func TestAlertsHandedToAConcludedIncidentStartAgain(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var reopened []api.ReopenRequest
	var mu sync.Mutex
	w.Env.OnActivity("ReopenIncidents", mock.Anything, mock.Anything).Return(func(_ context.Context, r api.ReopenRequest) error {
		mu.Lock()
		defer mu.Unlock()
		reopened = append(reopened, r)
		return nil
	})
	// Verdict, then the hand-over as the incident does its bookkeeping.
	w.Platform.Delays["writeback malop-1 false_positive"] = time.Second
	w.Decide(time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictFalsePositive})
	w.At(time.Minute+time.Millisecond, func() { w.Env.SignalWorkflow(api.SignalJoinedAlerts, handed(1, 3, integrations.SeverityHigh)) })
	policy := testworld.SOCPolicy()
	policy.Response.Policy = "investigate_first"

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, api.StateResolved, status.State)
	require.Len(t, reopened, 1)
	require.Len(t, reopened[0].Alerts, 3)
	require.Equal(t, status.WorkflowID, reopened[0].Parent)
}

// A campaign of thousands keeps the latest of its members and the first hosts in full,
// the rest by platform and name: what it carries into a new run stays small; its
// verdict is written back to every member from visibility.
func TestCampaignOfThousandsKeepsASmallState(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var writtenBack []api.MembersWriteBack
	w.Env.OnActivity("WriteBackMembers", mock.Anything, mock.Anything).Return(func(_ context.Context, r api.MembersWriteBack) (int, error) {
		writtenBack = append(writtenBack, r)
		return 20000, nil
	})
	for i := range 40 {
		w.At(time.Duration(i+1)*time.Second, func() { w.Env.SignalWorkflow(api.SignalJoinedAlerts, handed(1+i*500, 500, integrations.SeverityHigh)) })
	}
	var during api.IncidentStatus
	w.At(time.Minute, func() { w.Query(api.QueryStatus, &during) })
	w.Decide(2*time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictTruePositive})
	w.Decide(3*time.Minute, api.DecisionClose, api.Decision{By: "hanako", Note: "cleaned"})
	in := input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1"))
	in.Policy.Response.Policy = "investigate_first"
	in.Vendor, in.Campaign = api.CampaignVendor, &api.CampaignInfo{Key: "detection:worm"}

	w.Run(in)

	require.Equal(t, 20000, during.JoinedCount)
	require.Len(t, during.Joined, 200, "the latest members")
	require.Len(t, during.Alert.Hosts, 1000, "the first hosts in full")
	more := 0
	for _, v := range during.MoreHosts {
		more += len(v.Names)
	}
	require.Equal(t, 20001-1000, more, "the rest by name")
	carried, err := json.Marshal(during)
	require.NoError(t, err)
	require.Less(t, len(carried), 1<<20, "the state carried into a new run: %d bytes", len(carried))
	require.Len(t, writtenBack, 1, "the verdict went to the members through visibility")
	require.Equal(t, api.VerdictTruePositive, writtenBack[0].Verdict)
}

// Hosts handed over one at a time to a contained campaign while its isolation of
// another runs go together in the next vendor call, not a call each.
func TestHostsHandedOverOneByOneWhileAnIsolationRunsGoInOneCall(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testworld.SOCPolicy()
	policy.Response.Policy = "isolate_first"
	w.At(time.Minute, func() {
		for i := range 5 {
			w.Env.SignalWorkflow(api.SignalJoinedAlerts, handed(1+i, 1, integrations.SeverityHigh))
		}
	})
	var during api.IncidentStatus
	w.At(3*time.Minute, func() { w.Query(api.QueryStatus, &during) })
	w.Decide(4*time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictFalsePositive, Note: "red team"})

	w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Len(t, during.Containment.Hosts, 6, "pc-1 and the 5 joined hosts: %v", during.Containment.Hosts)
	var actions []string
	for _, e := range during.Timeline {
		if e.Kind == "action" {
			actions = append(actions, e.Text)
		}
	}
	require.Len(t, actions, 3, "pc-1, then the first joined host alone, then the other four together: %v", actions)
	require.Contains(t, actions[2], "isolate of 4 hosts")
}
