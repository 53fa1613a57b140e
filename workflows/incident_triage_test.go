package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"xsoc/integrations"
)

func suppressingRule() *Rule {
	return &Rule{ID: "R-7", By: "hanako", ApprovedBy: "sato", Reason: "nightly IT inventory script", Expires: testStart.Add(24 * time.Hour)}
}

func TestSuppressedAlertClosesAtOncePagingNobodyWithItsClocksMet(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.triage = func(Admission) TriageAnswer {
		return TriageAnswer{Decision: TriageSuppressed, Rule: suppressingRule(), Why: "rule R-7 matched: nightly IT inventory script"}
	}

	status := w.run(input(socPolicy(), testAlert(integrations.SeverityHigh, "osk-pc-1")))

	require.Equal(t, StateSuppressed, status.State)
	require.Equal(t, VerdictFalsePositive, status.Verdict)
	require.Equal(t, "rule:R-7", status.Decider.By)
	require.Equal(t, "sato", status.Rule.ApprovedBy)
	for _, c := range status.Clocks {
		require.Equal(t, SLAMet, c.State, c.Name)
	}
	require.Empty(t, status.Paged, "nobody is paged or told")
	require.Equal(t, []string{"writeback malop-1 false_positive"}, w.platform.Calls(), "no containment, no investigation; the console learns the verdict")
	require.Equal(t, "R-7", w.last("XsocRule"))
	require.Equal(t, StateSuppressed, w.last("XsocState"))
	require.Equal(t, SLAMet, w.last("XsocSLAState"))
	require.Equal(t, testStart, status.ClosedAt, "closed in the same instant")
}

func TestAlertThatMatchesNoRuleIsPaged(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := socPolicy()
	policy.Response.Policy = "investigate_first"
	w.decide(time.Minute, DecisionClose, Decision{By: "x", Note: "test"})

	status := w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, []string{"#soc-triage"}, w.outbox.pages("slack"))
	require.True(t, timelineHas(status, "triage", "a new incident"))
}

