package incident

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
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
	"xsoc/workflows/internal/testworld"
	"xsoc/workflows/start"
)

func testAlert(severity integrations.Severity, hosts ...string) integrations.Alert {
	alert := integrations.Alert{ID: "malop-1", Detection: "Credential dumping (mimikatz)", Severity: severity,
		Users: []string{`ACME\taro`}}
	for _, h := range hosts {
		alert.Hosts = append(alert.Hosts, integrations.Host{Name: h, ID: "pylum-" + h})
	}
	return alert
}

func input(policy api.Policy, alert integrations.Alert) api.IncidentInput {
	return api.IncidentInput{Customer: "acme", Vendor: "cybereason", Alert: alert, Policy: policy}
}

func timelineHas(s api.IncidentStatus, kind, text string) bool {
	return slices.ContainsFunc(s.Timeline, func(e api.Entry) bool { return e.Kind == kind && strings.Contains(e.Text, text) })
}

func TestIsolateFirstHostIsReleasedAfterFalsePositive(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Decide(5*time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictFalsePositive, Note: "admin tool"})

	status := w.Run(input(testworld.Policy(), testAlert(integrations.SeverityCritical, "osk-pc-17")))

	require.Equal(t, []string{"isolate osk-pc-17", "investigate malop-1", "release osk-pc-17", "writeback malop-1 false_positive"}, w.Platform.Calls())
	require.Equal(t, api.StateResolved, status.State)
	require.Equal(t, api.VerdictFalsePositive, status.Verdict)
	require.False(t, status.Containment.Active())
	require.True(t, timelineHas(status, "action", "release osk-pc-17 (released automatically: verdict false_positive) done"))
	require.Equal(t, api.StateResolved, w.Last("XsocState"))
	require.Equal(t, false, w.Last("XsocContained"))
	require.True(t, w.Seen("XsocContained", true), "containment was published while it lasted")
	require.Equal(t, "osaka", w.Last("XsocSite"))
	require.Equal(t, "osk-pc-17", w.Last("XsocHost"))
	require.Equal(t, api.VerdictFalsePositive, w.Last("XsocVerdict"))
	require.Equal(t, int64(4), w.Last("XsocSeverityRank"))
	require.Equal(t, "hanako", status.Acknowledged.By, "a verdict acknowledges")
}

func TestCriticalHostIsInvestigatedFirstAndContainedOnTruePositive(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ack := w.Decide(2*time.Minute, api.DecisionAcknowledge, api.Decision{By: "hanako"})
	w.Decide(10*time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictTruePositive})
	var sla api.SLAView
	w.At(11*time.Minute, func() { w.Query(api.QuerySLA, &sla) })
	w.Decide(20*time.Minute, api.DecisionClose, api.Decision{By: "hanako", Note: "reimaged"})

	status := w.Run(input(testworld.Policy(), testAlert(integrations.SeverityCritical, "fs-01")))

	require.NoError(t, ack.Rejected)
	require.Equal(t, []string{"investigate malop-1", "isolate fs-01", "writeback malop-1 true_positive"}, w.Platform.Calls())
	require.Equal(t, api.StateResolved, status.State)
	require.Equal(t, []string{"fs-01"}, status.Containment.Hosts, "closing keeps the host isolated")
	require.Equal(t, api.SLAMet, sla.State)
	for _, c := range sla.Clocks {
		require.Equal(t, api.SLAMet, c.State, c.Name)
	}
	require.True(t, timelineHas(status, "plan", "investigate first (critical host)"))
	require.Equal(t, status.Findings.Summary, "mimikatz run by ACME\\taro on osk-pc-17")
}

// A vendor that cannot contain (a generic alert) is investigated first under any
// policy, and the plan says why, not that the host is critical.
func TestAPlatformThatCannotContainSaysSoInThePlan(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Decide(time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictFalsePositive})
	policy := testworld.Policy()
	policy.Capabilities = integrations.CapabilitiesOf("generic")
	in := input(policy, testAlert(integrations.SeverityHigh, "osk-pc-17"))
	in.Vendor = "generic"
	status := w.Run(in)

	require.True(t, timelineHas(status, "plan", "generic offers no containment: contain by hand"), "%+v", status.Timeline)
	require.False(t, timelineHas(status, "plan", "critical host"))
}

