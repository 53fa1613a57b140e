package triage

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
	"xsoc/workflows/start"
)

// ask asks triage as a new incident does, by Update, and keeps every answer in order.
func (tw *triageWorld) ask(at time.Duration, a api.Admission) {
	tw.w.At(at, func() { tw.askNow(a) })
}

func (tw *triageWorld) askNow(a api.Admission) {
	{
		tw.w.Env.UpdateWorkflow(api.UpdateAdmit, start.AdmitUpdateID(a), &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { tw.t.Errorf("admission of %s refused: %v", a.Incident, err) },
			OnComplete: func(result any, err error) {
				require.NoError(tw.t, err)
				tw.mu.Lock()
				defer tw.mu.Unlock()
				tw.updated = append(tw.updated, updatedAnswer{admission: a, answer: result.(api.TriageAnswer)})
			},
		}, a)
	}
}

type updatedAnswer struct {
	admission api.Admission
	answer    api.TriageAnswer
}

// answerByUpdate answers the last answer given by Update to the incident's run.
func (tw *triageWorld) answerByUpdate(n int, run string) api.TriageAnswer {
	tw.t.Helper()
	tw.mu.Lock()
	defer tw.mu.Unlock()
	id := fmt.Sprintf("incident/acme/cybereason/a%d", n)
	for i := len(tw.updated) - 1; i >= 0; i-- {
		if u := tw.updated[i]; u.admission.Incident == id && u.admission.Run == run {
			return u.answer
		}
	}
	tw.t.Fatalf("a%d (run %q) was not answered by Update", n, run)
	return api.TriageAnswer{}
}

func withRun(a api.Admission, run string) api.Admission {
	a.Run = run
	return a
}

func powershellRule() api.Rule {
	return api.Rule{ID: "R-1", By: "hanako", ApprovedBy: "sato", Reason: "inventory script", Expires: testworld.Start.Add(24 * time.Hour),
		Match: api.RuleMatch{Detection: "Suspicious PowerShell*"}}
}

// An owner that ended without telling triage (terminated, or its closure lost) is
// looked up before an alert joins it: found over, it leaves the table, and the alert is
// decided as if the host were free — suppressed when a rule matches.
func TestTriageNeverHandsAnAlertToAnOwnerThatIsOver(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	tw.w.Alive = func(run api.IncidentRun) api.Liveness {
		if run.WorkflowID == "incident/acme/cybereason/a1" {
			return api.Liveness{Why: run.WorkflowID + " is terminated"}
		}
		return api.Liveness{Alive: true}
	}
	tw.rules(0, powershellRule())
	tw.ask(time.Second, withRun(admission(1, "Mimikatz", "high", "pc-1"), "r1"))
	tw.ask(2*time.Minute, withRun(admission(2, "Suspicious PowerShell usage", "high", "pc-1"), "r2"))
	tw.ask(3*time.Minute, withRun(admission(3, "Mimikatz", "high", "pc-1"), "r3"))
	tw.ask(3*time.Minute+10*time.Second, withRun(admission(4, "Mimikatz", "high", "pc-1"), "r4"))

	tw.run(time.Hour, triageSettings())

	require.Equal(t, api.TriageOwn, tw.answerByUpdate(1, "r1").Decision)
	require.Equal(t, api.TriageSuppressed, tw.answerByUpdate(2, "r2").Decision, "the dead owner no longer shields its host from the rule")
	require.Equal(t, api.TriageOwn, tw.answerByUpdate(3, "r3").Decision, "the host is free: a new incident owns it")
	require.Equal(t, api.TriageMerged, tw.answerByUpdate(4, "r4").Decision)
	require.Equal(t, "incident/acme/cybereason/a3", tw.answerByUpdate(4, "r4").Parent)
	require.Equal(t, []api.IncidentRun{{WorkflowID: "incident/acme/cybereason/a1", FirstRun: "r1"}}, tw.w.Lookups,
		"one look-up of the stale owner; a3 was known alive, having just been admitted")
}

