package incident

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
	"xsoc/workflows/internal/testworld"
	"xsoc/workflows/start"
)

func suppressingRule() *api.Rule {
	return &api.Rule{ID: "R-7", By: "hanako", ApprovedBy: "sato", Reason: "nightly IT inventory script", Expires: testworld.Start.Add(24 * time.Hour)}
}

func TestSuppressedAlertClosesAtOncePagingNobodyWithItsClocksMet(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Triage = func(api.Admission) api.TriageAnswer {
		return api.TriageAnswer{Decision: api.TriageSuppressed, Rule: suppressingRule(), Why: "rule R-7 matched: nightly IT inventory script"}
	}

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "osk-pc-1")))

	require.Equal(t, api.StateSuppressed, status.State)
	require.Equal(t, api.VerdictFalsePositive, status.Verdict)
	require.Equal(t, "rule:R-7", status.Decider.By)
	require.Equal(t, "sato", status.Rule.ApprovedBy)
	for _, c := range status.Clocks {
		require.Equal(t, api.SLAMet, c.State, c.Name)
	}
	require.Empty(t, status.Paged, "nobody is paged or told")
	require.Equal(t, []string{"writeback malop-1 false_positive"}, w.Platform.Calls(), "no containment, no investigation; the console learns the verdict")
	require.Equal(t, "R-7", w.Last("XsocRule"))
	require.Equal(t, api.StateSuppressed, w.Last("XsocState"))
	require.Equal(t, api.SLAMet, w.Last("XsocSLAState"))
	require.Equal(t, testworld.Start, status.ClosedAt, "closed in the same instant")
}

func TestAlertThatMatchesNoRuleIsPaged(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testworld.SOCPolicy()
	policy.Response.Policy = "investigate_first"
	w.Decide(time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "test"})

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, []string{"#soc-triage"}, w.Outbox.Pages("slack"))
	require.True(t, timelineHas(status, "triage", "a new incident"))
}

func TestAlertJoiningAnOpenIncidentClosesAsMergedOnceTheParentTookIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	parent := "incident/acme/cybereason/malop-0"
	w.Triage = func(api.Admission) api.TriageAnswer {
		return api.TriageAnswer{Decision: api.TriageMerged, Parent: parent, Why: "host pc-1 has an open incident"}
	}
	w.At(time.Second, func() { w.Env.SignalWorkflow(api.SignalJoinAnswer, api.JoinAnswer{Accepted: true}) })

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, api.StateMerged, status.State)
	require.Equal(t, parent, status.Parent)
	require.Equal(t, parent, w.Last("XsocParent"))
	require.Empty(t, status.Paged, "nobody is paged twice")
	require.Empty(t, w.Platform.Calls())
	var joined *api.JoinedAlert
	for _, s := range w.Signalled {
		if s.Name == api.SignalJoinedAlert && s.WorkflowID == parent {
			j := s.Arg.(api.JoinedAlert)
			joined = &j
		}
	}
	require.NotNil(t, joined, "the alert went to its parent")
	require.Equal(t, "malop-1", joined.Alert.ID)
	require.Equal(t, "cybereason", joined.Alert.Hosts[0].Vendor)
}

func TestAlertWhoseParentRefusesIsAnIncidentOfItsOwn(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Triage = func(api.Admission) api.TriageAnswer {
		return api.TriageAnswer{Decision: api.TriageMerged, Parent: "incident/acme/cybereason/malop-0", Why: "host pc-1 has an open incident"}
	}
	w.At(time.Second, func() {
		w.Env.SignalWorkflow(api.SignalJoinAnswer, api.JoinAnswer{Why: "incident/acme/cybereason/malop-0 is resolved"})
	})
	w.Decide(time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "test"})
	policy := testworld.SOCPolicy()
	policy.Response.Policy = "investigate_first"

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, api.StateSuppressed, status.State, "it lived as its own incident until the analyst closed it")
	require.True(t, timelineHas(status, "join_failed", "is resolved"))
	require.Equal(t, []string{"#soc-triage"}, w.Outbox.Pages("slack"), "and was paged")
}

func TestQASampleGoesToTheSOCQueueWithItsRule(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Triage = func(api.Admission) api.TriageAnswer {
		return api.TriageAnswer{Decision: api.TriageQASample, Rule: suppressingRule(), Why: "rule R-7 matched; suppression 100 is a QA sample"}
	}
	var queued api.IncidentStatus
	w.At(time.Minute, func() { w.Query(api.QueryStatus, &queued) })
	w.Decide(2*time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictFalsePositive, Note: "the rule holds"})

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, api.StateInvestigating, queued.State)
	require.Equal(t, "R-7", w.Last("XsocRule"))
	require.True(t, timelineHas(queued, "qa_sample", "QA sample"))
	require.Equal(t, api.StateResolved, status.State)
	require.Empty(t, w.Outbox.Pages("slack"), "a QA sample waits in the queue; it is not paged")
}

