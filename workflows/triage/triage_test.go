package triage

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

// triageWorld runs a customer's Triage under time skipping: incidents are played by
// the test, which posts admissions and reads the answers triage signalled back.
type triageWorld struct {
	t         *testing.T
	w         *testworld.World
	mu        sync.Mutex
	answers   map[string]api.TriageAnswer
	joins     map[string]api.JoinRequest
	hits      []api.RuleHit
	campaigns []api.IncidentInput
	// updated are the answers given to admissions by Update, in order.
	updated []updatedAnswer
}

func newTriageWorld(t *testing.T) *triageWorld {
	tw := &triageWorld{t: t, answers: map[string]api.TriageAnswer{}, joins: map[string]api.JoinRequest{}}
	w := newWorld(t)
	tw.w = w
	w.Env.OnWorkflow(api.IncidentWorkflowType, mock.Anything, mock.Anything).Return(func(_ workflow.Context, in api.IncidentInput) (api.IncidentStatus, error) {
		tw.mu.Lock()
		tw.campaigns = append(tw.campaigns, in)
		tw.mu.Unlock()
		return api.IncidentStatus{}, nil
	})
	// The world's own mock records every signal; read triage's out of it.
	return tw
}

func (tw *triageWorld) collect() {
	tw.w.Mu.Lock()
	defer tw.w.Mu.Unlock()
	tw.mu.Lock()
	defer tw.mu.Unlock()
	for _, s := range tw.w.Signalled {
		switch s.Name {
		case api.SignalTriaged:
			tw.answers[s.WorkflowID] = s.Arg.(api.TriageAnswer)
		case api.SignalJoin:
			tw.joins[s.WorkflowID] = s.Arg.(api.JoinRequest)
		case api.SignalRuleHits:
			tw.hits = append(tw.hits, s.Arg.(api.RuleHits).Hits...)
		}
	}
}

func triageSettings() api.TriageSettings {
	policy := testworld.SOCPolicy()
	return api.TriageSettings{StormPerMinute: 5, DigestEvery: 5 * time.Minute, CampaignHosts: 3, CampaignWindow: 30 * time.Minute,
		NotifyOver: 2, QAEvery: 3, Policy: policy}
}

func admission(n int, detection, severity string, hosts ...string) api.Admission {
	a := api.Admission{Incident: fmt.Sprintf("incident/acme/cybereason/a%d", n), Vendor: "cybereason", AlertID: fmt.Sprintf("a%d", n),
		Detection: detection, Severity: integrations.Severity(severity)}
	for _, h := range hosts {
		a.Hosts = append(a.Hosts, integrations.Host{Name: h, Vendor: "cybereason"})
		if strings.HasPrefix(h, "osk-") {
			a.Site = "osaka"
		}
		if strings.HasPrefix(h, "tyo-") {
			a.Site = "tokyo"
		}
	}
	return a
}

func (tw *triageWorld) admit(at time.Duration, a api.Admission) {
	tw.w.At(at, func() { tw.w.Env.SignalWorkflow(api.SignalAdmit, a) })
}

func (tw *triageWorld) close(at time.Duration, incident string) {
	tw.w.At(at, func() { tw.w.Env.SignalWorkflow(api.SignalIncidentClosed, api.Closure{Incident: incident}) })
}

func (tw *triageWorld) rules(at time.Duration, rules ...api.Rule) {
	tw.w.At(at, func() { tw.w.Env.SignalWorkflow(api.SignalRules, api.RuleSet{Revision: 1, Rules: rules}) })
}

// run runs triage until end, then reads what it said.
func (tw *triageWorld) run(end time.Duration, settings api.TriageSettings) {
	tw.w.At(end, func() { tw.w.Env.CancelWorkflow() })
	tw.w.Env.ExecuteWorkflow(api.TriageWorkflowType, api.TriageInput{Customer: "acme", Settings: settings})
	require.True(tw.t, tw.w.Env.IsWorkflowCompleted())
	tw.collect()
}

func (tw *triageWorld) answer(n int) api.TriageAnswer {
	tw.t.Helper()
	answer, ok := tw.answers[fmt.Sprintf("incident/acme/cybereason/a%d", n)]
	require.True(tw.t, ok, "a%d was not answered", n)
	return answer
}

func TestTriageJoinsAnAlertToTheOpenIncidentOfItsHostUntilItCloses(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	tw.admit(time.Second, admission(1, "Mimikatz", "high", "pc-1"))
	tw.admit(time.Second, admission(2, "Lateral movement", "critical", "PC-1", "pc-9"))
	tw.close(time.Minute, "incident/acme/cybereason/a1")
	tw.admit(2*time.Minute, admission(3, "Mimikatz", "high", "pc-1"))
	tw.admit(2*time.Minute, admission(4, "Mimikatz", "high", "pc-9"))

	tw.run(time.Hour, triageSettings())

	require.Equal(t, api.TriageOwn, tw.answer(1).Decision)
	require.Equal(t, api.TriageMerged, tw.answer(2).Decision, "the same host, whatever its case, joins")
	require.Equal(t, "incident/acme/cybereason/a1", tw.answer(2).Parent)
	require.Equal(t, api.TriageOwn, tw.answer(3).Decision, "the parent closed: the host is free again")
	require.Equal(t, api.TriageOwn, tw.answer(4).Decision, "a joining alert's other host was not the parent's")
}

