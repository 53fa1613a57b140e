package incident

import (
	"path"
	"slices"
	"strings"
	"time"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// policy is the incident's policy (api.Policy) with what the incident reads in it.
type policy struct{ api.Policy }

// audience answers a tier's audience (casework.AudienceOf).
func (p policy) audience(tier string) casework.Audience { return casework.AudienceOf(p.Policy, tier) }

// triageTier is the tier that triages every alert (casework.TriageTier).
func (p policy) triageTier() string { return casework.TriageTier(p.Policy) }

// CanContain tells whether we may and can contain anything for this customer.
func (p policy) CanContain() bool {
	return p.Respond && (p.Capabilities.IsolateHost || p.Capabilities.BlockIndicators)
}

// IsolateFirst tells whether the policy contains the host before investigating.
// Under hybrid, hosts on the critical list are investigated first.
func (p policy) IsolateFirst(hosts []integrations.Host) bool {
	switch p.Response.Policy {
	case "isolate_first":
		return true
	case "hybrid":
		return !slices.ContainsFunc(hosts, func(h integrations.Host) bool { return p.IsCritical(h.Label()) })
	}
	return false
}

// IsCritical tells whether the host is on the customer's critical hosts list.
func (p policy) IsCritical(host string) bool { return matchesAny(p.Response.CriticalHosts, host) }

// SiteOf answers the site whose host patterns match the host, if any.
func (p policy) SiteOf(host string) (config.Site, bool) {
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
func (p policy) SLAFor(severity integrations.Severity) config.SLA { return p.SLA[string(severity)] }

// coalesce is how long status changes gather before they go out.
func (p policy) coalesce() time.Duration {
	if p.StatusCoalesce > 0 {
		return p.StatusCoalesce.D()
	}
	return config.DefaultStatusCoalesce.D()
}
