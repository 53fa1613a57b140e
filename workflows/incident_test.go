package workflows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"xsoc/config"
	"xsoc/integrations"
)

func minutes(n int) config.Duration { return config.Duration(time.Duration(n) * time.Minute) }

func testPolicy() Policy {
	return Policy{
		CustomerName: "ACME", Language: "en", Detect: true, Respond: true,
		Response:     config.Response{Policy: "hybrid", CriticalHosts: []string{"fs-*", "erp-db01"}},
		Capabilities: integrations.CapabilitiesOf("cybereason"),
		Sites:        []config.Site{{ID: "osaka", Hosts: []string{"osk-*"}, Contacts: []config.Contact{{Email: "osaka-it@acme.example"}}}},
		SLA: map[string]config.SLA{
			"emergency": {Ack: minutes(5), Verdict: minutes(30), Contain: minutes(60)},
			"critical":  {Ack: minutes(15), Verdict: minutes(60), Contain: minutes(240)},
			"high":      {Ack: minutes(30), Verdict: minutes(240), Contain: minutes(480)},
		},
		Escalation: map[string][]config.Step{
			"emergency": {
				{After: 0, Contact: config.Contact{Email: "it-ml@acme.example"}},
				{After: 0, Contact: config.Contact{Call: "+81300000001", Name: "CSO"}},
				{After: minutes(10), Contact: config.Contact{Call: "+81300000002", Name: "CIO"}},
			},
			"critical": {
				{After: 0, Contact: config.Contact{Email: "it-ml@acme.example"}},
				{After: 0, Contact: config.Contact{Call: "+81300000003", Name: "IT on-call"}},
			},
			"high": {
				{After: 0, Contact: config.Contact{Email: "it-ml@acme.example"}},
				{After: minutes(15), Contact: config.Contact{Slack: "#acme-soc"}},
			},
		},
		Repeat:        config.Repeat{Every: minutes(10), Times: 3},
		StatusUpdates: []config.Contact{{Email: "csirt@acme.example"}},
	}
}

func testAlert(severity integrations.Severity, hosts ...string) integrations.Alert {
	alert := integrations.Alert{ID: "malop-1", Detection: "Credential dumping (mimikatz)", Severity: severity,
		Users: []string{`ACME\taro`}}
	for _, h := range hosts {
		alert.Hosts = append(alert.Hosts, integrations.Host{Name: h, ID: "pylum-" + h})
	}
	return alert
}

func input(policy Policy, alert integrations.Alert) IncidentInput {
	return IncidentInput{Customer: "acme", Vendor: "cybereason", Alert: alert, Policy: policy}
}

func timelineHas(s IncidentStatus, kind, text string) bool {
	return slices.ContainsFunc(s.Timeline, func(e Entry) bool { return e.Kind == kind && strings.Contains(e.Text, text) })
}

func TestIsolateFirstHostIsReleasedAfterFalsePositive(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.decide(5*time.Minute, DecisionVerdict, Decision{By: "hanako", Verdict: VerdictFalsePositive, Note: "admin tool"})

	status := w.run(input(testPolicy(), testAlert(integrations.SeverityCritical, "osk-pc-17")))

	require.Equal(t, []string{"isolate osk-pc-17", "investigate malop-1", "release osk-pc-17", "writeback malop-1 false_positive"}, w.platform.Calls())
	require.Equal(t, StateResolved, status.State)
	require.Equal(t, VerdictFalsePositive, status.Verdict)
	require.False(t, status.Containment.Active())
	require.True(t, timelineHas(status, "action", "release osk-pc-17 (released automatically: verdict false_positive) done"))
	require.Equal(t, StateResolved, w.last("XsocState"))
	require.Equal(t, false, w.last("XsocContained"))
	require.True(t, w.seen("XsocContained", true), "containment was published while it lasted")
	require.Equal(t, "osaka", w.last("XsocSite"))
	require.Equal(t, "osk-pc-17", w.last("XsocHost"))
	require.Equal(t, VerdictFalsePositive, w.last("XsocVerdict"))
	require.Equal(t, int64(4), w.last("XsocSeverityRank"))
	require.Equal(t, "hanako", status.Acknowledged.By, "a verdict acknowledges")
}

