package triage

import (
	"time"

	"xsoc/integrations"
	"xsoc/workflows/api"
)

// maxSeverity is the highest Severity the rule matches.
func maxSeverity(m api.RuleMatch) integrations.Severity {
	if severity, err := integrations.ParseSeverity(m.MaxSeverity); err == nil {
		return severity
	}
	return integrations.SeverityHigh
}

// ruleMatches tells whether the rule, in force at now, matches an admitted alert.
func ruleMatches(r api.Rule, a api.Admission, now time.Time) bool {
	if r.StateAt(now) != api.RuleActive || a.Severity == integrations.SeverityEmergency || a.Severity.Rank() > maxSeverity(r.Match).Rank() {
		return false
	}
	m := r.Match
	if m.Vendor != "" && !integrations.GlobMatch(m.Vendor, a.Vendor) {
		return false
	}
	if m.Detection != "" && !integrations.GlobMatch(m.Detection, a.Detection) {
		return false
	}
	if len(m.Hosts) > 0 && !anyGlob(m.Hosts, hostLabels(a)) {
		return false
	}
	if len(m.Users) > 0 && !anyGlob(m.Users, a.Users) {
		return false
	}
	if len(m.Indicators) > 0 {
		var values []string
		for _, ind := range a.Indicators {
			values = append(values, ind.Type+":"+ind.Value, ind.Value)
		}
		if !anyGlob(m.Indicators, values) {
			return false
		}
	}
	return true
}

func anyGlob(patterns, values []string) bool {
	for _, p := range patterns {
		for _, v := range values {
			if integrations.GlobMatch(p, v) {
				return true
			}
		}
	}
	return false
}
