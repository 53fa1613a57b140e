package incident

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// A critical incident pages first and asks triage by Signal: its admission names its
// run, so that a recurrence after the suppressing rule was retired is a new question,
// not the first run's answer again.
func TestUrgentIncidentAsksTriageBySignalNamingItsRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Decide(time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "test"})

	w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityCritical, "pc-1")))

	asked := w.Admissions()
	require.Len(t, asked, 1)
	require.False(t, asked[0].Update, "asked by Signal")
	require.NotEmpty(t, asked[0].Arg.(api.Admission).Run, "the admission names the run that asks")
}

// Triage named an owner that turned out to be over (the join failed): the incident asks
// triage again, naming it, and does what the second answer says — here a rule
// suppresses it, where it used to page as an incident of its own.
func TestAlertWhoseParentIsGoneAsksTriageAgainAndIsSuppressed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	gone := "incident/acme/cybereason/malop-0"
	w.SignalFails[gone] = errors.New("unknown external workflow execution")
	w.Triage = func(a api.Admission) api.TriageAnswer {
		if a.Gone == gone {
			return api.TriageAnswer{Decision: api.TriageSuppressed, Rule: suppressingRule(), Why: "rule R-7 matched: nightly IT inventory script"}
		}
		return api.TriageAnswer{Decision: api.TriageMerged, Parent: gone, Why: "host pc-1 has an open incident"}
	}

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, api.StateSuppressed, status.State)
	require.Equal(t, "R-7", status.Rule.ID)
	require.Empty(t, status.Paged, "nobody paged")
	asked := w.Admissions()
	require.Len(t, asked, 2)
	require.Equal(t, gone, asked[1].Arg.(api.Admission).Gone)
	require.True(t, timelineHas(status, "join_failed", gone))
}

// An incident that blocked indicators through Zscaler joins an incident of another
// platform: the parent holds the blocks now, and releases them through Zscaler when it
// is decided a false positive.
func TestJoinedBlocksAreReleasedThroughTheirOwnPlatform(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testworld.SOCPolicy()
	policy.Response.Policy = "investigate_first"
	blocked := integrations.Indicator{Type: "url", Value: "evil.example/payload"}
	w.At(time.Second, func() {
		w.Env.SignalWorkflow(api.SignalJoinedAlert, api.JoinedAlert{Incident: "incident/acme/zscaler/nss-1", Vendor: "zscaler",
			Alert:   integrations.Alert{ID: "nss-1", Detection: "Malware download", Severity: integrations.SeverityHigh, Hosts: []integrations.Host{{Name: "pc-1", Vendor: "zscaler"}}},
			Blocked: []integrations.Indicator{blocked}, Why: "host pc-1 has an open incident"})
	})
	var joined api.IncidentStatus
	w.At(time.Minute, func() { w.Query(api.QueryStatus, &joined) })
	w.Decide(2*time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictFalsePositive, Note: "test download"})

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, []api.CarriedBlock{{Vendor: "zscaler", Indicators: []integrations.Indicator{blocked}}}, joined.Containment.Carried)
	require.Contains(t, w.Platform.Calls(), "unblock evil.example/payload")
	w.Platform.Mu.Lock()
	require.Equal(t, []string{"zscaler"}, w.Platform.UnblockedBy, "released through the platform that blocked it")
	w.Platform.Mu.Unlock()
	require.False(t, status.Containment.Active(), "nothing is held after the release")
}

// A campaign of thousands of alerts writes its verdict back to each in bounded batches:
// a workflow may have at most 2,000 activities pending, and more would never let it
// finish concluding.
func TestWriteBackOfThousandsOfJoinedAlertsGoesInBoundedBatches(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Platform.WriteBackDelay = time.Millisecond
	alert := testAlert(integrations.SeverityHigh, "pc-1")
	carried := api.IncidentStatus{
		WorkflowID: "incident/acme/cybereason/malop-1", Customer: "acme", Vendor: "cybereason", Alert: alert,
		Severity: integrations.SeverityHigh, State: api.StateInvestigating, OpenedAt: testworld.Start,
	}
	for i := range 2500 {
		carried.Joined = append(carried.Joined, api.JoinedRef{Incident: fmt.Sprintf("incident/acme/cybereason/j%d", i), Vendor: "cybereason",
			AlertID: fmt.Sprintf("j%d", i), Detection: "Worm", Severity: integrations.SeverityHigh, At: testworld.Start})
	}
	w.Decide(time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictTruePositive})
	w.Decide(2*time.Minute, api.DecisionClose, api.Decision{By: "hanako", Note: "cleaned"})
	in := input(testworld.SOCPolicy(), alert)
	in.Resume = &carried

	w.Run(in)

	w.Platform.Mu.Lock()
	defer w.Platform.Mu.Unlock()
	require.Len(t, w.Platform.Conclusions, 2501, "every alert told the verdict")
	require.LessOrEqual(t, w.Platform.MostWritingBack, writeBackBatch, "at most a batch in flight at once")
	ids := map[string]bool{}
	for _, c := range w.Platform.Conclusions {
		ids[c.AlertID] = true
	}
	require.Len(t, ids, 2501, "each once")
	require.True(t, slices.ContainsFunc(w.Platform.Conclusions, func(c integrations.Conclusion) bool { return c.AlertID == "j2499" }))
}