func TestCriticalHostIsInvestigatedFirstAndContainedOnTruePositive(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ack := w.decide(2*time.Minute, DecisionAcknowledge, Decision{By: "hanako"})
	w.decide(10*time.Minute, DecisionVerdict, Decision{By: "hanako", Verdict: VerdictTruePositive})
	var sla SLAView
	w.at(11*time.Minute, func() { w.query(QuerySLA, &sla) })
	w.decide(20*time.Minute, DecisionClose, Decision{By: "hanako", Note: "reimaged"})

	status := w.run(input(testPolicy(), testAlert(integrations.SeverityCritical, "fs-01")))

	require.NoError(t, ack.rejected)
	require.Equal(t, []string{"investigate malop-1", "isolate fs-01", "writeback malop-1 true_positive"}, w.platform.Calls())
	require.Equal(t, StateResolved, status.State)
	require.Equal(t, []string{"fs-01"}, status.Containment.Hosts, "closing keeps the host isolated")
	require.Equal(t, SLAMet, sla.State)
	for _, c := range sla.Clocks {
		require.Equal(t, SLAMet, c.State, c.Name)
	}
	require.True(t, timelineHas(status, "plan", "investigate first (critical host)"))
	require.Equal(t, status.Findings.Summary, "mimikatz run by ACME\\taro on osk-pc-17")
}

// A vendor that cannot contain (a generic alert) is investigated first under any
// policy, and the plan says why, not that the host is critical.
func TestAPlatformThatCannotContainSaysSoInThePlan(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.decide(time.Minute, DecisionVerdict, Decision{By: "hanako", Verdict: VerdictFalsePositive})
	policy := testPolicy()
	policy.Capabilities = integrations.CapabilitiesOf("generic")
	in := input(policy, testAlert(integrations.SeverityHigh, "osk-pc-17"))
	in.Vendor = "generic"
	status := w.run(in)

	require.True(t, timelineHas(status, "plan", "generic offers no containment: contain by hand"), "%+v", status.Timeline)
	require.False(t, timelineHas(status, "plan", "critical host"))
}

func TestInvestigateFirstWaitsForVerdictBeforeContaining(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testPolicy()
	policy.Response.Policy = "investigate_first"
	var before IncidentStatus
	w.at(30*time.Minute, func() { w.query(QueryStatus, &before) })
	w.decide(40*time.Minute, DecisionVerdict, Decision{By: "hanako", Verdict: VerdictBenignTruePositive})

	status := w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, StateInvestigating, before.State)
	require.False(t, before.Containment.Active())
	require.Equal(t, []string{"investigate malop-1", "writeback malop-1 benign_true_positive"}, w.platform.Calls())
	require.Equal(t, StateResolved, status.State)
	require.Equal(t, clockNotNeeded, status.clock(ClockContain).State)
}

func TestDetectOnlyCustomerGetsARecommendationAndNoContainment(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testPolicy()
	policy.Respond = false
	policy.Response.Policy = "isolate_first"
	w.decide(5*time.Minute, DecisionVerdict, Decision{By: "hanako", Verdict: VerdictTruePositive})
	contain := w.decide(6*time.Minute, DecisionContain, Decision{By: "hanako"})
	var waiting IncidentStatus
	w.at(7*time.Minute, func() { w.query(QueryStatus, &waiting) })
	w.decide(30*time.Minute, DecisionClose, Decision{By: "customer-csirt", Note: "customer isolated and reimaged"})

	status := w.run(input(policy, testAlert(integrations.SeverityCritical, "pc-1")))

	require.ErrorContains(t, contain.rejected, "detect only")
	require.Equal(t, StateAwaitingCustomer, waiting.State)
	require.Contains(t, waiting.Recommend, "isolate pc-1")
	require.NotContains(t, strings.Join(w.platform.Calls(), " "), "isolate")
	require.Equal(t, StateResolved, status.State)
}

