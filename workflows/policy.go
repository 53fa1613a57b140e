package workflows

import (
	"path"
	"slices"
	"strings"
	"time"

	"xsoc/config"
	"xsoc/integrations"
)

// Policy is what an incident needs to know of its customer and of the SOC, taken
// from the customers file when the alert arrives. It holds no secrets: those stay in
// the worker's environment and are read by activities.
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
	// Timezone is the customer's IANA zone: the times its people read.
	Timezone string `json:"timezone,omitempty"`
	// StatusCoalesce gathers an incident's changes into one status message.
	StatusCoalesce config.Duration `json:"status_coalesce,omitempty"`
	// PageCustomerOnAlert starts the customer's own chain with every alert (respond-only
	// customers, page_customer: on_alert, or no SOC); otherwise it starts when the SOC
	// confirms a true positive.
	PageCustomerOnAlert bool `json:"page_customer_on_alert,omitempty"`
	// SOC is the provider's own team, paged for every alert; nil without a soc: block.
	SOC *SOCPolicy `json:"soc,omitempty"`
}

// SOCPolicy is the SOC as an incident needs it: who they are and how to page them.
type SOCPolicy struct {
	Name       string                   `json:"name"`
	Language   string                   `json:"language"`
	Timezone   string                   `json:"timezone,omitempty"`
	Contact    string                   `json:"contact,omitempty"`
	Escalation map[string][]config.Step `json:"escalation"`
	Repeat     config.Repeat            `json:"repeat"`
	Notices    []config.Contact         `json:"notices,omitempty"`
}

// PolicyFor takes the incident's policy from the customer's configuration and the
// SOC's, with the capabilities of the vendor platform the alert came from.
func PolicyFor(c config.Customer, soc *config.SOC, capabilities integrations.Capabilities) Policy {
	repeat := config.DefaultRepeat
	if c.EscalationRepeat != nil {
		repeat = *c.EscalationRepeat
	}
	p := Policy{
		CustomerName:        c.Name,
		Language:            c.Language,
		Detect:              c.HasService("detect"),
		Respond:             c.HasService("respond"),
		Response:            c.Response,
		Capabilities:        capabilities,
		Sites:               c.Sites,
		SLA:                 c.SLA,
		Escalation:          c.Escalation,
		Repeat:              repeat,
		StatusUpdates:       c.StatusUpdates,
		Timezone:            c.Timezone,
		StatusCoalesce:      c.StatusCoalesce,
		PageCustomerOnAlert: c.PagesCustomerOnAlert(soc),
	}
	if soc != nil {
		socRepeat := config.DefaultRepeat
		if soc.EscalationRepeat != nil {
			socRepeat = *soc.EscalationRepeat
		}
		p.SOC = &SOCPolicy{Name: soc.Name, Language: soc.Language, Timezone: soc.Timezone, Contact: soc.Contact,
			Escalation: soc.Escalation, Repeat: socRepeat, Notices: soc.Notices}
	}
	return p
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

// coalesce is how long status changes gather before they go out.
func (p Policy) coalesce() time.Duration {
	if p.StatusCoalesce > 0 {
		return p.StatusCoalesce.D()
	}
	return config.DefaultStatusCoalesce.D()
}

// Paging tiers: the SOC's analysts and the customer's own people.
const (
	TierSOC      = "soc"
	TierCustomer = "customer"
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

// audience answers a tier's audience. Without a SOC, the customer's chain is the
// only one and does the SOC's job (round-1 behaviour).
func (p Policy) audience(tier string) Audience {
	if tier == TierSOC && p.SOC != nil {
		return Audience{Tier: TierSOC, Language: p.SOC.Language, Timezone: p.SOC.Timezone, Escalation: p.SOC.Escalation, Repeat: p.SOC.Repeat}
	}
	return Audience{Tier: TierCustomer, Language: p.Language, Timezone: p.Timezone, Escalation: p.Escalation, Repeat: p.Repeat}
}

// triageTier is the tier that triages every alert and whose acknowledgement the SLA
// measures: the SOC, or the customer when there is no SOC.
func (p Policy) triageTier() string {
	if p.SOC != nil {
		return TierSOC
	}
	return TierCustomer
}

// ChainFor answers the escalation steps for a Severity, ordered by their delay. A
// Severity given no chain borrows the chain of the next lower Severity that has one,
// so that a more urgent alert never pages fewer people; info never pages.
func (a Audience) ChainFor(severity integrations.Severity) []config.Step {
	for rank := severity.Rank(); rank > integrations.SeverityInfo.Rank(); rank-- {
		if steps := a.ownChain(severityOfRank(rank)); len(steps) > 0 {
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
		if contacts := firstContacts(a.ownChain(severityOfRank(rank))); len(contacts) > 0 {
			return contacts
		}
	}
	return firstContacts(a.ChainFor(severity))
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
func (a Audience) repeatEvery() time.Duration {
	if a.Repeat.Every.D() > 0 {
		return a.Repeat.Every.D()
	}
	return config.DefaultRepeat.Every.D()
}
