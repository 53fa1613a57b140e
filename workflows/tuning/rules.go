package tuning

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"xsoc/integrations"
	"xsoc/workflows/api"
)

// maxRuleLife is how far ahead a rule may expire: a suppression must be looked at
// again at least every quarter.
const maxRuleLife = 90 * 24 * time.Hour

// validateAddRule refuses a rule that could hide real incidents, naming the field and why.
func validateAddRule(r api.AddRuleRequest, now time.Time) error {
	var problems []string
	if strings.TrimSpace(r.By) == "" {
		problems = append(problems, `"by" is required: who writes the rule`)
	}
	// approved_by only names whom the writer asks: the approval is approve_rule, sent
	// by the approver.
	if asked := strings.TrimSpace(r.ApprovedBy); asked != "" && strings.EqualFold(asked, strings.TrimSpace(r.By)) {
		problems = append(problems, fmt.Sprintf(`"approved_by" must be another person than "by" (both %q): a second person approves every rule`, r.By))
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
	if err := validateMatch(r.Match); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func validateMatch(m api.RuleMatch) error {
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