func TestRespondOnlyCustomerTriagesAndWeActOnTheirVerdict(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testPolicy()
	policy.Detect = false
	policy.Response.Policy = "investigate_first"
	var waiting IncidentStatus
	w.at(time.Minute, func() { w.query(QueryStatus, &waiting) })
	w.decide(5*time.Minute, DecisionVerdict, Decision{By: "customer", Verdict: VerdictTruePositive})
	w.decide(9*time.Minute, DecisionClose, Decision{By: "customer", Note: "done"})

	status := w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, StateAwaitingCustomer, waiting.State)
	require.Equal(t, []string{"isolate pc-1", "writeback malop-1 true_positive"}, w.platform.Calls())
	require.Equal(t, StateResolved, status.State)
}

func TestUnacknowledgedIncidentGoesAtRiskThenBreachesAndPagesTheNextLevel(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var early, atRisk, breached SLAView
	w.at(10*time.Minute, func() { w.query(QuerySLA, &early) })
	w.at(25*time.Minute, func() { w.query(QuerySLA, &atRisk) })
	w.at(31*time.Minute, func() { w.query(QuerySLA, &breached) })
	w.decide(32*time.Minute, DecisionAcknowledge, Decision{By: "hanako"})
	w.decide(5*time.Hour, DecisionClose, Decision{By: "hanako", Note: "duplicate of incident 7"})
	policy := testPolicy()
	policy.Response.Policy = "investigate_first"

	status := w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, SLAOnTrack, early.State)
	require.Equal(t, SLAAtRisk, atRisk.State)
	require.Equal(t, SLABreached, breached.State)
	require.True(t, w.seen("XsocSLAState", SLAAtRisk))
	require.True(t, w.seen("XsocSLAState", SLABreached))
	require.Equal(t, SLABreached, w.last("XsocSLAState"))
	require.True(t, timelineHas(status, "sla_breach", "SLA breached: ack"))
	require.True(t, timelineHas(status, "sla_breach", "SLA breached: verdict"), "the 4h verdict clock also ran out")
	require.Contains(t, w.outbox.pages("call"), "+81300000003", "the breach pages the critical chain's on-call")
	require.Equal(t, StateSuppressed, status.State)
}

func TestAcknowledgeStopsTheChainAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.decide(5*time.Minute, DecisionAcknowledge, Decision{By: "cso", Via: "phone"})
	w.decide(4*time.Hour, DecisionVerdict, Decision{By: "hanako", Verdict: VerdictFalsePositive})
	policy := testPolicy()
	policy.SLA = nil

	status := w.run(input(policy, testAlert(integrations.SeverityEmergency, "fs-01")))

	require.Equal(t, []string{"+81300000001"}, w.outbox.pages("call"), "the CIO (at 10m) is never called")
	require.Equal(t, []string{"it-ml@acme.example"}, w.outbox.pages("email"))
	require.Equal(t, "phone", status.Acknowledged.Via)
}

func TestChainRepeatsUntilSomeoneAcknowledges(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.decide(3*time.Hour, DecisionAcknowledge, Decision{By: "hanako"})
	w.decide(3*time.Hour+time.Minute, DecisionClose, Decision{By: "hanako", Note: "noise"})
	policy := testPolicy()
	policy.SLA = nil
	policy.Response.Policy = "investigate_first"

	w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	// A round is 15m of steps + 10m pause: rounds at 0, 25m, 50m, 75m, then no more.
	require.Len(t, w.outbox.pages("email"), 4)
	require.Len(t, w.outbox.pages("slack"), 4)
}