func TestTriageSuppressesByRuleButNeverAnAlertOfAHostUnderInvestigation(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	rule := api.Rule{ID: "R-1", By: "hanako", ApprovedBy: "sato", Reason: "inventory script", Expires: testworld.Start.Add(24 * time.Hour),
		Match: api.RuleMatch{Detection: "Suspicious PowerShell*"}}
	tw.rules(0, rule)
	tw.admit(time.Second, admission(1, "Mimikatz", "high", "pc-1"))
	tw.admit(2*time.Second, admission(2, "Suspicious PowerShell usage", "high", "pc-1"))
	tw.admit(3*time.Second, admission(3, "Suspicious PowerShell usage", "high", "pc-2"))
	tw.admit(4*time.Second, admission(4, "Suspicious PowerShell usage", "critical", "pc-3"))
	tw.admit(5*time.Second, admission(5, "Suspicious PowerShell usage", "medium", "pc-4"))
	tw.admit(6*time.Second, admission(6, "suspicious powershell usage", "low", "pc-5"))
	tw.admit(7*time.Second, admission(7, "Suspicious PowerShell usage", "high", "pc-6"))
	settings := triageSettings()
	settings.StormPerMinute = 100

	tw.run(time.Hour, settings)

	require.Equal(t, api.TriageMerged, tw.answer(2).Decision, "a rule never hides an alert of a host with an open incident")
	require.Equal(t, api.TriageSuppressed, tw.answer(3).Decision)
	require.Equal(t, "R-1", tw.answer(3).Rule.ID)
	require.Contains(t, tw.answer(3).Why, "inventory script")
	require.Equal(t, api.TriageOwn, tw.answer(4).Decision, "critical only when the rule says so")
	require.Equal(t, api.TriageSuppressed, tw.answer(5).Decision)
	require.Equal(t, api.TriageQASample, tw.answer(6).Decision, "every 3rd suppression of a rule is a QA sample")
	require.Equal(t, api.TriageSuppressed, tw.answer(7).Decision)
	var hit []string
	for _, h := range tw.hits {
		hit = append(hit, h.Incident)
	}
	require.ElementsMatch(t, []string{"incident/acme/cybereason/a3", "incident/acme/cybereason/a5",
		"incident/acme/cybereason/a6", "incident/acme/cybereason/a7"}, hit, "each hit reported to Tuning once")
	require.Len(t, tw.w.Outbox.All("slack"), 1, "the rule matched more than notify_over (2) in the hour: the SOC is told once")
	require.Contains(t, tw.w.Outbox.All("slack")[0].Key, "/rule/R-1/")
}

func TestTriageOpensACampaignAcrossSitesAndMovesItsMembersIntoIt(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	tw.admit(time.Minute, admission(1, "WannaCry", "high", "osk-pc-1"))
	tw.admit(2*time.Minute, admission(2, "WannaCry", "medium", "osk-pc-2"))
	tw.admit(3*time.Minute, admission(3, "WannaCry", "high", "tyo-pc-3"))
	tw.admit(4*time.Minute, admission(4, "WannaCry", "high", "tyo-pc-4"))
	tw.admit(5*time.Minute, admission(5, "Other", "high", "osk-pc-1"))

	tw.run(time.Hour, triageSettings())

	require.Len(t, tw.campaigns, 1)
	campaign := tw.campaigns[0]
	require.Equal(t, integrations.SeverityEmergency, campaign.Alert.Severity, "hosts on two sites: emergency")
	require.Equal(t, []string{"osk-pc-1", "osk-pc-2", "tyo-pc-3"}, campaign.Alert.HostNames())
	require.Equal(t, "cybereason", campaign.Alert.Hosts[0].Vendor, "each host keeps its vendor")
	require.NotNil(t, campaign.Campaign)
	parent := api.CampaignWorkflowID("acme", "a1")
	require.Equal(t, api.TriageOwn, tw.answer(1).Decision)
	require.Equal(t, api.TriageOwn, tw.answer(2).Decision)
	require.Equal(t, api.TriageMerged, tw.answer(3).Decision)
	require.Equal(t, parent, tw.answer(3).Parent)
	require.Equal(t, parent, tw.joins["incident/acme/cybereason/a1"].Parent, "earlier members are asked to join")
	require.Equal(t, parent, tw.joins["incident/acme/cybereason/a2"].Parent)
	require.Equal(t, parent, tw.answer(4).Parent, "a later alert of the campaign joins it")
	require.Equal(t, parent, tw.answer(5).Parent, "the campaign owns its members' hosts")
}

