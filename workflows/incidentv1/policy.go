package incidentv1

import (
	"path"
	"slices"
	"strings"
	"time"

	"xsoc/config"
	"xsoc/integrations"
)

// Policy is what an incident needs to know of its customer, taken from the customers
// file when the alert arrives. It holds no secrets: those stay in the worker's
// environment and are read by activities.
type Policy struct {
	CustomerName  string                    `json:"customer_name"`
	Language      string                    `json:"language"`
	Detect        bool                      `json:"detect"`
	Respond       bool                      `json:"respond"`
	Response      config.Response           `json:"response"`
	Capabilities  integrations.Capabilities `json:"capabilities"`
	Sites         []config.Site             `json:"sites,omitempty"`
	SLA           map[string]config.SLA     `json:"sla,omitempty"`
	Escalation    map[string][]config.Step  `json:"escalation,omitempty"`
	Repeat        config.Repeat             `json:"repeat"`
	StatusUpdates []config.Contact          `json:"status_updates,omitempty"`
}

// PolicyFor takes the incident's policy from the customer's configuration, with
// the capabilities of the vendor platform the alert came from.
func PolicyFor(c config.Customer, capabilities integrations.Capabilities) Policy {
	repeat := config.DefaultRepeat
	if c.EscalationRepeat != nil {
		repeat = *c.EscalationRepeat
	}
	return Policy{
		CustomerName:  c.Name,
		Language:      c.Language,
		Detect:        c.HasService("detect"),
		Respond:       c.HasService("respond"),
		Response:      c.Response,
		Capabilities:  capabilities,
		Sites:         c.Sites,
		SLA:           c.SLA,
		Escalation:    c.Escalation,
		Repeat:        repeat,
		StatusUpdates: c.StatusUpdates,
	}
}

// CanContain tells whether we may and can contain anything for this customer.
func (p Policy) CanContain() bool {
	return p.Respond && (p.Capabilities.IsolateHost || p.Capabilities.BlockIndicators)
}

// IsolateFirst tells whether the policy contains the host before investigating.
// Under hybrid, hosts on the critical list are investigated first.
func (p Policy) IsolateFirst(hosts []integrations.Host) bool {
	switch p.Response.Policy {
	case "isolate_first":
		return true
	case "hybrid":
		return !slices.ContainsFunc(hosts, func(h integrations.Host) bool { return p.IsCritical(h.Label()) })
	}
	return false
}

// IsCritical tells whether the host is on the customer's critical hosts list.
func (p Policy) IsCritical(host string) bool { return matchesAny(p.Response.CriticalHosts, host) }

// SiteOf answers the site whose host patterns match the host, if any.
func (p Policy) SiteOf(host string) (config.Site, bool) {
	for _, site := range p.Sites {
		if matchesAny(site.Hosts, host) {
			return site, true
		}
	}
	return config.Site{}, false
}

func matchesAny(patterns []string, host string) bool {
	host = strings.ToLower(host)
	for _, pattern := range patterns {
		if ok, _ := path.Match(strings.ToLower(pattern), host); ok {
			return true
		}
	}
	return false
}

// SLAFor answers the promised times for a Severity (zero where none is promised).
func (p Policy) SLAFor(severity integrations.Severity) config.SLA { return p.SLA[string(severity)] }

// ChainFor answers the escalation steps for a Severity, ordered by their delay. A
// Severity the customer gave no chain borrows the chain of the next lower Severity
// that has one, so that a more urgent alert never pages fewer people; info never pages.
func (p Policy) ChainFor(severity integrations.Severity) []config.Step {
	for rank := severity.Rank(); rank > integrations.SeverityInfo.Rank(); rank-- {
		if steps := p.ownChain(severityOfRank(rank)); len(steps) > 0 {
			return steps
		}
	}
	return nil
}

// ownChain is the chain configured for exactly this Severity, ordered by delay.
func (p Policy) ownChain(severity integrations.Severity) []config.Step {
	steps := slices.Clone(p.Escalation[string(severity)])
	slices.SortStableFunc(steps, func(a, b config.Step) int { return int(a.After.D() - b.After.D()) })
	return steps
}

// BreachContacts answers whom to page when a clock is breached: the first steps of
// the next higher Severity's chain, or this Severity's own first steps at the top.
func (p Policy) BreachContacts(severity integrations.Severity) []config.Contact {
	for rank := severity.Rank() + 1; rank <= integrations.SeverityEmergency.Rank(); rank++ {
		if contacts := firstContacts(p.ownChain(severityOfRank(rank))); len(contacts) > 0 {
			return contacts
		}
	}
	return firstContacts(p.ChainFor(severity))
}

func firstContacts(steps []config.Step) []config.Contact {
	var contacts []config.Contact
	for _, step := range steps {
		if step.After.D() > steps[0].After.D() {
			break
		}
		contacts = append(contacts, step.Contact)
	}
	return contacts
}

func severityOfRank(rank int) integrations.Severity {
	for _, s := range integrations.Severities {
		if s.Rank() == rank {
			return s
		}
	}
	return integrations.SeverityInfo
}

// repeatEvery is the pause before the chain starts over, never zero.
func (p Policy) repeatEvery() time.Duration {
	if p.Repeat.Every.D() > 0 {
		return p.Repeat.Every.D()
	}
	return config.DefaultRepeat.Every.D()
}