func TestEscalateReplansClocksAndPagesTheHigherChainOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.decide(5*time.Minute, DecisionEscalate, Decision{By: "hanako", Severity: "emergency", Note: "domain admin"})
	var sla SLAView
	w.at(6*time.Minute, func() { w.query(QuerySLA, &sla) })
	w.decide(7*time.Minute, DecisionAcknowledge, Decision{By: "cso"})
	w.decide(8*time.Minute, DecisionClose, Decision{By: "cso", Note: "handled"})
	policy := testPolicy()
	policy.Response.Policy = "investigate_first"

	status := w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, integrations.SeverityEmergency, status.Severity)
	ack := status.clock(ClockAck)
	require.Equal(t, testStart.Add(10*time.Minute), ack.Due, "5m of the emergency ack SLA from the raise")
	require.Equal(t, testStart.Add(35*time.Minute), sla.Clocks[1].Due, "verdict due moved forward to 30m after the raise")
	require.Equal(t, []string{"it-ml@acme.example"}, w.outbox.pages("email"), "the mailing list already paged is not paged again")
	require.Equal(t, []string{"+81300000001"}, w.outbox.pages("call"), "the CSO is called on the raise")
	require.True(t, w.seen("XsocSeverity", "emergency"))
	require.True(t, w.seen("XsocSeverityRank", int64(5)))
}

func TestClocksNeverMoveBackwards(t *testing.T) {
	s := IncidentStatus{}
	s.planClocks(testStart, config.SLA{Ack: minutes(5)})
	s.planClocks(testStart.Add(time.Minute), config.SLA{Ack: minutes(30), Verdict: minutes(60)})
	require.Equal(t, testStart.Add(5*time.Minute), s.clock(ClockAck).Due)
	require.Equal(t, testStart.Add(61*time.Minute), s.clock(ClockVerdict).Due, "a clock the lower Severity lacked starts at the raise")
}

func TestDecisionsThatDoNotApplyAreRefusedWithAReason(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, decision string
		d              Decision
		want           string
	}{
		{"no by", DecisionAcknowledge, Decision{}, `"by" is required`},
		{"release with nothing contained", DecisionRelease, Decision{By: "x"}, "nothing is contained"},
		{"unknown verdict", DecisionVerdict, Decision{By: "x", Verdict: "maybe"}, `unknown verdict "maybe"`},
		{"escalate downwards", DecisionEscalate, Decision{By: "x", Severity: "low"}, "not above the current high"},
		{"unknown severity", DecisionEscalate, Decision{By: "x", Severity: "urgent"}, `unknown severity "urgent"`},
		{"no tickets", DecisionUseTickets, Decision{By: "x", Service: "forensics"}, `"tickets" must be at least 1`},
		{"empty comment", DecisionComment, Decision{By: "x"}, `"note" is required`},
		{"close without verdict or note", DecisionClose, Decision{By: "x"}, "give a verdict first"},
		{"contain a host not in the incident", DecisionContain, Decision{By: "x", Host: "other"}, `host "other" is not part of this incident`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			policy := testPolicy()
			policy.Response.Policy = "investigate_first"
			outcome := w.decide(time.Minute, tc.decision, tc.d)
			w.decide(2*time.Minute, DecisionClose, Decision{By: "x", Note: "end of test"})
			status := w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))
			require.ErrorContains(t, outcome.rejected, tc.want)
			require.Equal(t, StateSuppressed, status.State, "the incident goes on after a refusal")
		})
	}
}

func TestInvalidSignalIsRecordedAsRejectedAndTheIncidentGoesOn(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.signal(time.Minute, DecisionRelease, Decision{By: "bob"})
	w.signal(2*time.Minute, DecisionVerdict, Decision{By: "bob", Verdict: "nope"})
	w.signal(3*time.Minute, DecisionComment, Decision{By: "bob", Note: "looked at the process tree"})
	w.signal(4*time.Minute, DecisionClose, Decision{By: "bob", Note: "test"})
	policy := testPolicy()
	policy.Response.Policy = "investigate_first"

	status := w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.True(t, timelineHas(status, "rejected", "release refused: nothing is contained"))
	require.True(t, timelineHas(status, "rejected", `verdict refused: unknown verdict "nope"`))
	require.True(t, timelineHas(status, "comment", "looked at the process tree"))
	require.Equal(t, StateSuppressed, status.State)
}