func TestTriageLooksAnOwnerUpOnlyWhenItWasNotSeenAliveLately(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	tw.ask(time.Second, withRun(admission(1, "Mimikatz", "high", "pc-1"), "r1"))
	tw.ask(10*time.Second, withRun(admission(2, "Mimikatz", "high", "pc-1"), "r2"))
	tw.ask(time.Minute, withRun(admission(3, "Mimikatz", "high", "pc-1"), "r3"))
	tw.ask(time.Minute+10*time.Second, withRun(admission(4, "Mimikatz", "high", "pc-1"), "r4"))

	tw.run(time.Hour, triageSettings())

	for n := 2; n <= 4; n++ {
		require.Equal(t, "incident/acme/cybereason/a1", tw.answerByUpdate(n, fmt.Sprintf("r%d", n)).Parent)
	}
	require.Len(t, tw.w.Lookups, 1, "looked up once, at a3, 59 s after a1 was last known alive")
}

// A recurrence is a new run of a closed incident: it never joins the run it recurs
// after, and a late closure of that run leaves the recurrence the owner of its hosts.
func TestTriageKeepsOwnersByRun(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	tw.ask(time.Second, withRun(admission(1, "Mimikatz", "high", "pc-1"), "r1"))
	// The first run concluded, but its closure is late: the recurrence asks first.
	tw.ask(time.Minute, withRun(admission(1, "Mimikatz", "high", "pc-1"), "r2"))
	tw.w.At(time.Minute+time.Second, func() {
		tw.w.Env.SignalWorkflow(api.SignalIncidentClosed, api.Closure{Incident: "incident/acme/cybereason/a1", Run: "r1"})
	})
	tw.ask(2*time.Minute, withRun(admission(5, "Mimikatz", "high", "pc-1"), "r5"))

	tw.run(time.Hour, triageSettings())

	require.Equal(t, api.TriageOwn, tw.answerByUpdate(1, "r2").Decision, "the recurrence is a new incident, not merged into itself")
	require.Equal(t, api.TriageMerged, tw.answerByUpdate(5, "r5").Decision, "the first run's closure did not free the recurrence's host")
	require.Equal(t, "incident/acme/cybereason/a1", tw.answerByUpdate(5, "r5").Parent)
}

// An incident whose join failed asks again, naming the incident that was gone: triage
// forgets it and decides afresh (here a rule suppresses the alert).
func TestTriageDecidesAgainWithoutAGoneParent(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	tw.rules(0, powershellRule())
	tw.ask(time.Second, withRun(admission(1, "Mimikatz", "high", "pc-1"), "r1"))
	tw.ask(2*time.Second, withRun(admission(2, "Suspicious PowerShell usage", "high", "pc-1"), "r2"))
	again := withRun(admission(2, "Suspicious PowerShell usage", "high", "pc-1"), "r2")
	again.Gone = "incident/acme/cybereason/a1"
	tw.ask(3*time.Second, again)
	tw.ask(4*time.Second, withRun(admission(3, "Mimikatz", "high", "pc-1"), "r3"))

	tw.run(time.Hour, triageSettings())

	tw.mu.Lock()
	first := tw.updated[1].answer
	tw.mu.Unlock()
	require.Equal(t, api.TriageMerged, first.Decision)
	require.Equal(t, api.TriageSuppressed, tw.answerByUpdate(2, "r2").Decision, "asked again without a1, the rule applies")
	require.Equal(t, api.TriageOwn, tw.answerByUpdate(3, "r3").Decision, "a1 owns nothing any more")
}

