package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"xsoc/integrations"
)

// Rule is one suppression rule: alerts it matches are known benign. A rule is never
// edited: it is added, and later retired or left to expire; its History says who did
// what and when.
type Rule struct {
	ID         string    `json:"id"`
	By         string    `json:"by"`
	ApprovedBy string    `json:"approved_by"`
	Reason     string    `json:"reason"`
	Expires    time.Time `json:"expires"`
	Match      RuleMatch `json:"match"`
	AddedAt    time.Time `json:"added_at"`
	RetiredAt  time.Time `json:"retired_at,omitzero"`
	RetiredBy  string    `json:"retired_by,omitempty"`
	Hits       int       `json:"hits"`
	LastHit    time.Time `json:"last_hit,omitzero"`
	// State is answered by the rules query: active, expired or retired.
	State   string       `json:"state,omitempty"`
	History []RuleChange `json:"history"`
}

// RuleChange is one change of a rule, for the audit.
type RuleChange struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	What string    `json:"what"`
	Note string    `json:"note,omitempty"`
}

// RuleMatch says which alerts a rule matches: every field given must match (globs
// with *, case-insensitive); hosts, users and indicators match when any listed value
// does; max_severity is the highest Severity matched (default high; critical only
// when written; emergency never).
type RuleMatch struct {
	Vendor      string   `json:"vendor,omitempty"`
	Detection   string   `json:"detection,omitempty"`
	Hosts       []string `json:"hosts,omitempty"`
	Users       []string `json:"users,omitempty"`
	Indicators  []string `json:"indicators,omitempty"`
	MaxSeverity string   `json:"max_severity,omitempty"`
}

// Rule states.
const (
	RuleActive  = "active"
	RuleExpired = "expired"
	RuleRetired = "retired"
)

// AddRuleRequest is the add_rule Update's argument.
type AddRuleRequest struct {
	By         string    `json:"by"`
	ApprovedBy string    `json:"approved_by"`
	Reason     string    `json:"reason"`
	Expires    time.Time `json:"expires"`
	Match      RuleMatch `json:"match"`
}

// RetireRuleRequest is the retire_rule Update's argument.
type RetireRuleRequest struct {
	ID     string `json:"id"`
	By     string `json:"by"`
	Reason string `json:"reason,omitempty"`
}

// RuleAdded answers add_rule.
type RuleAdded struct {
	ID string `json:"id"`
}

// maxRuleLife is how far ahead a rule may expire: a suppression must be looked at
// again at least every quarter.
const maxRuleLife = 90 * 24 * time.Hour

// validateAddRule refuses a rule that could hide real incidents, naming the field and why.
func validateAddRule(r AddRuleRequest, now time.Time) error {
	var problems []string
	if strings.TrimSpace(r.By) == "" {
		problems = append(problems, `"by" is required: who writes the rule`)
	}
	switch {
	case strings.TrimSpace(r.ApprovedBy) == "":
		problems = append(problems, `"approved_by" is required: a second person approves every rule`)
	case strings.EqualFold(strings.TrimSpace(r.ApprovedBy), strings.TrimSpace(r.By)):
		problems = append(problems, fmt.Sprintf(`"approved_by" must be another person than "by" (both %q)`, r.By))
	}
	if strings.TrimSpace(r.Reason) == "" {
		problems = append(problems, `"reason" is required: why these alerts are known benign`)
	}
	switch {
	case r.Expires.IsZero():
		problems = append(problems, `"expires" is required (RFC 3339, at most 90 days ahead)`)
	case !r.Expires.After(now):
		problems = append(problems, fmt.Sprintf(`"expires" %s is not in the future`, r.Expires.UTC().Format(time.RFC3339)))
	case r.Expires.Sub(now) > maxRuleLife:
		problems = append(problems, fmt.Sprintf(`"expires" %s is more than 90 days ahead (latest %s)`,
			r.Expires.UTC().Format(time.RFC3339), now.Add(maxRuleLife).UTC().Format(time.RFC3339)))
	}
	if err := r.Match.validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func (m RuleMatch) validate() error {
	empty := strings.TrimSpace(m.Vendor) == "" && strings.TrimSpace(m.Detection) == "" &&
		len(m.Hosts) == 0 && len(m.Users) == 0 && len(m.Indicators) == 0
	if empty {
		return errors.New(`"match" needs at least one of vendor, detection, hosts, users, indicators (max_severity alone would match everything)`)
	}
	for _, field := range []struct {
		name   string
		values []string
	}{{"hosts", m.Hosts}, {"users", m.Users}, {"indicators", m.Indicators}} {
		if slices.ContainsFunc(field.values, func(v string) bool { return strings.TrimSpace(v) == "" }) {
			return fmt.Errorf(`"match.%s" holds an empty value`, field.name)
		}
	}
	if m.MaxSeverity == "" {
		return nil
	}
	severity, err := integrations.ParseSeverity(m.MaxSeverity)
	if err != nil {
		return fmt.Errorf(`"match.max_severity": %v`, err)
	}
	if severity == integrations.SeverityEmergency {
		return errors.New(`"match.max_severity" emergency: emergency alerts are never suppressed`)
	}
	return nil
}

// maxSeverity is the highest Severity the rule matches.
func (m RuleMatch) maxSeverity() integrations.Severity {
	if severity, err := integrations.ParseSeverity(m.MaxSeverity); err == nil {
		return severity
	}
	return integrations.SeverityHigh
}

// stateAt is the rule's state at a moment.
func (r Rule) stateAt(now time.Time) string {
	switch {
	case !r.RetiredAt.IsZero():
		return RuleRetired
	case !now.Before(r.Expires):
		return RuleExpired
	}
	return RuleActive
}

// matches tells whether the rule, in force at now, matches an admitted alert.
func (r Rule) matches(a Admission, now time.Time) bool {
	if r.stateAt(now) != RuleActive || a.Severity == integrations.SeverityEmergency || a.Severity.Rank() > r.Match.maxSeverity().Rank() {
		return false
	}
	m := r.Match
	if m.Vendor != "" && !globMatch(m.Vendor, a.Vendor) {
		return false
	}
	if m.Detection != "" && !globMatch(m.Detection, a.Detection) {
		return false
	}
	if len(m.Hosts) > 0 && !anyGlob(m.Hosts, a.labels()) {
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
			if globMatch(p, v) {
				return true
			}
		}
	}
	return false
}

// globMatch is integrations.GlobMatch: * stands for any run of characters, case-insensitively.
func globMatch(pattern, value string) bool { return integrations.GlobMatch(pattern, value) }
