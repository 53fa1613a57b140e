package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/config"
	"xsoc/integrations"
)

// socPolicy is testPolicy with a SOC in front of the customer: the SOC is paged for
// every alert, the customer's chain waits for a confirmed incident.
func socPolicy() Policy {
	p := testPolicy()
	p.Timezone = "Asia/Tokyo"
	p.SOC = &SOCPolicy{
		Name: "X-SOC", Language: "en", Timezone: "Asia/Tokyo", Contact: "+81-3-0000-9999",
		Escalation: map[string][]config.Step{
			"critical": {
				{After: 0, Contact: config.Contact{Slack: "#soc-urgent"}},
				{After: minutes(5), Contact: config.Contact{Call: "+81300009999", Name: "SOC on-call"}},
			},
			"high": {{After: 0, Contact: config.Contact{Slack: "#soc-triage"}}},
		},
		Repeat: config.Repeat{Every: minutes(10), Times: 3},
	}
	return p
}

// customerMail lists the mail the customer's people received (pages and status).
func customerMail(w *world) []sentMessage {
	var mail []sentMessage
	for _, m := range w.outbox.all("email") {
		if strings.HasSuffix(m.To, "@acme.example") {
			mail = append(mail, m)
		}
	}
	return mail
}

func TestSOCIsPagedForEveryAlertAndTheCustomerNotForAFalsePositive(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := socPolicy()
	policy.Response.Policy = "investigate_first"
	w.decide(2*time.Minute, DecisionAcknowledge, Decision{By: "hanako"})
	w.decide(10*time.Minute, DecisionVerdict, Decision{By: "hanako", Verdict: VerdictFalsePositive, Note: "IT inventory script"})

	status := w.run(input(policy, testAlert(integrations.SeverityHigh, "osk-pc-1")))

	require.Equal(t, []string{"#soc-triage"}, w.outbox.pages("slack"), "the SOC's triage channel is paged")
	require.Empty(t, customerMail(w), "a false positive the SOC closes tells the customer nothing")
	require.Empty(t, w.outbox.pages("call"))
	require.Equal(t, "hanako", status.Acknowledged.By)
	require.Nil(t, status.CustomerAcknowledged)
	require.Equal(t, SLAMet, status.clock(ClockAck).State, "the SOC's acknowledgement meets the ack clock")
}

func TestTruePositiveStartsTheCustomersChainAndTheirAcknowledgementIsTheirs(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := socPolicy()
	policy.Response.Policy = "investigate_first"
	w.decide(2*time.Minute, DecisionAcknowledge, Decision{By: "hanako"})
	var beforeVerdict IncidentStatus
	w.at(4*time.Minute, func() { w.query(QueryStatus, &beforeVerdict) })
	w.decide(5*time.Minute, DecisionVerdict, Decision{By: "hanako", Verdict: VerdictTruePositive, Note: "mimikatz confirmed"})
	var customerCall string
	w.at(6*time.Minute, func() {
		var s IncidentStatus
		w.query(QueryStatus, &s)
		for _, p := range s.Paged {
			if p.Tier == TierCustomer && p.Channel == "call" {
				customerCall = p.Key
			}
		}
		w.env.UpdateWorkflow(DecisionAcknowledge, "keypress", &testUpdate{}, Decision{By: "IT on-call", Via: "phone", Page: customerCall})
	})
	w.decide(60*time.Minute, DecisionClose, Decision{By: "hanako", Note: "host rebuilt"})

	status := w.run(input(policy, testAlert(integrations.SeverityCritical, "fs-01")))

	require.Empty(t, pagesOfTier(beforeVerdict, TierCustomer), "nothing reached the customer before the verdict")
	require.Equal(t, []string{"+81300000003"}, w.outbox.pages("call"), "the customer's IT on-call is called once, on the verdict; the SOC on-call never (acknowledged at 2m)")
	require.Equal(t, []string{"it-ml@acme.example"}, w.outbox.pages("email"), "the customer's mailing list is paged on the verdict, and not repeated after their acknowledgement")
	require.NotEmpty(t, customerCall)
	require.Equal(t, "hanako", status.Acknowledged.By)
	require.NotNil(t, status.CustomerAcknowledged)
	require.Equal(t, "IT on-call", status.CustomerAcknowledged.By)
	require.True(t, timelineHas(status, "customer_acknowledged", "customer acknowledged via phone"))
	require.Equal(t, []string{"investigate malop-1", "isolate fs-01", "writeback malop-1 true_positive"}, w.platform.Calls())
}

func pagesOfTier(s IncidentStatus, tier string) []Page {
	var pages []Page
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
	var atTwoMinutes []sentMessage
	w.at(2*time.Minute, func() { atTwoMinutes = customerMail(w) })
	w.decide(20*time.Minute, DecisionVerdict, Decision{By: "hanako", Verdict: VerdictTruePositive})
	w.decide(30*time.Minute, DecisionClose, Decision{By: "hanako", Note: "rebuilt"})

	w.run(input(socPolicy(), testAlert(integrations.SeverityHigh, "osk-pc-1")))

	var to []string
	for _, m := range atTwoMinutes {
		to = append(to, m.To)
		require.Contains(t, m.Text, "Isolated osk-pc-1 from the network", "the message says what we did on their side")
		require.NotContains(t, m.Text, "press 1", "a status update asks nothing of them")
	}
	require.ElementsMatch(t, []string{"csirt@acme.example", "osaka-it@acme.example"}, to,
		"the isolation reached the CSIRT and the site at once, and nothing else did (no page)")
	require.Contains(t, w.outbox.pages("email"), "it-ml@acme.example", "the verdict pages the customer's chain")
}

func TestRespondOnlyAndOnAlertCustomersArePagedWithTheAlert(t *testing.T) {
	t.Parallel()
	for name, adjust := range map[string]func(*Policy){
		"respond-only":           func(p *Policy) { p.Detect = false; p.PageCustomerOnAlert = true },
		"page_customer on_alert": func(p *Policy) { p.PageCustomerOnAlert = true },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			policy := socPolicy()
			policy.Response.Policy = "investigate_first"
			adjust(&policy)
			var early IncidentStatus
			w.at(time.Minute, func() { w.query(QueryStatus, &early) })
			w.decide(2*time.Minute, DecisionClose, Decision{By: "x", Note: "test"})

			w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

			require.NotEmpty(t, pagesOfTier(early, TierCustomer), "the customer was paged with the alert")
			require.NotEmpty(t, pagesOfTier(early, TierSOC), "and the SOC too")
			require.Contains(t, w.outbox.pages("email"), "it-ml@acme.example")
			require.Contains(t, w.outbox.pages("slack"), "#soc-triage")
		})
	}
}

func TestBreachPagesTheSOCsNextLevelNotTheCustomer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := socPolicy()
	policy.Response.Policy = "investigate_first"
	w.decide(40*time.Minute, DecisionAcknowledge, Decision{By: "hanako"})
	w.decide(41*time.Minute, DecisionVerdict, Decision{By: "hanako", Verdict: VerdictFalsePositive})

	status := w.run(input(policy, testAlert(integrations.SeverityHigh, "pc-1")))

	require.Equal(t, SLABreached, status.clock(ClockAck).State)
	require.Contains(t, w.outbox.pages("slack"), "#soc-urgent", "the breach pages the SOC's critical chain")
	require.Empty(t, customerMail(w))
}