func TestStormPagesOnceDigestsAndEnds(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	n := 0
	for at := time.Second; at < 6*time.Minute; at += 8 * time.Second {
		n++
		severity := "high"
		if n == 20 {
			severity = "critical"
		}
		tw.admit(at, admission(n, fmt.Sprintf("Detection %d", n), severity, fmt.Sprintf("pc-%d", n)))
	}

	tw.run(time.Hour, triageSettings())

	require.False(t, tw.answer(1).Quiet, "before the storm, alerts page")
	require.True(t, tw.answer(10).Quiet, "during the storm, high alerts go to the digest")
	require.False(t, tw.answer(20).Quiet, "a critical alert still pages by itself")
	var topics []string
	for _, m := range tw.w.Outbox.All("slack") {
		topics = append(topics, m.Key[strings.Index(m.Key, "/storm/"):strings.LastIndex(m.Key, "/0/")])
	}
	require.ElementsMatch(t, []string{"/storm/1/started", "/storm/1/digest/1", "/storm/1/digest/2", "/storm/1/ended"}, topics,
		"one page when it starts, a digest every 5m, a last digest and one page when it ends")
}

// admitByUpdate asks triage by Update, as an incident's local activity does, and
// records the answer or the refusal.
func (tw *triageWorld) admitByUpdate(at time.Duration, updateID string, a api.Admission) *testworld.UpdateOutcome {
	outcome := &testworld.UpdateOutcome{}
	tw.w.At(at, func() {
		tw.w.Env.UpdateWorkflow(api.UpdateAdmit, updateID, &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { outcome.Rejected = err },
			OnComplete: func(result any, err error) {
				outcome.Err, outcome.Completed = err, true
				if err == nil {
					tw.mu.Lock()
					tw.answers[a.Incident] = result.(api.TriageAnswer)
					tw.mu.Unlock()
				}
			},
		}, a)
	})
	return outcome
}

// Triage answers an admission Update as it answers the Signal, in the same order with
// the rules and closures it received, and the same again when an incident asks twice.
func TestTriageAnswersAdmissionsByUpdate(t *testing.T) {
	t.Parallel()
	tw := newTriageWorld(t)
	rule := api.Rule{ID: "R-1", By: "hanako", ApprovedBy: "sato", Reason: "inventory script", Expires: testworld.Start.Add(24 * time.Hour),
		Match: api.RuleMatch{Detection: "Suspicious PowerShell*"}}
	tw.rules(time.Second, rule)
	tw.admitByUpdate(time.Second, "u1", admission(1, "Suspicious PowerShell usage", "high", "pc-1"))
	first, recurrence := admission(2, "Mimikatz", "high", "pc-2"), admission(2, "Mimikatz", "high", "pc-2")
	first.Run, recurrence.Run = "run-1", "run-2"
	tw.admitByUpdate(2*time.Second, "u2", first)
	tw.admit(3*time.Second, admission(3, "Mimikatz", "high", "pc-2"))
	again := tw.admitByUpdate(4*time.Second, "u2-again", first)
	tw.close(5*time.Second, "incident/acme/cybereason/a2")
	tw.admitByUpdate(6*time.Second, "u4", admission(4, "Mimikatz", "high", "pc-2"))
	refused := tw.admitByUpdate(7*time.Second, "u5", api.Admission{AlertID: "a5"})
	tw.close(8*time.Second, "incident/acme/cybereason/a4")
	tw.admitByUpdate(9*time.Second, "u2-recurrence", recurrence)
	tw.admitByUpdate(10*time.Second, "u6", admission(6, "Mimikatz", "high", "pc-2"))

	tw.run(time.Hour, triageSettings())

	require.Equal(t, api.TriageSuppressed, tw.answer(1).Decision, "the rule handed over before the admission applies")
	require.Equal(t, api.TriageOwn, tw.answer(2).Decision)
	require.True(t, again.Completed)
	require.NoError(t, again.Err)
	require.Equal(t, api.TriageOwn, tw.answer(2).Decision, "asked twice: answered the same, not merged into itself")
	require.Equal(t, api.TriageMerged, tw.answer(3).Decision, "an admission by Signal sees what an Update admitted")
	require.Equal(t, "incident/acme/cybereason/a2", tw.answer(3).Parent)
	require.Equal(t, api.TriageOwn, tw.answer(4).Decision, "the owner closed: its host is free")
	require.ErrorContains(t, refused.Rejected, "field incident")
	require.Equal(t, api.TriageMerged, tw.answer(6).Decision, "a recurrence (a new run) is admitted afresh and owns its host again")
	require.Equal(t, "incident/acme/cybereason/a2", tw.answer(6).Parent)
	require.Equal(t, []string{"incident/acme/cybereason/a1"}, hitIncidents(tw.hits), "the suppression is reported to Tuning")
}

func hitIncidents(hits []api.RuleHit) []string {
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.Incident)
	}
	return ids
}