// A campaign the analyst closed stays closed: its members leave the campaign window
// with it, so that the next alert of its detection neither re-opens it under its first
// member's id nor asks it to join itself.
func TestTriageNeverReopensAClosedCampaign(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	tw.ask(time.Second, withRun(admission(1, "Worm", "high", "pc-1"), "r1"))
	tw.ask(2*time.Second, withRun(admission(2, "Worm", "high", "pc-2"), "r2"))
	tw.ask(3*time.Second, withRun(admission(3, "Worm", "high", "pc-3"), "r3"))
	campaign := api.CampaignWorkflowID("acme", "a1")
	tw.close(time.Minute, campaign)
	tw.ask(2*time.Minute, withRun(admission(4, "Worm", "high", "pc-4"), "r4"))
	tw.ask(2*time.Minute+time.Second, withRun(admission(5, "Worm", "high", "pc-1"), "r5"))

	tw.run(time.Hour, triageSettings())

	require.Equal(t, campaign, tw.answerByUpdate(3, "r3").Parent)
	require.Equal(t, api.TriageOwn, tw.answerByUpdate(4, "r4").Decision, "a new alert of the closed campaign's detection is an incident of its own")
	require.Equal(t, api.TriageOwn, tw.answerByUpdate(5, "r5").Decision)
	require.Len(t, tw.campaigns, 1, "the campaign was started once")
	for _, s := range tw.w.Signalled {
		require.False(t, s.Name == api.SignalJoin && s.WorkflowID == campaign, "the campaign was asked to join itself")
	}
}

// Two alerts that each complete a campaign, arriving in the same moment, open it once:
// the second is decided after the first's campaign started, and joins it.
func TestTriageOpensOneCampaignForAlertsArrivingTogether(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	tw.ask(time.Second, withRun(admission(1, "Worm", "high", "pc-1"), "r1"))
	tw.ask(2*time.Second, withRun(admission(2, "Worm", "high", "pc-2"), "r2"))
	tw.w.At(3*time.Second, func() {
		tw.askNow(withRun(admission(3, "Worm", "high", "pc-3"), "r3"))
		tw.askNow(withRun(admission(4, "Worm", "high", "pc-4"), "r4"))
	})

	tw.run(time.Hour, triageSettings())

	campaign := api.CampaignWorkflowID("acme", "a1")
	require.Len(t, tw.campaigns, 1, "one campaign started")
	for n := 3; n <= 4; n++ {
		answer := tw.answerByUpdate(n, fmt.Sprintf("r%d", n))
		require.Equal(t, api.TriageMerged, answer.Decision)
		require.Equal(t, campaign, answer.Parent)
	}
}

// A fresh Tuning (its history lost, started again) counts revisions from 0: triage
// believes it by its new epoch instead of ignoring every rule it hands over.
func TestTriageBelievesAFreshTuningByItsEpoch(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	old := powershellRule()
	fresh := api.Rule{ID: "R-1", By: "hanako", ApprovedBy: "sato", Reason: "backup agent", Expires: testworld.Start.Add(24 * time.Hour),
		Match: api.RuleMatch{Detection: "Backup*"}}
	tw.w.At(0, func() {
		tw.w.Env.SignalWorkflow(api.SignalRules, api.RuleSet{Revision: 7, Epoch: "first-tuning", Rules: []api.Rule{old}})
	})
	tw.w.At(time.Second, func() {
		tw.w.Env.SignalWorkflow(api.SignalRules, api.RuleSet{Revision: 1, Epoch: "second-tuning", Rules: []api.Rule{fresh}})
	})
	tw.ask(2*time.Second, withRun(admission(1, "Backup agent reads lsass", "high", "pc-1"), "r1"))
	tw.ask(3*time.Second, withRun(admission(2, "Suspicious PowerShell usage", "high", "pc-2"), "r2"))

	tw.run(time.Hour, triageSettings())

	require.Equal(t, api.TriageSuppressed, tw.answerByUpdate(1, "r1").Decision, "the fresh Tuning's rule is in force")
	require.Equal(t, api.TriageOwn, tw.answerByUpdate(2, "r2").Decision, "the old Tuning's rule is not")
}