func TestAlertJoiningAnOpenIncidentClosesAsMergedOnceTheParentTookIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	parent := "incident/acme/cybereason/malop-0"
	w.triage = func(Admission) TriageAnswer {
		return TriageAnswer{Decision: TriageMerged, Parent: parent, Why: "host pc-1 has an open incident"}
	}
	w.at(time.Second, func() { w.env.SignalWorkflow(SignalJoinAnswer, JoinAnswer{Accepted: true}) })

	status := w.run(input(socPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, StateMerged, status.State)
	require.Equal(t, parent, status.Parent)
	require.Equal(t, parent, w.last("XsocParent"))
	require.Empty(t, status.Paged, "nobody is paged twice")
	require.Empty(t, w.platform.Calls())
	var joined *JoinedAlert
	for _, s := range w.signalled {
		if s.Name == SignalJoinedAlert && s.WorkflowID == parent {
			j := s.Arg.(JoinedAlert)
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
	w.triage = func(Admission) TriageAnswer {
		return TriageAnswer{Decision: TriageMerged, Parent: "incident/acme/cybereason/malop-0", Why: "host pc-1 has an open incident"}
	}
	w.at(time.Second, func() {
		w.env.SignalWorkflow(SignalJoinAnswer, JoinAnswer{Why: "incident/acme/cybereason/malop-0 is resolved"})
	})
	w.decide(time.Minute, DecisionClose, Decision{By: "x", Note: "test"})
	policy := socPolicy()
	policy.Response.Policy = "investigate_first"

	status := w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, StateSuppressed, status.State, "it lived as its own incident until the analyst closed it")
	require.True(t, timelineHas(status, "join_failed", "is resolved"))
	require.Equal(t, []string{"#soc-triage"}, w.outbox.pages("slack"), "and was paged")
}

func TestQASampleGoesToTheSOCQueueWithItsRule(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.triage = func(Admission) TriageAnswer {
		return TriageAnswer{Decision: TriageQASample, Rule: suppressingRule(), Why: "rule R-7 matched; suppression 100 is a QA sample"}
	}
	var queued IncidentStatus
	w.at(time.Minute, func() { w.query(QueryStatus, &queued) })
	w.decide(2*time.Minute, DecisionVerdict, Decision{By: "hanako", Verdict: VerdictFalsePositive, Note: "the rule holds"})

	status := w.run(input(socPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, StateInvestigating, queued.State)
	require.Equal(t, "R-7", w.last("XsocRule"))
	require.True(t, timelineHas(queued, "qa_sample", "QA sample"))
	require.Equal(t, StateResolved, status.State)
	require.Empty(t, w.outbox.pages("slack"), "a QA sample waits in the queue; it is not paged")
}

func TestStormAlertIsNotPagedByItselfButKeepsItsClocks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.triage = func(Admission) TriageAnswer { return TriageAnswer{Decision: TriageOwn, Quiet: true, Why: "storm"} }
	w.decide(time.Minute, DecisionClose, Decision{By: "x", Note: "storm noise"})
	policy := socPolicy()
	policy.Response.Policy = "investigate_first"

	status := w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Empty(t, w.outbox.pages("slack"))
	require.NotEmpty(t, status.Clocks)
	require.True(t, timelineHas(status, "paging", "storm digest"))
}

func TestJoiningAlertOfHigherSeverityRepagesAnAcknowledgedIncidentAndIsContained(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.decide(time.Minute, DecisionAcknowledge, Decision{By: "hanako"})
	joining := testAlert(integrations.SeverityCritical, "pc-1", "pc-2")
	joining.ID = "malop-2"
	w.at(2*time.Minute, func() {
		w.env.SignalWorkflow(SignalJoinedAlert, JoinedAlert{Incident: "incident/acme/cybereason/malop-2", Vendor: "cybereason", Alert: joining, Why: "same host"})
	})
	var after IncidentStatus
	w.at(3*time.Minute, func() { w.query(QueryStatus, &after) })
	w.decide(4*time.Minute, DecisionAcknowledge, Decision{By: "hanako"})
	w.decide(5*time.Minute, DecisionVerdict, Decision{By: "hanako", Verdict: VerdictFalsePositive})

	status := w.run(input(socPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, integrations.SeverityCritical, after.Severity)
	require.Nil(t, after.Acknowledged, "a more severe joining alert needs the SOC again")
	require.Contains(t, w.outbox.pages("slack"), "#soc-urgent", "re-paged at critical")
	require.Equal(t, []string{"pc-1", "pc-2"}, after.Containment.Hosts, "the new host of a contained incident is contained too")
	require.True(t, timelineHas(after, "joined", "malop-2 joined"))
	require.Len(t, status.Joined, 1)
	require.Contains(t, w.platform.Calls(), "writeback malop-2 false_positive", "the verdict is written back to the joined alert too")
	answered := false
	for _, s := range w.signalled {
		if s.Name == SignalJoinAnswer && s.WorkflowID == "incident/acme/cybereason/malop-2" {
			answered = s.Arg.(JoinAnswer).Accepted
		}
	}
	require.True(t, answered)
}

func TestCampaignMemberHandsItsContainmentToTheCampaign(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	campaign := CampaignWorkflowID("acme", "malop-0")
	w.at(2*time.Minute, func() {
		w.env.SignalWorkflow(SignalJoin, JoinRequest{Parent: campaign, Why: "3 hosts share detection"})
	})
	w.at(2*time.Minute+time.Second, func() { w.env.SignalWorkflow(SignalJoinAnswer, JoinAnswer{Accepted: true}) })

	status := w.run(input(socPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, StateMerged, status.State)
	require.Equal(t, campaign, status.Parent)
	var handed []string
	for _, s := range w.signalled {
		if s.Name == SignalJoinedAlert {
			handed = s.Arg.(JoinedAlert).Contained
		}
	}
	require.Equal(t, []string{"pc-1"}, handed, "the campaign now holds the isolated host")
	require.NotContains(t, w.platform.Calls(), "release pc-1", "joining releases nothing")
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
			w.triage = func(Admission) TriageAnswer {
				return TriageAnswer{Decision: TriageMerged, Parent: parent, Why: "host pc-1 has an open incident"}
			}
			w.at(time.Second, func() { w.env.SignalWorkflow(SignalJoinAnswer, JoinAnswer{Accepted: true}) })

			status := w.run(input(socPolicy(), testAlert(tc.severity, "pc-1")))

			require.Equal(t, StateMerged, status.State, "triage decides what the incident is")
			require.Equal(t, tc.paged, w.outbox.pages("slack"))
			asked := w.admissions()
			require.Len(t, asked, 1, "triage is asked once")
			require.Equal(t, TriageWorkflowID("acme"), asked[0].WorkflowID)
			require.Equal(t, tc.paged == nil, asked[0].Update,
				"one that waits for triage asks by Update in its first workflow task; one that paged first asks by Signal")
			if tc.paged != nil {
				require.Len(t, status.Paged, 1)
				require.Equal(t, TierSOC, status.Paged[0].Tier)
				require.True(t, status.Paged[0].At.Equal(testStart), "paged at once, not when triage answered")
			}
		})
	}
}

// A triage that cannot answer (not running, refusing, or busy past the minute) costs
// no page: the incident pages as a new one and says why in its timeline.
func TestIncidentPagesAsNewWhenTriageCannotAnswer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.triageDown = temporal.NewNonRetryableApplicationError("the triage of customer acme is not running", "TriageNotFound", nil)
	w.decide(time.Minute, DecisionClose, Decision{By: "x", Note: "test"})

	status := w.run(input(socPolicy(), testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, []string{"#soc-triage"}, w.outbox.pages("slack"))
	require.True(t, timelineHas(status, "triage", "is not running): paged as a new incident"), "%v", status.Timeline)
}