func TestRedeliveryAddsHostsAndRaisesSeverityWithoutDuplicating(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var redelivery DeliveryResult
	w.at(time.Minute, func() {
		w.env.UpdateWorkflow(UpdateDeliverAlert, "", &testUpdate{into: &redelivery}, testAlert(integrations.SeverityCritical, "pc-1", "pc-2"))
	})
	wrong := &testUpdate{}
	other := testAlert(integrations.SeverityCritical, "pc-9")
	other.ID = "malop-2"
	w.at(2*time.Minute, func() { w.env.UpdateWorkflow(UpdateDeliverAlert, "", wrong, other) })
	w.decide(3*time.Minute, DecisionVerdict, Decision{By: "x", Verdict: VerdictFalsePositive})
	policy := testPolicy()
	policy.Response.Policy = "isolate_first"

	status := w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.True(t, redelivery.Duplicate)
	require.ErrorContains(t, wrong.err, "does not belong to incident of alert malop-1")
	require.Equal(t, 2, status.Deliveries)
	require.Equal(t, integrations.SeverityCritical, status.Severity)
	require.Equal(t, []string{"isolate pc-1", "investigate malop-1", "isolate pc-2", "release pc-1", "release pc-2", "writeback malop-1 false_positive"}, w.platform.Calls())
	require.True(t, timelineHas(status, "hosts_added", "pc-2"))
}

func TestZscalerBlocksIndicatorsInsteadOfIsolating(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.decide(5*time.Minute, DecisionVerdict, Decision{By: "x", Verdict: VerdictFalsePositive})
	policy := testPolicy()
	policy.Response.Policy = "isolate_first"
	policy.Capabilities = integrations.CapabilitiesOf("zscaler")
	alert := testAlert(integrations.SeverityHigh, "pc-1")
	alert.Indicators = []integrations.Indicator{{Type: "url", Value: "http://evil.example/x"}, {Type: "sha256", Value: "abc"}}

	status := w.run(IncidentInput{Customer: "acme", Vendor: "zscaler", Alert: alert, Policy: policy})

	require.Equal(t, []string{"block http://evil.example/x", "investigate malop-1", "unblock http://evil.example/x"}, w.platform.Calls())
	require.Equal(t, StateResolved, status.State)
}

func TestFailedContainmentIsRecordedAndTheIncidentGoesOn(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.platform.failures["isolate"] = &integrations.VendorError{Vendor: "cybereason", Operation: "isolate", StatusCode: 403, Message: "user lacks Responder role"}
	w.decide(5*time.Minute, DecisionClose, Decision{By: "x", Note: "vendor account fixed later"})
	policy := testPolicy()
	policy.Response.Policy = "isolate_first"

	status := w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.True(t, timelineHas(status, "action_failed", "user lacks Responder role"))
	require.Equal(t, []string{"isolate pc-1", "investigate malop-1"}, w.platform.Calls(), "a 4xx is not retried")
}

func TestUseTicketsGoesThroughTheAccount(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var a *Activities
	w.env.OnActivity(a.ConsumeTickets, mock.Anything, mock.MatchedBy(func(r ConsumeRequest) bool { return r.Tickets == 2 })).Return(18, nil)
	w.env.OnActivity(a.ConsumeTickets, mock.Anything, mock.MatchedBy(func(r ConsumeRequest) bool { return r.Tickets == 50 })).
		Return(0, temporal.NewNonRetryableApplicationError("not enough option tickets for customer acme: asked 50, balance 18", "AccountRefused", nil))
	ok := w.decide(time.Minute, DecisionUseTickets, Decision{By: "hanako", Service: "forensics", Tickets: 2})
	refused := w.decide(2*time.Minute, DecisionUseTickets, Decision{By: "hanako", Service: "forensics", Tickets: 50})
	w.decide(3*time.Minute, DecisionClose, Decision{By: "x", Note: "done"})
	policy := testPolicy()
	policy.Response.Policy = "investigate_first"

	status := w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.NoError(t, ok.err)
	require.ErrorContains(t, refused.err, "balance 18")
	require.Equal(t, []TicketUse{{Service: "forensics", Tickets: 2, By: "hanako", At: testStart.Add(time.Minute)}}, status.Tickets)
	require.Equal(t, StateSuppressed, status.State, "the incident goes on after a refusal")
}

func TestUnansweredCallMovesTheChainOnAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.at(time.Minute, func() { w.signalCallOutcome("+81300000001", "no-answer") })
	w.decide(3*time.Minute, DecisionAcknowledge, Decision{By: "cio"})
	w.decide(4*time.Minute, DecisionClose, Decision{By: "cio", Note: "ok"})
	policy := testPolicy()
	policy.SLA = nil
	policy.Escalation["emergency"][1].SMSFallback = true

	w.run(input(policy, testAlert(integrations.SeverityEmergency, "fs-01")))

	require.Equal(t, []string{"+81300000001", "+81300000002"}, w.outbox.pages("call"), "the CIO is called at 1m, not 10m")
	require.Len(t, w.outbox.pages("sms"), 1, "the CSO has sms_fallback")
}

func TestStatusUpdatesGoToTheCSIRTAndTheSiteCoalesced(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.decide(time.Minute, DecisionVerdict, Decision{By: "x", Verdict: VerdictFalsePositive})
	policy := testPolicy()

	w.run(input(policy, testAlert(integrations.SeverityHigh, "osk-pc-1")))

	var csirt, site []sentMessage
	for _, m := range w.outbox.all("email") {
		switch m.To {
		case "csirt@acme.example":
			csirt = append(csirt, m)
		case "osaka-it@acme.example":
			site = append(site, m)
		}
	}
	// At 0s the opening (new, containing) goes out at once; the isolation and
	// "contained" gather for 30s; the verdict at 1m (30s after the last message)
	// goes at once with "resolved"; the release that follows goes out as the
	// incident ends instead of waiting its 30s.
	require.Len(t, csirt, 4)
	require.Len(t, site, len(csirt))
	changes := func(m sentMessage) string {
		_, after, _ := strings.Cut(m.Text, "Changes since the last update:")
		before, _, _ := strings.Cut(after, "Recent events:")
		return before
	}
	require.Contains(t, changes(csirt[0]), "new → containing")
	require.NotContains(t, changes(csirt[0]), "Isolated", "the isolation came after the first message left")
	require.Contains(t, changes(csirt[1]), "Isolated osk-pc-1 from the network")
	require.Contains(t, changes(csirt[1]), "containing → contained", "two changes within 30s, one message")
	// The last two leave within the same instant: their activities may finish in
	// either order.
	last := changes(csirt[2]) + changes(csirt[3])
	require.Contains(t, last, "false_positive")
	require.Contains(t, last, "Released osk-pc-1")
	require.False(t, strings.Contains(changes(csirt[2]), "false_positive") && strings.Contains(changes(csirt[2]), "Released osk-pc-1"),
		"the verdict and the release that followed went out as two messages")
}

func TestUnansweredCallFallsBackToSMSWhereConfigured(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testPolicy()
	policy.SLA = nil
	policy.Escalation["emergency"][1].SMSFallback = true
	w.at(time.Minute, func() { w.signalCallOutcome("+81300000001", "busy") })
	w.decide(3*time.Minute, DecisionAcknowledge, Decision{By: "cso"})
	w.decide(4*time.Minute, DecisionClose, Decision{By: "cso", Note: "ok"})

	status := w.run(input(policy, testAlert(integrations.SeverityEmergency, "fs-01")))

	require.Equal(t, []string{"+81300000001"}, w.outbox.pages("sms"), "the CSO is texted when the call is busy")
	require.Equal(t, []string{"+81300000001", "+81300000002"}, w.outbox.pages("call"))
	require.True(t, timelineHas(status, "call", "not answered by a person (busy)"))
}

func TestInfoAlertIsRecordedAndNeverPaged(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.decide(time.Minute, DecisionClose, Decision{By: "x", Note: "informational"})
	policy := testPolicy()
	policy.Escalation["info"] = []config.Step{{Contact: config.Contact{Email: "it-ml@acme.example"}}}

	status := w.run(input(policy, testAlert(integrations.SeverityInfo, "fs-01")))

	require.Empty(t, w.outbox.pages("email"))
	require.Empty(t, w.outbox.pages("call"))
	require.True(t, timelineHas(status, "paging", "never paged"))
}