func TestStormAlertIsNotPagedByItselfButKeepsItsClocks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Triage = func(api.Admission) api.TriageAnswer {
		return api.TriageAnswer{Decision: api.TriageOwn, Quiet: true, Why: "storm"}
	}
	w.Decide(time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "storm noise"})
	policy := testworld.SOCPolicy()
	policy.Response.Policy = "investigate_first"

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Empty(t, w.Outbox.Pages("slack"))
	require.NotEmpty(t, status.Clocks)
	require.True(t, timelineHas(status, "paging", "storm digest"))
}

func TestJoiningAlertOfHigherSeverityRepagesAnAcknowledgedIncidentAndIsContained(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Decide(time.Minute, api.DecisionAcknowledge, api.Decision{By: "hanako"})
	joining := testAlert(integrations.SeverityCritical, "pc-1", "pc-2")
	joining.ID = "malop-2"
	w.At(2*time.Minute, func() {
		w.Env.SignalWorkflow(api.SignalJoinedAlert, api.JoinedAlert{Incident: "incident/acme/cybereason/malop-2", Vendor: "cybereason", Alert: joining, Why: "same host"})
	})
	var after api.IncidentStatus
	w.At(3*time.Minute, func() { w.Query(api.QueryStatus, &after) })
	w.Decide(4*time.Minute, api.DecisionAcknowledge, api.Decision{By: "hanako"})
	w.Decide(5*time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictFalsePositive})

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, integrations.SeverityCritical, after.Severity)
	require.Nil(t, after.Acknowledged, "a more severe joining alert needs the SOC again")
	require.Contains(t, w.Outbox.Pages("slack"), "#soc-urgent", "re-paged at critical")
	require.Equal(t, []string{"pc-1", "pc-2"}, after.Containment.Hosts, "the new host of a contained incident is contained too")
	require.True(t, timelineHas(after, "joined", "malop-2 joined"))
	require.Len(t, status.Joined, 1)
	require.Equal(t, 1, status.JoinedCount, "an alert that joined by itself is counted with the handed-over ones")
	require.Contains(t, w.Platform.Calls(), "writeback malop-2 false_positive", "the verdict is written back to the joined alert too")
	answered := false
	for _, s := range w.Signalled {
		if s.Name == api.SignalJoinAnswer && s.WorkflowID == "incident/acme/cybereason/malop-2" {
			answered = s.Arg.(api.JoinAnswer).Accepted
		}
	}
	require.True(t, answered)
}

func TestCampaignMemberHandsItsContainmentToTheCampaign(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	campaign := api.CampaignWorkflowID("acme", "malop-0")
	w.At(2*time.Minute, func() {
		w.Env.SignalWorkflow(api.SignalJoin, api.JoinRequest{Parent: campaign, Why: "3 hosts share detection"})
	})
	w.At(2*time.Minute+time.Second, func() { w.Env.SignalWorkflow(api.SignalJoinAnswer, api.JoinAnswer{Accepted: true}) })

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, api.StateMerged, status.State)
	require.Equal(t, campaign, status.Parent)
	var handed []string
	for _, s := range w.Signalled {
		if s.Name == api.SignalJoinedAlert {
			handed = s.Arg.(api.JoinedAlert).Contained
		}
	}
	require.Equal(t, []string{"pc-1"}, handed, "the campaign now holds the isolated host")
	require.NotContains(t, w.Platform.Calls(), "release pc-1", "joining releases nothing")
}

// A critical alert pages the SOC before triage answers (triage may be minutes behind
// a storm); triage still decides what it is. A high one waits for triage.
func TestCriticalAlertPagesTheSOCBeforeTriageAnswers(t *testing.T) {
	t.Parallel()
	parent := "incident/acme/cybereason/malop-0"
	for _, tc := range []struct {
		severity integrations.Severity
		paged    []string
	}{
		{integrations.SeverityCritical, []string{"#soc-urgent"}},
		{integrations.SeverityHigh, nil},
	} {
		t.Run(string(tc.severity), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.Triage = func(api.Admission) api.TriageAnswer {
				return api.TriageAnswer{Decision: api.TriageMerged, Parent: parent, Why: "host pc-1 has an open incident"}
			}
			w.At(time.Second, func() { w.Env.SignalWorkflow(api.SignalJoinAnswer, api.JoinAnswer{Accepted: true}) })

			status := w.Run(input(testworld.SOCPolicy(), testAlert(tc.severity, "pc-1")))

			require.Equal(t, api.StateMerged, status.State, "triage decides what the incident is")
			require.Equal(t, tc.paged, w.Outbox.Pages("slack"))
			asked := w.Admissions()
			require.Len(t, asked, 1, "triage is asked once")
			require.Equal(t, api.TriageWorkflowID("acme"), asked[0].WorkflowID)
			require.Equal(t, tc.paged == nil, asked[0].Update,
				"one that waits for triage asks by Update in its first workflow task; one that paged first asks by Signal")
			if tc.paged != nil {
				require.Len(t, status.Paged, 1)
				require.Equal(t, api.TierSOC, status.Paged[0].Tier)
				require.True(t, status.Paged[0].At.Equal(testworld.Start), "paged at once, not when triage answered")
			}
		})
	}
}