// A Tuning that cannot be reached is told the rule hits again with backoff, not in a
// loop that grows triage's history to the server's limit.
func TestTriageReportsRuleHitsToAGoneTuningWithBackoff(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	tw.w.SignalFails[api.TuningWorkflowID("acme")] = errors.New("unknown external workflow execution")
	tw.rules(0, powershellRule())
	tw.ask(time.Second, withRun(admission(1, "Suspicious PowerShell usage", "high", "pc-1"), "r1"))

	tw.run(time.Hour, triageSettings())

	reports := 0
	for _, s := range tw.w.Signalled {
		if s.Name == api.SignalRuleHits {
			reports++
		}
	}
	require.Greater(t, reports, 3, "it keeps trying")
	require.Less(t, reports, 25, "with backoff (2 s doubling to 5 min): about 18 tries in an hour")
}

// The state triage carries into its next run stays well under the server's 2 MB limit
// through a 20,000-alert storm, and what it drops loses no campaign.
func TestTriageCarriesABoundedStateThroughAStorm(t *testing.T) {
	t.Parallel()
	state := State{}
	now := testworld.Start
	for i := range 20000 {
		detection := fmt.Sprintf("Worm variant %d", i%40)
		owner := api.CampaignWorkflowID("acme", fmt.Sprintf("w%d", i%40))
		a := RecentAlert{At: now, Incident: fmt.Sprintf("incident/acme/cybereason/w%d", i), Owner: owner, AlertID: fmt.Sprintf("w%d", i),
			Detection: detection, Keys: campaignKeys(detection, []integrations.Indicator{{Type: "sha256", Value: fmt.Sprintf("%064d", i)}}),
			Hosts: []integrations.Host{{Name: fmt.Sprintf("host-%05d", i), Vendor: "cybereason"}}, Severity: integrations.SeverityHigh}
		state.Recent = append(state.Recent, a)
		state.Admitted = append(state.Admitted, AdmittedIncident{Incident: a.Incident, Run: "r", At: now,
			Answer: api.TriageAnswer{Decision: api.TriageMerged, Parent: owner, Why: "the alert belongs to campaign " + owner}})
		state.Hits = append(state.Hits, api.RuleHit{Rule: "R-1", Incident: a.Incident, At: now})
		state.Storm.Arrivals = state.Storm.Arrivals.add(now)
		state.Storm.ByHost = addTally(state.Storm.ByHost, a.Hosts[0].Name)
		if i%40 == 0 || i < 40 {
			state.Campaigns = append(state.Campaigns, OpenCampaign{Incident: owner, Key: "detection:" + detection, Detection: detection})
		}
		if i%50 == 0 {
			now = now.Add(time.Second)
		}
	}
	// A few alerts outside any campaign, on two hosts of one detection: the next host of
	// that detection must still open a campaign after the state is bounded.
	for i, host := range []string{"lone-1", "lone-2", "lone-1"} {
		state.Recent = append(state.Recent, RecentAlert{At: now, Incident: fmt.Sprintf("incident/acme/cybereason/l%d", i), Owner: "x",
			AlertID: fmt.Sprintf("l%d", i), Detection: "Rare", Keys: campaignKeys("Rare", nil), Hosts: []integrations.Host{{Name: host}}})
	}

	state.bound()

	raw, err := json.Marshal(state)
	require.NoError(t, err)
	require.Less(t, len(raw), 1<<20, "the carried state is %d bytes", len(raw))
	require.Equal(t, 20000, state.Storm.Arrivals.count(), "arrivals are counted, not dropped")
	rare := slices.DeleteFunc(slices.Clone(state.Recent), func(r RecentAlert) bool { return r.Detection != "Rare" })
	require.Len(t, rare, 2, "the newest alert of each host of a key outside campaigns is kept")
	tr := &triage{in: Input{Customer: "acme", Settings: triageSettings()}, state: state, round3: true}
	tr.remember(api.Admission{Incident: "incident/acme/cybereason/l9", AlertID: "l9", Detection: "Rare",
		Hosts: []integrations.Host{{Name: "lone-3"}}}, "incident/acme/cybereason/l9", now)
	_, members, formed := tr.campaignFormedBy(api.Admission{Detection: "Rare"}, now)
	require.True(t, formed, "three hosts of one detection still form a campaign")
	require.Len(t, tr.hostsOf(members), 3)
}