func TestInvestigateFirstWaitsForVerdictBeforeContaining(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testworld.Policy()
	policy.Response.Policy = "investigate_first"
	var before api.IncidentStatus
	w.At(30*time.Minute, func() { w.Query(api.QueryStatus, &before) })
	w.Decide(40*time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictBenignTruePositive})

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, api.StateInvestigating, before.State)
	require.False(t, before.Containment.Active())
	require.Equal(t, []string{"investigate malop-1", "writeback malop-1 benign_true_positive"}, w.Platform.Calls())
	require.Equal(t, api.StateResolved, status.State)
	require.Equal(t, api.ClockNotNeeded, casework.FindClock(status.Clocks, api.ClockContain).State)
}

func TestDetectOnlyCustomerGetsARecommendationAndNoContainment(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testworld.Policy()
	policy.Respond = false
	policy.Response.Policy = "isolate_first"
	w.Decide(5*time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictTruePositive})
	contain := w.Decide(6*time.Minute, api.DecisionContain, api.Decision{By: "hanako"})
	var waiting api.IncidentStatus
	w.At(7*time.Minute, func() { w.Query(api.QueryStatus, &waiting) })
	w.Decide(30*time.Minute, api.DecisionClose, api.Decision{By: "customer-csirt", Note: "customer isolated and reimaged"})

	status := w.Run(input(policy, testAlert(integrations.SeverityCritical, "pc-1")))

	require.ErrorContains(t, contain.Rejected, "detect only")
	require.Equal(t, api.StateAwaitingCustomer, waiting.State)
	require.Contains(t, waiting.Recommend, "isolate pc-1")
	require.NotContains(t, strings.Join(w.Platform.Calls(), " "), "isolate")
	require.Equal(t, api.StateResolved, status.State)
}

func TestRespondOnlyCustomerTriagesAndWeActOnTheirVerdict(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testworld.Policy()
	policy.Detect = false
	policy.Response.Policy = "investigate_first"
	var waiting api.IncidentStatus
	w.At(time.Minute, func() { w.Query(api.QueryStatus, &waiting) })
	w.Decide(5*time.Minute, api.DecisionVerdict, api.Decision{By: "customer", Verdict: api.VerdictTruePositive})
	w.Decide(9*time.Minute, api.DecisionClose, api.Decision{By: "customer", Note: "done"})

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, api.StateAwaitingCustomer, waiting.State)
	require.Equal(t, []string{"isolate pc-1", "writeback malop-1 true_positive"}, w.Platform.Calls())
	require.Equal(t, api.StateResolved, status.State)
}

func TestUnacknowledgedIncidentGoesAtRiskThenBreachesAndPagesTheNextLevel(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var early, atRisk, breached api.SLAView
	w.At(10*time.Minute, func() { w.Query(api.QuerySLA, &early) })
	w.At(25*time.Minute, func() { w.Query(api.QuerySLA, &atRisk) })
	w.At(31*time.Minute, func() { w.Query(api.QuerySLA, &breached) })
	w.Decide(32*time.Minute, api.DecisionAcknowledge, api.Decision{By: "hanako"})
	w.Decide(5*time.Hour, api.DecisionClose, api.Decision{By: "hanako", Note: "duplicate of incident 7"})
	policy := testworld.Policy()
	policy.Response.Policy = "investigate_first"

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, api.SLAOnTrack, early.State)
	require.Equal(t, api.SLAAtRisk, atRisk.State)
	require.Equal(t, api.SLABreached, breached.State)
	require.True(t, w.Seen("XsocSLAState", api.SLAAtRisk))
	require.True(t, w.Seen("XsocSLAState", api.SLABreached))
	require.Equal(t, api.SLABreached, w.Last("XsocSLAState"))
	require.True(t, timelineHas(status, "sla_breach", "SLA breached: ack"))
	require.True(t, timelineHas(status, "sla_breach", "SLA breached: verdict"), "the 4h verdict clock also ran out")
	require.Contains(t, w.Outbox.Pages("call"), "+81300000003", "the breach pages the critical chain's on-call")
	require.Equal(t, api.StateSuppressed, status.State)
}

func TestAcknowledgeStopsTheChainAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Decide(5*time.Minute, api.DecisionAcknowledge, api.Decision{By: "cso", Via: "phone"})
	w.Decide(4*time.Hour, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictFalsePositive})
	policy := testworld.Policy()
	policy.SLA = nil

	status := w.Run(input(policy, testAlert(integrations.SeverityEmergency, "fs-01")))

	require.Equal(t, []string{"+81300000001"}, w.Outbox.Pages("call"), "the CIO (at 10m) is never called")
	require.Equal(t, []string{"it-ml@acme.example"}, w.Outbox.Pages("email"))
	require.Equal(t, "phone", status.Acknowledged.Via)
}

func TestChainRepeatsUntilSomeoneAcknowledges(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Decide(3*time.Hour, api.DecisionAcknowledge, api.Decision{By: "hanako"})
	w.Decide(3*time.Hour+time.Minute, api.DecisionClose, api.Decision{By: "hanako", Note: "noise"})
	policy := testworld.Policy()
	policy.SLA = nil
	policy.Response.Policy = "investigate_first"

	w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	// A round is 15m of steps + 10m pause: rounds at 0, 25m, 50m, 75m, then no more.
	require.Len(t, w.Outbox.Pages("email"), 4)
	require.Len(t, w.Outbox.Pages("slack"), 4)
}

func TestEscalateReplansClocksAndPagesTheHigherChainOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Decide(5*time.Minute, api.DecisionEscalate, api.Decision{By: "hanako", Severity: "emergency", Note: "domain admin"})
	var sla api.SLAView
	w.At(6*time.Minute, func() { w.Query(api.QuerySLA, &sla) })
	w.Decide(7*time.Minute, api.DecisionAcknowledge, api.Decision{By: "cso"})
	w.Decide(8*time.Minute, api.DecisionClose, api.Decision{By: "cso", Note: "handled"})
	policy := testworld.Policy()
	policy.Response.Policy = "investigate_first"

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, integrations.SeverityEmergency, status.Severity)
	ack := casework.FindClock(status.Clocks, api.ClockAck)
	require.Equal(t, testworld.Start.Add(10*time.Minute), ack.Due, "5m of the emergency ack SLA from the raise")
	require.Equal(t, testworld.Start.Add(35*time.Minute), sla.Clocks[1].Due, "verdict due moved forward to 30m after the raise")
	require.Equal(t, []string{"it-ml@acme.example"}, w.Outbox.Pages("email"), "the mailing list already paged is not paged again")
	require.Equal(t, []string{"+81300000001"}, w.Outbox.Pages("call"), "the CSO is called on the raise")
	require.True(t, w.Seen("XsocSeverity", "emergency"))
	require.True(t, w.Seen("XsocSeverityRank", int64(5)))
}

func TestDecisionsThatDoNotApplyAreRefusedWithAReason(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, decision string
		d              api.Decision
		want           string
	}{
		{"no by", api.DecisionAcknowledge, api.Decision{}, `"by" is required`},
		{"release with nothing contained", api.DecisionRelease, api.Decision{By: "x"}, "nothing is contained"},
		{"unknown verdict", api.DecisionVerdict, api.Decision{By: "x", Verdict: "maybe"}, `unknown verdict "maybe"`},
		{"escalate downwards", api.DecisionEscalate, api.Decision{By: "x", Severity: "low"}, "not above the current high"},
		{"unknown severity", api.DecisionEscalate, api.Decision{By: "x", Severity: "urgent"}, `unknown severity "urgent"`},
		{"no tickets", api.DecisionUseTickets, api.Decision{By: "x", Service: "forensics"}, `"tickets" must be at least 1`},
		{"empty comment", api.DecisionComment, api.Decision{By: "x"}, `"note" is required`},
		{"close without verdict or note", api.DecisionClose, api.Decision{By: "x"}, "give a verdict first"},
		{"contain a host not in the incident", api.DecisionContain, api.Decision{By: "x", Host: "other"}, `host "other" is not part of this incident`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			policy := testworld.Policy()
			policy.Response.Policy = "investigate_first"
			outcome := w.Decide(time.Minute, tc.decision, tc.d)
			w.Decide(2*time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "end of test"})
			status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))
			require.ErrorContains(t, outcome.Rejected, tc.want)
			require.Equal(t, api.StateSuppressed, status.State, "the incident goes on after a refusal")
		})
	}
}

