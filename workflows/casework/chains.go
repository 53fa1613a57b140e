package casework

import (
	"fmt"
	"slices"
	"time"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/api"
)

// Audience is one tier as messages and chains need it: whom to page by Severity, and
// in which language and time zone they read.
type Audience struct {
	Tier       string
	Language   string
	Timezone   string
	Escalation map[string][]config.Step
	Repeat     config.Repeat
}

// AudienceOf answers a tier's audience. Without a SOC, the customer's chain is the
// only one and does the SOC's job (round-1 behaviour).
func AudienceOf(p api.Policy, tier string) Audience {
	if tier == api.TierSOC && p.SOC != nil {
		return Audience{Tier: api.TierSOC, Language: p.SOC.Language, Timezone: p.SOC.Timezone, Escalation: p.SOC.Escalation, Repeat: p.SOC.Repeat}
	}
	return Audience{Tier: api.TierCustomer, Language: p.Language, Timezone: p.Timezone, Escalation: p.Escalation, Repeat: p.Repeat}
}

// TriageTier is the tier that triages every alert and whose acknowledgement the SLA
// measures: the SOC, or the customer when there is no SOC.
func TriageTier(p api.Policy) string {
	if p.SOC != nil {
		return api.TierSOC
	}
	return api.TierCustomer
}

// ChainFor answers the escalation steps for a Severity, ordered by their delay. A
// Severity given no chain borrows the chain of the next lower Severity that has one,
// so that a more urgent alert never pages fewer people; info never pages.
func (a Audience) ChainFor(severity integrations.Severity) []config.Step {
	for rank := severity.Rank(); rank > integrations.SeverityInfo.Rank(); rank-- {
		if steps := a.ownChain(SeverityOfRank(rank)); len(steps) > 0 {
			return steps
		}
	}
	return nil
}

// ownChain is the chain configured for exactly this Severity, ordered by delay.
func (a Audience) ownChain(severity integrations.Severity) []config.Step {
	steps := slices.Clone(a.Escalation[string(severity)])
	slices.SortStableFunc(steps, func(x, y config.Step) int { return int(x.After.D() - y.After.D()) })
	return steps
}

// BreachContacts answers whom to page when a clock is breached: the first steps of
// the next higher Severity's chain, or this Severity's own first steps at the top.
func (a Audience) BreachContacts(severity integrations.Severity) []config.Contact {
	for rank := severity.Rank() + 1; rank <= integrations.SeverityEmergency.Rank(); rank++ {
		if contacts := FirstContacts(a.ownChain(SeverityOfRank(rank))); len(contacts) > 0 {
			return contacts
		}
	}
	return FirstContacts(a.ChainFor(severity))
}

// FirstContacts are the contacts of a chain's first steps (those of the shortest delay).
func FirstContacts(steps []config.Step) []config.Contact {
	var contacts []config.Contact
	for _, step := range steps {
		if step.After.D() > steps[0].After.D() {
			break
		}
		contacts = append(contacts, step.Contact)
	}
	return contacts
}

// SeverityOfRank is the Severity of a rank (info below the scale).
func SeverityOfRank(rank int) integrations.Severity {
	for _, s := range integrations.Severities {
		if s.Rank() == rank {
			return s
		}
	}
	return integrations.SeverityInfo
}

// repeatEvery is the pause before the chain starts over, never zero.
func (a Audience) repeatEvery() time.Duration {
	if a.Repeat.Every.D() > 0 {
		return a.Repeat.Every.D()
	}
	return config.DefaultRepeat.Every.D()
}

// PlannedPage is one page of a chain: when it is due, its key (which names the
// incarnation, tier, chain, Severity, round and step), and whom it pages.
type PlannedPage struct {
	At      time.Time
	Key     string
	Round   int
	Contact config.Contact
}

// PlanPages lists every page of the chain, all rounds, in time order.
func PlanPages(c api.Chain, audience Audience, incarnation string) []PlannedPage {
	steps := audience.ChainFor(c.Severity)
	if len(steps) == 0 {
		return nil
	}
	roundLength := steps[len(steps)-1].After.D() + audience.repeatEvery()
	var pages []PlannedPage
	for round := 0; round <= audience.Repeat.Times; round++ {
		for i, step := range steps {
			pages = append(pages, PlannedPage{
				At:      c.StartedAt.Add(time.Duration(round)*roundLength + step.After.D()),
				Key:     fmt.Sprintf("%s/%s/page/%d/%s/r%d/s%d", incarnation, c.Tier, c.Gen, c.Severity, round, i),
				Round:   round,
				Contact: step.Contact,
			})
		}
	}
	return pages
}

// ContactID identifies a contact by its channels, to tell whether it was paged.
func ContactID(c config.Contact) string {
	var id string
	for _, ch := range c.Channels() {
		id += ch.Name + ":" + ch.Address + " "
	}
	return id
}

// NextPage is the chain's first planned page not yet done (nor skipped); none once
// the tier acknowledged.
func NextPage(c api.Chain, audience Audience, incarnation string) (PlannedPage, bool) {
	if c.Stopped {
		return PlannedPage{}, false
	}
	for _, p := range PlanPages(c, audience, incarnation) {
		if slices.Contains(c.Done, p.Key) {
			continue
		}
		if p.Round == 0 && slices.Contains(c.AlreadyPaged, ContactID(p.Contact)) {
			continue
		}
		return p, true
	}
	return PlannedPage{}, false
}

// TakeDue marks done and answers the chain's pages due now: all the steps whose time
// has come, or the next one at once when an unanswered call hurried the chain.
func TakeDue(c *api.Chain, audience Audience, incarnation string, now time.Time) []PlannedPage {
	var due []PlannedPage
	for {
		next, ok := NextPage(*c, audience, incarnation)
		if !ok || (next.At.After(now) && !c.Hurry) {
			return due
		}
		c.Hurry = false
		c.Done = append(c.Done, next.Key)
		due = append(due, next)
	}
}
