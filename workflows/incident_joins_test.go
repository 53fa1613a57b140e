package workflows

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/integrations"
)

// A critical incident pages first and asks triage by Signal: its admission names its
// run, so that a recurrence after the suppressing rule was retired is a new question,
// not the first run's answer again.
func TestUrgentIncidentAsksTriageBySignalNamingItsRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.decide(time.Minute, DecisionClose, Decision{By: "x", Note: "test"})

	w.run(input(socPolicy(), testAlert(integrations.SeverityCritical, "pc-1")))

	asked := w.admissions()
	require.Len(t, asked, 1)
	require.False(t, asked[0].Update, "asked by Signal")
	require.NotEmpty(t, asked[0].Arg.(Admission).Run, "the admission names the run that asks")
}

// Triage named an owner that turned out to be over (the join failed): the incident asks
// triage again, naming it, and does what the second answer says — here a rule
// suppresses it, where it used to page as an incident of its own.
func TestAlertWhoseParentIsGoneAsksTriageAgainAndIsSuppressed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	gone := "incident/acme/cybereason/malop-0"
	w.signalFails[gone] = errors.New("unknown external workflow execution")
	w.triage = func(a Admission) TriageAnswer {
		if a.Gone == gone {
			return TriageAnswer{Decision: TriageSuppressed, Rule: suppressingRule(), Why: "rule R-7 matched: nightly IT inventory script"}
		}
		return TriageAnswer{Decision: TriageMerged, Parent: gone, Why: "host pc-1 has an open incident"}
	}

	status := w.run(input(socPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, StateSuppressed, status.State)
	require.Equal(t, "R-7", status.Rule.ID)
	require.Empty(t, status.Paged, "nobody paged")
	asked := w.admissions()
	require.Len(t, asked, 2)
	require.Equal(t, gone, asked[1].Arg.(Admission).Gone)
	require.True(t, timelineHas(status, "join_failed", gone))
}

// An incident that blocked indicators through Zscaler joins an incident of another
// platform: the parent holds the blocks now, and releases them through Zscaler when it
// is decided a false positive.
func TestJoinedBlocksAreReleasedThroughTheirOwnPlatform(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := socPolicy()
	policy.Response.Policy = "investigate_first"
	blocked := integrations.Indicator{Type: "url", Value: "evil.example/payload"}
	w.at(time.Second, func() {
		w.env.SignalWorkflow(SignalJoinedAlert, JoinedAlert{Incident: "incident/acme/zscaler/nss-1", Vendor: "zscaler",
			Alert:   integrations.Alert{ID: "nss-1", Detection: "Malware download", Severity: integrations.SeverityHigh, Hosts: []integrations.Host{{Name: "pc-1", Vendor: "zscaler"}}},
			Blocked: []integrations.Indicator{blocked}, Why: "host pc-1 has an open incident"})
	})
	var joined IncidentStatus
	w.at(time.Minute, func() { w.query(QueryStatus, &joined) })
	w.decide(2*time.Minute, DecisionVerdict, Decision{By: "hanako", Verdict: VerdictFalsePositive, Note: "test download"})

	status := w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, []CarriedBlock{{Vendor: "zscaler", Indicators: []integrations.Indicator{blocked}}}, joined.Containment.Carried)
	require.Contains(t, w.platform.Calls(), "unblock evil.example/payload")
	w.platform.mu.Lock()
	require.Equal(t, []string{"zscaler"}, w.platform.unblockedBy, "released through the platform that blocked it")
	w.platform.mu.Unlock()
	require.False(t, status.Containment.Active(), "nothing is held after the release")
}

// A campaign of thousands of alerts writes its verdict back to each in bounded batches:
// a workflow may have at most 2,000 activities pending, and more would never let it
// finish concluding.
func TestWriteBackOfThousandsOfJoinedAlertsGoesInBoundedBatches(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.platform.writeBackDelay = time.Millisecond
	alert := testAlert(integrations.SeverityHigh, "pc-1")
	carried := IncidentStatus{
		WorkflowID: "incident/acme/cybereason/malop-1", Customer: "acme", Vendor: "cybereason", Alert: alert,
		Severity: integrations.SeverityHigh, State: StateInvestigating, OpenedAt: testStart,
	}
	for i := range 2500 {
		carried.Joined = append(carried.Joined, JoinedRef{Incident: fmt.Sprintf("incident/acme/cybereason/j%d", i), Vendor: "cybereason",
			AlertID: fmt.Sprintf("j%d", i), Detection: "Worm", Severity: integrations.SeverityHigh, At: testStart})
	}
	w.decide(time.Minute, DecisionVerdict, Decision{By: "hanako", Verdict: VerdictTruePositive})
	w.decide(2*time.Minute, DecisionClose, Decision{By: "hanako", Note: "cleaned"})
	in := input(socPolicy(), alert)
	in.Resume = &carried

	w.run(in)

	w.platform.mu.Lock()
	defer w.platform.mu.Unlock()
	require.Len(t, w.platform.conclusions, 2501, "every alert told the verdict")
	require.LessOrEqual(t, w.platform.mostWritingBack, writeBackBatch, "at most a batch in flight at once")
	ids := map[string]bool{}
	for _, c := range w.platform.conclusions {
		ids[c.AlertID] = true
	}
	require.Len(t, ids, 2501, "each once")
	require.True(t, slices.ContainsFunc(w.platform.conclusions, func(c integrations.Conclusion) bool { return c.AlertID == "j2499" }))
}