func TestInvalidSignalIsRecordedAsRejectedAndTheIncidentGoesOn(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Signal(time.Minute, api.DecisionRelease, api.Decision{By: "bob"})
	w.Signal(2*time.Minute, api.DecisionVerdict, api.Decision{By: "bob", Verdict: "nope"})
	w.Signal(3*time.Minute, api.DecisionComment, api.Decision{By: "bob", Note: "looked at the process tree"})
	w.Signal(4*time.Minute, api.DecisionClose, api.Decision{By: "bob", Note: "test"})
	policy := testworld.Policy()
	policy.Response.Policy = "investigate_first"

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.True(t, timelineHas(status, "rejected", "release refused: nothing is contained"))
	require.True(t, timelineHas(status, "rejected", `verdict refused: unknown verdict "nope"`))
	require.True(t, timelineHas(status, "comment", "looked at the process tree"))
	require.Equal(t, api.StateSuppressed, status.State)
}

func TestRedeliveryAddsHostsAndRaisesSeverityWithoutDuplicating(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var redelivery api.DeliveryResult
	w.At(time.Minute, func() {
		w.Env.UpdateWorkflow(api.UpdateDeliverAlert, "", &testworld.TestUpdate{Into: &redelivery}, testAlert(integrations.SeverityCritical, "pc-1", "pc-2"))
	})
	wrong := &testworld.TestUpdate{}
	other := testAlert(integrations.SeverityCritical, "pc-9")
	other.ID = "malop-2"
	w.At(2*time.Minute, func() { w.Env.UpdateWorkflow(api.UpdateDeliverAlert, "", wrong, other) })
	w.Decide(3*time.Minute, api.DecisionVerdict, api.Decision{By: "x", Verdict: api.VerdictFalsePositive})
	policy := testworld.Policy()
	policy.Response.Policy = "isolate_first"

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.True(t, redelivery.Duplicate)
	require.ErrorContains(t, wrong.Err, "does not belong to incident of alert malop-1")
	require.Equal(t, 2, status.Deliveries)
	require.Equal(t, integrations.SeverityCritical, status.Severity)
	require.Equal(t, []string{"isolate pc-1", "investigate malop-1", "isolate pc-2", "release pc-1", "release pc-2", "writeback malop-1 false_positive"}, w.Platform.Calls())
	require.True(t, timelineHas(status, "hosts_added", "pc-2"))
}

func TestZscalerBlocksIndicatorsInsteadOfIsolating(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Decide(5*time.Minute, api.DecisionVerdict, api.Decision{By: "x", Verdict: api.VerdictFalsePositive})
	policy := testworld.Policy()
	policy.Response.Policy = "isolate_first"
	policy.Capabilities = integrations.CapabilitiesOf("zscaler")
	alert := testAlert(integrations.SeverityHigh, "pc-1")
	alert.Indicators = []integrations.Indicator{{Type: "url", Value: "http://evil.example/x"}, {Type: "sha256", Value: "abc"}}

	status := w.Run(api.IncidentInput{Customer: "acme", Vendor: "zscaler", Alert: alert, Policy: policy})

	require.Equal(t, []string{"block http://evil.example/x", "investigate malop-1", "unblock http://evil.example/x"}, w.Platform.Calls())
	require.Equal(t, api.StateResolved, status.State)
}

