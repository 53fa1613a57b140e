package incident

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
	"xsoc/workflows/internal/testworld"
)

// customerMail lists the mail the customer's people received (pages and status).
func customerMail(w *testworld.World) []testworld.SentMessage {
	var mail []testworld.SentMessage
	for _, m := range w.Outbox.All("email") {
		if strings.HasSuffix(m.To, "@acme.example") {
			mail = append(mail, m)
		}
	}
	return mail
}

func TestSOCIsPagedForEveryAlertAndTheCustomerNotForAFalsePositive(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testworld.SOCPolicy()
	policy.Response.Policy = "investigate_first"
	w.Decide(2*time.Minute, api.DecisionAcknowledge, api.Decision{By: "hanako"})
	w.Decide(10*time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictFalsePositive, Note: "IT inventory script"})

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "osk-pc-1")))

	require.Equal(t, []string{"#soc-triage"}, w.Outbox.Pages("slack"), "the SOC's triage channel is paged")
	require.Empty(t, customerMail(w), "a false positive the SOC closes tells the customer nothing")
	require.Empty(t, w.Outbox.Pages("call"))
	require.Equal(t, "hanako", status.Acknowledged.By)
	require.Nil(t, status.CustomerAcknowledged)
	require.Equal(t, api.SLAMet, casework.FindClock(status.Clocks, api.ClockAck).State, "the SOC's acknowledgement meets the ack clock")
}

func TestTruePositiveStartsTheCustomersChainAndTheirAcknowledgementIsTheirs(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testworld.SOCPolicy()
	policy.Response.Policy = "investigate_first"
	w.Decide(2*time.Minute, api.DecisionAcknowledge, api.Decision{By: "hanako"})
	var beforeVerdict api.IncidentStatus
	w.At(4*time.Minute, func() { w.Query(api.QueryStatus, &beforeVerdict) })
	w.Decide(5*time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictTruePositive, Note: "mimikatz confirmed"})
	var customerCall string
	w.At(6*time.Minute, func() {
		var s api.IncidentStatus
		w.Query(api.QueryStatus, &s)
		for _, p := range s.Paged {
			if p.Tier == api.TierCustomer && p.Channel == "call" {
				customerCall = p.Key
			}
		}
		w.Env.UpdateWorkflow(api.DecisionAcknowledge, "keypress", &testworld.TestUpdate{}, api.Decision{By: "IT on-call", Via: "phone", Page: customerCall})
	})
	w.Decide(60*time.Minute, api.DecisionClose, api.Decision{By: "hanako", Note: "host rebuilt"})

	status := w.Run(input(policy, testAlert(integrations.SeverityCritical, "fs-01")))

	require.Empty(t, pagesOfTier(beforeVerdict, api.TierCustomer), "nothing reached the customer before the verdict")
	require.Equal(t, []string{"+81300000003"}, w.Outbox.Pages("call"), "the customer's IT on-call is called once, on the verdict; the SOC on-call never (acknowledged at 2m)")
	require.Equal(t, []string{"it-ml@acme.example"}, w.Outbox.Pages("email"), "the customer's mailing list is paged on the verdict, and not repeated after their acknowledgement")
	require.NotEmpty(t, customerCall)
	require.Equal(t, "hanako", status.Acknowledged.By)
	require.NotNil(t, status.CustomerAcknowledged)
	require.Equal(t, "IT on-call", status.CustomerAcknowledged.By)
	require.True(t, timelineHas(status, "customer_acknowledged", "customer acknowledged via phone"))
	require.Equal(t, []string{"investigate malop-1", "isolate fs-01", "writeback malop-1 true_positive"}, w.Platform.Calls())
}

func pagesOfTier(s api.IncidentStatus, tier string) []api.Page {
	var pages []api.Page
	for _, p := range s.Paged {
		if p.Tier == tier {
			pages = append(pages, p)
		}
	}
	return pages
}

func TestIsolateFirstTellsTheCSIRTAndTheSiteBeforeAnyVerdict(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var atTwoMinutes []testworld.SentMessage
	w.At(2*time.Minute, func() { atTwoMinutes = customerMail(w) })
	w.Decide(20*time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictTruePositive})
	w.Decide(30*time.Minute, api.DecisionClose, api.Decision{By: "hanako", Note: "rebuilt"})

	w.Run(input(testworld.SOCPolicy(), testAlert(integrations.SeverityHigh, "osk-pc-1")))

	var to []string
	for _, m := range atTwoMinutes {
		to = append(to, m.To)
		require.Contains(t, m.Text, "Isolated osk-pc-1 from the network", "the message says what we did on their side")
		require.NotContains(t, m.Text, "press 1", "a status update asks nothing of them")
	}
	require.ElementsMatch(t, []string{"csirt@acme.example", "osaka-it@acme.example"}, to,
		"the isolation reached the CSIRT and the site at once, and nothing else did (no page)")
	require.Contains(t, w.Outbox.Pages("email"), "it-ml@acme.example", "the verdict pages the customer's chain")
}

func TestRespondOnlyAndOnAlertCustomersArePagedWithTheAlert(t *testing.T) {
	t.Parallel()
	for name, adjust := range map[string]func(*api.Policy){
		"respond-only":           func(p *api.Policy) { p.Detect = false; p.PageCustomerOnAlert = true },
		"page_customer on_alert": func(p *api.Policy) { p.PageCustomerOnAlert = true },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			policy := testworld.SOCPolicy()
			policy.Response.Policy = "investigate_first"
			adjust(&policy)
			var early api.IncidentStatus
			w.At(time.Minute, func() { w.Query(api.QueryStatus, &early) })
			w.Decide(2*time.Minute, api.DecisionClose, api.Decision{By: "x", Note: "test"})

			w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

			require.NotEmpty(t, pagesOfTier(early, api.TierCustomer), "the customer was paged with the alert")
			require.NotEmpty(t, pagesOfTier(early, api.TierSOC), "and the SOC too")
			require.Contains(t, w.Outbox.Pages("email"), "it-ml@acme.example")
			require.Contains(t, w.Outbox.Pages("slack"), "#soc-triage")
		})
	}
}

func TestBreachPagesTheSOCsNextLevelNotTheCustomer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := testworld.SOCPolicy()
	policy.Response.Policy = "investigate_first"
	w.Decide(40*time.Minute, api.DecisionAcknowledge, api.Decision{By: "hanako"})
	w.Decide(41*time.Minute, api.DecisionVerdict, api.Decision{By: "hanako", Verdict: api.VerdictFalsePositive})

	status := w.Run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, api.SLABreached, casework.FindClock(status.Clocks, api.ClockAck).State)
	require.Contains(t, w.Outbox.Pages("slack"), "#soc-urgent", "the breach pages the SOC's critical chain")
	require.Empty(t, customerMail(w))
}