// A triage that cannot answer (not running, refusing, or busy past the minute) costs
// no page: the incident pages as a new one and says why in its timeline.
func TestIncidentPagesAsNewWhenTriageCannotAnswer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.TriageDown = temporal.NewNonRetryableApplicationError("the triage of customer acme is not running", "TriageNotFound", nil)
	w.Decide(time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "test"})

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, []string{"#soc-triage"}, w.Outbox.Pages("slack"))
	require.True(t, timelineHas(status, "triage", "is not running): paged as a new incident"), "%v", status.Timeline)
}

// A triage busy with a storm (no answer within the first workflow task) answers later,
// by Signal from the worker that asked, and the incident takes that answer whenever it
// comes: minutes later, a member of a campaign still joins it instead of becoming an
// incident of its own. An answer to another question is not taken; every
// TriageReask without an answer the incident asks again.
func TestIncidentWaitsForABusyTriageWithoutHoldingItsTask(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	campaign := "incident/acme/campaign/malop-0"
	w.TriageBusy = true
	w.At(time.Minute, func() {
		w.Env.SignalWorkflow(api.SignalTriaged, api.TriageAnswer{Decision: api.TriageOwn, Why: "an earlier question's", Asked: "admit/other"})
	})
	w.At(5*time.Minute, func() {
		w.Env.SignalWorkflow(api.SignalTriaged, api.TriageAnswer{Decision: api.TriageMerged, Parent: campaign, HandedOver: true,
			Why: "the alert belongs to campaign " + campaign, Asked: start.AdmitUpdateID(w.Admissions()[0].Arg.(api.Admission))})
	})

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, api.StateMerged, status.State, "%v", status.Timeline)
	require.Equal(t, campaign, status.Parent)
	require.Empty(t, status.Paged, "a late answer costs no page")
	require.Equal(t, testworld.Start.Add(5*time.Minute), status.ClosedAt, "closed when triage's answer came")
	asked := w.Admissions()
	require.Len(t, asked, 2, "asked at once, and again after %s", casework.TriageReask)
	require.True(t, asked[0].Update && asked[1].Update)
	require.Equal(t, asked[0].Arg, asked[1].Arg, "the same question: triage answers it once")
	require.True(t, timelineHas(status, "triage", "is busy (no answer within 5s): its answer is awaited up to 15m0s"), "%v", status.Timeline)
}

// A worker so busy that the local activity ran out of time before it could ask may
// not have asked at all: the incident asks again soon (TriageAskAgain), not minutes later.
func TestIncidentAsksAgainSoonWhenItsQuestionMayNotHaveBeenAsked(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.TriageBusy, w.WorkerSwamped = true, true
	w.At(casework.TriageAskAgain+time.Second, func() {
		w.Env.SignalWorkflow(api.SignalTriaged, api.TriageAnswer{Decision: api.TriageSuppressed, Rule: suppressingRule(),
			Why: "rule R-7 matched", Asked: start.AdmitUpdateID(w.Admissions()[0].Arg.(api.Admission))})
	})

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "osk-pc-1")))

	require.Equal(t, api.StateSuppressed, status.State)
	require.Len(t, w.Admissions(), 2, "asked at once and again after %s", casework.TriageAskAgain)
}

// A late answer that comes seconds after the first task is taken at once.
func TestLateTriageAnswerIsTakenWhenItComes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.TriageBusy = true
	w.At(10*time.Second, func() {
		w.Env.SignalWorkflow(api.SignalTriaged, api.TriageAnswer{Decision: api.TriageSuppressed, Rule: suppressingRule(),
			Why: "rule R-7 matched: nightly IT inventory script", Asked: start.AdmitUpdateID(w.Admissions()[0].Arg.(api.Admission))})
	})

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "osk-pc-1")))

	require.Equal(t, api.StateSuppressed, status.State)
	require.Empty(t, status.Paged)
	require.Equal(t, testworld.Start.Add(10*time.Second), status.ClosedAt)
}

// A triage that is running but answers nothing within TriagePatience is broken: the
// incident pages as a new one then, and says why.
func TestIncidentPagesAsNewWhenABusyTriageNeverAnswers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.TriageBusy = true
	w.Decide(casework.TriagePatience+time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "test"})

	status := w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, []string{"#soc-triage"}, w.Outbox.Pages("slack"))
	require.True(t, timelineHas(status, "triage", "did not answer within 15m0s: paged as a new incident"), "%v", status.Timeline)
	require.NotEmpty(t, status.Paged)
	require.Equal(t, testworld.Start.Add(casework.TriagePatience), status.Paged[0].At, "paged once the patience ran out, not at the minute")
	require.Len(t, w.Admissions(), int(casework.TriagePatience/casework.TriageReask), "asked again every %s", casework.TriageReask)
}