func TestFailedContainmentIsRecordedAndTheIncidentGoesOn(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Platform.Failures["isolate"] = &integrations.VendorError{Vendor: "cybereason", Operation: "isolate", StatusCode: 403, Message: "user lacks Responder role"}
	w.Decide(5*time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "vendor account fixed later"})
	policy := testworld.Policy()
	policy.Response.Policy = "isolate_first"

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.True(t, timelineHas(status, "action_failed", "user lacks Responder role"))
	require.Equal(t, []string{"isolate pc-1", "investigate malop-1"}, w.Platform.Calls(), "a 4xx is not retried")
}

func TestUseTicketsGoesThroughTheAccount(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var a *start.Calls
	w.Env.OnActivity(a.ConsumeTickets, mock.Anything, mock.MatchedBy(func(r api.ConsumeRequest) bool { return r.Tickets == 2 })).Return(18, nil)
	w.Env.OnActivity(a.ConsumeTickets, mock.Anything, mock.MatchedBy(func(r api.ConsumeRequest) bool { return r.Tickets == 50 })).
		Return(0, temporal.NewNonRetryableApplicationError("not enough option tickets for customer acme: asked 50, balance 18", "AccountRefused", nil))
	ok := w.Decide(time.Minute, api.DecisionUseTickets, api.Decision{By: "hanako", Service: "forensics", Tickets: 2})
	refused := w.Decide(2*time.Minute, api.DecisionUseTickets, api.Decision{By: "hanako", Service: "forensics", Tickets: 50})
	w.Decide(3*time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "done"})
	policy := testworld.Policy()
	policy.Response.Policy = "investigate_first"

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.NoError(t, ok.Err)
	require.ErrorContains(t, refused.Err, "balance 18")
	require.Equal(t, []api.TicketUse{{Service: "forensics", Tickets: 2, By: "hanako", At: testworld.Start.Add(time.Minute)}}, status.Tickets)
	require.Equal(t, api.StateSuppressed, status.State, "the incident goes on after a refusal")
}

func TestUnansweredCallMovesTheChainOnAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.At(time.Minute, func() { w.SignalCallOutcome("+81300000001", "no-answer") })
	w.Decide(3*time.Minute, api.DecisionAcknowledge, api.Decision{By: "cio"})
	w.Decide(4*time.Minute, api.DecisionClose, api.Decision{By: "cio", Note: "ok"})
	policy := testworld.Policy()
	policy.SLA = nil
	policy.Escalation["emergency"][1].SMSFallback = true

	w.Run(input(policy, testAlert(integrations.SeverityEmergency, "fs-01")))

	require.Equal(t, []string{"+81300000001", "+81300000002"}, w.Outbox.Pages("call"), "the CIO is called at 1m, not 10m")
	require.Len(t, w.Outbox.Pages("sms"), 1, "the CSO has sms_fallback")
}