func TestContinuedIncidentResumesItsClocksAndPaging(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testPolicy()
	carried := IncidentStatus{
		WorkflowID: "incident/acme/cybereason/malop-1", Customer: "acme", Vendor: "cybereason",
		Alert: testAlert(integrations.SeverityHigh, "pc-1"), Severity: integrations.SeverityHigh, State: StateInvestigating,
		OpenedAt: testStart.Add(-20 * time.Minute),
		Clocks:   []Clock{{Name: ClockAck, StartedAt: testStart.Add(-20 * time.Minute), Due: testStart.Add(10 * time.Minute), State: SLAAtRisk}},
		Chains:   []Chain{{Tier: TierCustomer, Severity: integrations.SeverityHigh, StartedAt: testStart.Add(-20 * time.Minute), Done: []string{"x"}}},
		Timeline: []Entry{{At: testStart.Add(-20 * time.Minute), Kind: "opened", Text: "opened before continue-as-new"}},
	}
	var sla SLAView
	w.at(11*time.Minute, func() { w.query(QuerySLA, &sla) })
	w.decide(12*time.Minute, DecisionAcknowledge, Decision{By: "hanako"})
	w.decide(13*time.Minute, DecisionClose, Decision{By: "hanako", Note: "done"})
	in := input(policy, carried.Alert)
	in.Resume = &carried

	status := w.run(in)

	require.Equal(t, SLABreached, sla.State, "the carried ack clock breaches at its carried due time")
	require.Equal(t, "opened before continue-as-new", status.Timeline[0].Text)
	require.Empty(t, w.platform.Calls(), "a continued incident does not respond again")
	require.Contains(t, w.outbox.pages("slack"), "#acme-soc", "the chain goes on where it was: the 15m Slack step")
}

func TestUnansweredLastCallOfARoundKeepsThePauseBeforeTheRepeat(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testPolicy()
	policy.SLA = nil
	policy.Escalation["critical"] = []config.Step{
		{After: 0, Contact: config.Contact{Email: "it-ml@acme.example"}},
		{After: 0, Contact: config.Contact{Call: "+81300000003", Name: "IT on-call"}},
	}
	w.at(time.Minute, func() { w.signalCallOutcome("+81300000003", "no-answer") })
	var status IncidentStatus
	w.at(9*time.Minute, func() { w.query(QueryStatus, &status) })
	w.decide(12*time.Minute, DecisionAcknowledge, Decision{By: "x"})
	w.decide(13*time.Minute, DecisionClose, Decision{By: "x", Note: "ok"})

	w.run(input(policy, testAlert(integrations.SeverityCritical, "fs-01")))

	require.Equal(t, 1, pagedTo(status, "it-ml@acme.example"), "the repeat waits its 10 minutes")
	require.Equal(t, []string{"it-ml@acme.example", "it-ml@acme.example"}, w.outbox.pages("email"), "the second round came at 10m")
}

func pagedTo(s IncidentStatus, address string) int {
	n := 0
	for _, p := range s.Paged {
		if p.Kind == "page" && p.Address == address {
			n++
		}
	}
	return n
}

func TestSeverityWithoutAChainBorrowsTheNextLowerChain(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testPolicy()
	policy.SLA = nil
	delete(policy.Escalation, "emergency")
	w.decide(time.Minute, DecisionAcknowledge, Decision{By: "x"})
	w.decide(2*time.Minute, DecisionClose, Decision{By: "x", Note: "ok"})

	w.run(input(policy, testAlert(integrations.SeverityEmergency, "fs-01")))

	require.Equal(t, []string{"+81300000003"}, w.outbox.pages("call"), "the critical chain's on-call is called")
	require.Equal(t, []string{"it-ml@acme.example"}, w.outbox.pages("email"))
}
