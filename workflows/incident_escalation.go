package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations"
)

// Chain is one tier's escalation chain in progress: which Severity's steps, counted
// from when, and which steps are done. A Severity raise starts a new chain (Gen+1).
type Chain struct {
	Tier      string                `json:"tier"`
	Severity  integrations.Severity `json:"severity"`
	StartedAt time.Time             `json:"started_at"`
	Gen       int                   `json:"gen"`
	Done      []string              `json:"done,omitempty"`
	// AlreadyPaged holds contacts paged by the previous chain, not paged again in
	// the first round of this one.
	AlreadyPaged []string `json:"already_paged,omitempty"`
	// Hurry is set when a call went unanswered: the next step goes out at once.
	Hurry bool `json:"hurry,omitempty"`
	// Stopped is set when the tier acknowledged.
	Stopped bool `json:"stopped,omitempty"`
}

type plannedPage struct {
	at      time.Time
	key     string
	round   int
	contact config.Contact
}

// plan lists every page of the chain, all rounds, in time order.
func (c Chain) plan(audience Audience, incarnation string) []plannedPage {
	steps := audience.ChainFor(c.Severity)
	if len(steps) == 0 {
		return nil
	}
	roundLength := steps[len(steps)-1].After.D() + audience.repeatEvery()
	var pages []plannedPage
	for round := 0; round <= audience.Repeat.Times; round++ {
		for i, step := range steps {
			pages = append(pages, plannedPage{
				at:      c.StartedAt.Add(time.Duration(round)*roundLength + step.After.D()),
				key:     fmt.Sprintf("%s/%s/page/%d/%s/r%d/s%d", incarnation, c.Tier, c.Gen, c.Severity, round, i),
				round:   round,
				contact: step.Contact,
			})
		}
	}
	return pages
}

// contactID identifies a contact by its channels, to tell whether it was paged.
func contactID(c config.Contact) string {
	var id string
	for _, ch := range c.Channels() {
		id += ch.Name + ":" + ch.Address + " "
	}
	return id
}

// nextPageOf is the next page of one of the incident's chains (see Chain.next).
func (inc *incident) nextPageOf(c *Chain) (plannedPage, bool) {
	return c.next(inc.policy.audience(c.Tier), inc.incarnation)
}

// next is the chain's first planned page not yet done (nor skipped); none once the
// tier acknowledged.
func (c Chain) next(audience Audience, incarnation string) (plannedPage, bool) {
	if c.Stopped {
		return plannedPage{}, false
	}
	for _, p := range c.plan(audience, incarnation) {
		if slices.Contains(c.Done, p.key) {
			continue
		}
		if p.round == 0 && slices.Contains(c.AlreadyPaged, contactID(p.contact)) {
			continue
		}
		return p, true
	}
	return plannedPage{}, false
}

func (inc *incident) chain(tier string) *Chain {
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
	inc.status.Chains = append(inc.status.Chains, Chain{Tier: tier, Severity: inc.status.Severity, StartedAt: workflow.Now(ctx)})
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
		for _, page := range c.takeDue(inc.policy.audience(c.Tier), inc.incarnation, now) {
			inc.notify(ctx, activities.KindPage, c.Tier, page.key, page.contact, "")
		}
	}
}

// takeDue marks done and answers the chain's pages due now: all the steps whose time
// has come, or the next one at once when an unanswered call hurried the chain.
func (c *Chain) takeDue(audience Audience, incarnation string, now time.Time) []plannedPage {
	var due []plannedPage
	for {
		next, ok := c.next(audience, incarnation)
		if !ok || (next.at.After(now) && !c.Hurry) {
			return due
		}
		c.Hurry = false
		c.Done = append(c.Done, next.key)
		due = append(due, next)
	}
}

// raiseChain switches a tier's paging to the higher Severity's chain from now,
// remembering who was already paged so that the first round does not page them twice.
func (inc *incident) raiseChain(ctx workflow.Context, tier string, severity integrations.Severity) {
	c := inc.chain(tier)
	var paged []string
	for _, step := range inc.policy.audience(tier).ChainFor(c.Severity) {
		if inc.wasPaged(step.Contact) {
			paged = append(paged, contactID(step.Contact))
		}
	}
	*c = Chain{Tier: tier, Severity: severity, StartedAt: workflow.Now(ctx), Gen: c.Gen + 1, AlreadyPaged: paged}
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
func (inc *incident) callUnanswered(ctx workflow.Context, outcome CallOutcome) {
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

func (inc *incident) pageByKey(key string) (Page, bool) {
	for _, page := range inc.status.Paged {
		if page.Key == key {
			return page, true
		}
	}
	return Page{}, false
}

// wasPaged tells whether every channel of the contact was paged by this incident.
func (inc *incident) wasPaged(c config.Contact) bool {
	for _, ch := range c.Channels() {
		if !slices.ContainsFunc(inc.status.Paged, func(p Page) bool {
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
func (inc *incident) nextStepInRoundOf(c *Chain, key string) bool {
	next, ok := inc.nextPageOf(c)
	if !ok {
		return false
	}
	for _, page := range c.plan(inc.policy.audience(c.Tier), inc.incarnation) {
		if strings.HasPrefix(key, page.key+"/") {
			return page.round == next.round
		}
	}
	return false
}