func TestStatusUpdatesGoToTheCSIRTAndTheSiteCoalesced(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Decide(time.Minute, api.DecisionVerdict, api.Decision{By: "x", Verdict: api.VerdictFalsePositive})
	policy := testworld.Policy()

	w.Run(input(policy, testAlert(integrations.SeverityHigh, "osk-pc-1")))

	var csirt, site []testworld.SentMessage
	for _, m := range w.Outbox.All("email") {
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
	changes := func(m testworld.SentMessage) string {
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
	policy := testworld.Policy()
	policy.SLA = nil
	policy.Escalation["emergency"][1].SMSFallback = true
	w.At(time.Minute, func() { w.SignalCallOutcome("+81300000001", "busy") })
	w.Decide(3*time.Minute, api.DecisionAcknowledge, api.Decision{By: "cso"})
	w.Decide(4*time.Minute, api.DecisionClose, api.Decision{By: "cso", Note: "ok"})

	status := w.Run(input(policy, testAlert(integrations.SeverityEmergency, "fs-01")))

	require.Equal(t, []string{"+81300000001"}, w.Outbox.Pages("sms"), "the CSO is texted when the call is busy")
	require.Equal(t, []string{"+81300000001", "+81300000002"}, w.Outbox.Pages("call"))
	require.True(t, timelineHas(status, "call", "not answered by a person (busy)"))
}

func TestInfoAlertIsRecordedAndNeverPaged(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.Decide(time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "informational"})
	policy := testworld.Policy()
	policy.Escalation["info"] = []config.Step{{Contact: config.Contact{Email: "it-ml@acme.example"}}}

	status := w.Run(input(policy, testAlert(integrations.SeverityInfo, "fs-01")))

	require.Empty(t, w.Outbox.Pages("email"))
	require.Empty(t, w.Outbox.Pages("call"))
	require.True(t, timelineHas(status, "paging", "never paged"))
}

func TestContinuedIncidentResumesItsClocksAndPaging(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testworld.Policy()
	carried := api.IncidentStatus{
		WorkflowID: "incident/acme/cybereason/malop-1", Customer: "acme", Vendor: "cybereason",
		Alert: testAlert(integrations.SeverityHigh, "pc-1"), Severity: integrations.SeverityHigh, State: api.StateInvestigating,
		OpenedAt: testworld.Start.Add(-20 * time.Minute),
		Clocks:   []api.Clock{{Name: api.ClockAck, StartedAt: testworld.Start.Add(-20 * time.Minute), Due: testworld.Start.Add(10 * time.Minute), State: api.SLAAtRisk}},
		Chains:   []api.Chain{{Tier: api.TierCustomer, Severity: integrations.SeverityHigh, StartedAt: testworld.Start.Add(-20 * time.Minute), Done: []string{"x"}}},
		Timeline: []api.Entry{{At: testworld.Start.Add(-20 * time.Minute), Kind: "opened", Text: "opened before continue-as-new"}},
	}
	var sla api.SLAView
	w.At(11*time.Minute, func() { w.Query(api.QuerySLA, &sla) })
	w.Decide(12*time.Minute, api.DecisionAcknowledge, api.Decision{By: "hanako"})
	w.Decide(13*time.Minute, api.DecisionClose, api.Decision{By: "hanako", Note: "done"})
	in := input(policy, carried.Alert)
	in.Resume = &carried

	status := w.Run(in)

	require.Equal(t, api.SLABreached, sla.State, "the carried ack clock breaches at its carried due time")
	require.Equal(t, "opened before continue-as-new", status.Timeline[0].Text)
	require.Empty(t, w.Platform.Calls(), "a continued incident does not respond again")
	require.Contains(t, w.Outbox.Pages("slack"), "#acme-soc", "the chain goes on where it was: the 15m Slack step")
}

func TestUnansweredLastCallOfARoundKeepsThePauseBeforeTheRepeat(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testworld.Policy()
	policy.SLA = nil
	policy.Escalation["critical"] = []config.Step{
		{After: 0, Contact: config.Contact{Email: "it-ml@acme.example"}},
		{After: 0, Contact: config.Contact{Call: "+81300000003", Name: "IT on-call"}},
	}
	w.At(time.Minute, func() { w.SignalCallOutcome("+81300000003", "no-answer") })
	var status api.IncidentStatus
	w.At(9*time.Minute, func() { w.Query(api.QueryStatus, &status) })
	w.Decide(12*time.Minute, api.DecisionAcknowledge, api.Decision{By: "x"})
	w.Decide(13*time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "ok"})

	w.Run(input(policy, testAlert(integrations.SeverityCritical, "fs-01")))

	require.Equal(t, 1, pagedTo(status, "it-ml@acme.example"), "the repeat waits its 10 minutes")
	require.Equal(t, []string{"it-ml@acme.example", "it-ml@acme.example"}, w.Outbox.Pages("email"), "the second round came at 10m")
}

func pagedTo(s api.IncidentStatus, address string) int {
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
	policy := testworld.Policy()
	policy.SLA = nil
	delete(policy.Escalation, "emergency")
	w.Decide(time.Minute, api.DecisionAcknowledge, api.Decision{By: "x"})
	w.Decide(2*time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "ok"})

	w.Run(input(policy, testAlert(integrations.SeverityEmergency, "fs-01")))

	require.Equal(t, []string{"+81300000003"}, w.Outbox.Pages("call"), "the critical chain's on-call is called")
	require.Equal(t, []string{"it-ml@acme.example"}, w.Outbox.Pages("email"))
}
