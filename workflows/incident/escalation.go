package incident

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// nextPageOf is the next page of one of the incident's chains (see Chain.next).
func (inc *incident) nextPageOf(c *api.Chain) (casework.PlannedPage, bool) {
	return casework.NextPage(*c, inc.policy.audience(c.Tier), inc.incarnation)
}

func (inc *incident) chain(tier string) *api.Chain {
	for i := range inc.status.Chains {
		if inc.status.Chains[i].Tier == tier {
			return &inc.status.Chains[i]
		}
	}
	return nil
}

// startChain starts a tier's chain at the incident's Severity, from now.
func (inc *incident) startChain(ctx workflow.Context, tier string) {
	if inc.chain(tier) != nil {
		return
	}
	inc.status.Chains = append(inc.status.Chains, api.Chain{Tier: tier, Severity: inc.status.Severity, StartedAt: workflow.Now(ctx)})
	if len(inc.policy.audience(tier).ChainFor(inc.status.Severity)) == 0 {
		inc.note(ctx, "paging", "%s has no escalation chain for severity %s: nobody of theirs is paged", tier, inc.status.Severity)
	}
}

// stopChain stops a tier's paging: someone of theirs acknowledged.
func (inc *incident) stopChain(tier string) {
	if c := inc.chain(tier); c != nil {
		c.Stopped, c.Hurry = true, false
	}
}

// pageDueSteps sends every step whose time has come, chain by chain: all the steps
// due now, or the next one at once when an unanswered call hurried the chain.
func (inc *incident) pageDueSteps(ctx workflow.Context) {
	now := workflow.Now(ctx)
	for i := range inc.status.Chains {
		c := &inc.status.Chains[i]
		for _, page := range casework.TakeDue(c, inc.policy.audience(c.Tier), inc.incarnation, now) {
			inc.notify(ctx, activities.KindPage, c.Tier, page.Key, page.Contact, "")
		}
	}
}

// raiseChain switches a tier's paging to the higher Severity's chain from now,
// remembering who was already paged so that the first round does not page them twice.
func (inc *incident) raiseChain(ctx workflow.Context, tier string, severity integrations.Severity) {
	c := inc.chain(tier)
	var paged []string
	for _, step := range inc.policy.audience(tier).ChainFor(c.Severity) {
		if inc.wasPaged(step.Contact) {
			paged = append(paged, casework.ContactID(step.Contact))
		}
	}
	*c = api.Chain{Tier: tier, Severity: severity, StartedAt: workflow.Now(ctx), Gen: c.Gen + 1, AlreadyPaged: paged}
}

// pageBreach pages the next escalation level of the triaging tier when a clock
// breaches, even after an acknowledgement: a breach is news for management.
func (inc *incident) pageBreach(ctx workflow.Context, clock string) {
	tier := inc.policy.triageTier()
	for i, contact := range inc.policy.audience(tier).BreachContacts(inc.status.Severity) {
		key := fmt.Sprintf("%s/breach/%s/%d", inc.incarnation, clock, i)
		inc.notify(ctx, activities.KindBreach, tier, key, contact, fmt.Sprintf("SLA %s breached", clock))
	}
}

// callUnanswered moves the call's chain on at once when a call was not answered by a
// person. A contact with sms_fallback is texted as well.
func (inc *incident) callUnanswered(ctx workflow.Context, outcome api.CallOutcome) {
	page, ok := inc.pageByKey(outcome.Key)
	if !ok || inc.status.concluded() {
		return
	}
	c := inc.chain(page.Tier)
	if c == nil || c.Stopped {
		return
	}
	inc.note(ctx, "call", "call to %s not answered by a person (%s): moving on to the next step", outcome.To, outcome.Status)
	c.Hurry = inc.nextStepInRoundOf(c, outcome.Key)
	if page.FallbackSMS != "" {
		contact := config.Contact{SMS: page.FallbackSMS, Name: page.Name}
		inc.notify(ctx, activities.KindPage, page.Tier, strings.TrimSuffix(page.Key, "/call")+"/fallback", contact, "call not answered")
	}
}

func (inc *incident) pageByKey(key string) (api.Page, bool) {
	for _, page := range inc.status.Paged {
		if page.Key == key {
			return page, true
		}
	}
	return api.Page{}, false
}

// wasPaged tells whether every channel of the contact was paged by this incident.
func (inc *incident) wasPaged(c config.Contact) bool {
	for _, ch := range c.Channels() {
		if !slices.ContainsFunc(inc.status.Paged, func(p api.Page) bool {
			return p.Kind == activities.KindPage && p.Channel == ch.Name && p.Address == ch.Address
		}) {
			return false
		}
	}
	return true
}

// nextStepInRoundOf tells whether the chain's next page belongs to the same round as
// the page with this key: an unanswered call hurries the rest of its round, while the
// next round keeps its pause, so nobody is paged again at once.
func (inc *incident) nextStepInRoundOf(c *api.Chain, key string) bool {
	next, ok := inc.nextPageOf(c)
	if !ok {
		return false
	}
	for _, page := range casework.PlanPages(*c, inc.policy.audience(c.Tier), inc.incarnation) {
		if strings.HasPrefix(key, page.Key+"/") {
			return page.Round == next.Round
		}
	}
	return false
}
