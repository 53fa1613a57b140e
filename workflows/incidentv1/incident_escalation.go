package incidentv1

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

// Chain is the escalation chain in progress: which Severity's steps, counted from
// when, and which steps are done. A Severity raise starts a new chain (Gen+1).
type Chain struct {
	Severity  integrations.Severity `json:"severity"`
	StartedAt time.Time             `json:"started_at"`
	Gen       int                   `json:"gen"`
	Done      []string              `json:"done,omitempty"`
	// AlreadyPaged holds contacts paged by the previous chain, not paged again in
	// the first round of this one.
	AlreadyPaged []string `json:"already_paged,omitempty"`
	// Hurry is set when a call went unanswered: the next step goes out at once.
	Hurry bool `json:"hurry,omitempty"`
}

type plannedPage struct {
	at      time.Time
	key     string
	round   int
	contact config.Contact
}

// plan lists every page of the chain, all rounds, in time order.
func (c Chain) plan(policy Policy, incarnation string) []plannedPage {
	steps := policy.ChainFor(c.Severity)
	if len(steps) == 0 {
		return nil
	}
	roundLength := steps[len(steps)-1].After.D() + policy.repeatEvery()
	var pages []plannedPage
	for round := 0; round <= policy.Repeat.Times; round++ {
		for i, step := range steps {
			pages = append(pages, plannedPage{
				at:      c.StartedAt.Add(time.Duration(round)*roundLength + step.After.D()),
				key:     fmt.Sprintf("%s/page/%d/%s/r%d/s%d", incarnation, c.Gen, c.Severity, round, i),
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

// nextPage is the first planned page not yet done (nor skipped).
func (c *Chain) nextPage(policy Policy, incarnation string) (plannedPage, bool) {
	for _, p := range c.plan(policy, incarnation) {
		if slices.Contains(c.Done, p.key) {
			continue
		}
		if p.round == 0 && slices.Contains(c.AlreadyPaged, contactID(p.contact)) {
			c.Done = append(c.Done, p.key)
			continue
		}
		return p, true
	}
	return plannedPage{}, false
}

// runEscalation pages the chain, step by step and round by round, until someone
// acknowledges or the incident concludes. A Severity raise (new Gen) re-plans.
func (inc *incident) runEscalation(ctx workflow.Context) {
	stopped := func() bool { return inc.status.Acknowledged != nil || inc.status.concluded() }
	for !stopped() {
		gen := inc.status.Chain.Gen
		changed := func() bool { return stopped() || inc.status.Chain.Gen != gen || inc.status.Chain.Hurry }
		next, ok := inc.status.Chain.nextPage(inc.policy, inc.incarnation)
		if !ok {
			_ = workflow.Await(ctx, func() bool { return stopped() || inc.status.Chain.Gen != gen })
			continue
		}
		if wait := next.at.Sub(workflow.Now(ctx)); wait > 0 && !inc.status.Chain.Hurry {
			woken, err := workflow.AwaitWithTimeout(ctx, wait, changed)
			if err != nil || (woken && !inc.status.Chain.Hurry) {
				continue
			}
		}
		if stopped() || inc.status.Chain.Gen != gen {
			continue
		}
		inc.status.Chain.Hurry = false
		inc.status.Chain.Done = append(inc.status.Chain.Done, next.key)
		inc.notify(ctx, activities.KindPage, next.key, next.contact, "")
	}
}

// raiseChain switches paging to the higher Severity's chain from now, remembering
// who was already paged so that the first round does not page them twice.
func (inc *incident) raiseChain(ctx workflow.Context, severity integrations.Severity) {
	var paged []string
	for _, step := range inc.policy.ChainFor(inc.status.Chain.Severity) {
		if inc.wasPaged(step.Contact) {
			paged = append(paged, contactID(step.Contact))
		}
	}
	inc.status.Chain = Chain{Severity: severity, StartedAt: workflow.Now(ctx), Gen: inc.status.Chain.Gen + 1, AlreadyPaged: paged}
}

// pageBreach pages the next escalation level when a clock breaches, even after an
// acknowledgement: a breach is news for management.
func (inc *incident) pageBreach(ctx workflow.Context, clock string) {
	for i, contact := range inc.policy.BreachContacts(inc.status.Severity) {
		key := fmt.Sprintf("%s/breach/%s/%d", inc.incarnation, clock, i)
		inc.notify(ctx, activities.KindBreach, key, contact, fmt.Sprintf("SLA %s breached", clock))
	}
}

// callUnanswered moves the chain on at once when a call was not answered by a person.
// A contact with sms_fallback is texted as well.
func (inc *incident) callUnanswered(ctx workflow.Context, outcome CallOutcome) {
	inc.record(ctx, "call", "", "call to %s not answered by a person (%s): moving on to the next step", outcome.To, outcome.Status)
	inc.status.Chain.Hurry = inc.nextStepInRoundOf(outcome.Key)
	for _, page := range inc.status.Paged {
		if page.Key == outcome.Key && page.FallbackSMS != "" {
			contact := config.Contact{SMS: page.FallbackSMS, Name: page.Name}
			inc.notify(ctx, activities.KindPage, strings.TrimSuffix(page.Key, "/call")+"/fallback", contact, "call not answered")
			return
		}
	}
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
func (inc *incident) nextStepInRoundOf(key string) bool {
	chain := &inc.status.Chain
	next, ok := chain.nextPage(inc.policy, inc.incarnation)
	if !ok {
		return false
	}
	for _, page := range chain.plan(inc.policy, inc.incarnation) {
		if strings.HasPrefix(key, page.key+"/") {
			return page.round == next.round
		}
	}
	return false
}
