package tuning

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/workflows/api"
)

var ruleNow = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

func validRule() api.AddRuleRequest {
	return api.AddRuleRequest{By: "hanako", ApprovedBy: "sato", Reason: "nightly IT inventory script",
		Expires: ruleNow.Add(30 * 24 * time.Hour), Match: api.RuleMatch{Detection: "Suspicious PowerShell*"}}
}

func TestAddRuleRefusalsNameTheFieldAndWhy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		adjust func(*api.AddRuleRequest)
		want   string
	}{
		{"no by", func(r *api.AddRuleRequest) { r.By = "" }, `"by" is required`},
		{"same approver", func(r *api.AddRuleRequest) { r.ApprovedBy = "Hanako" }, `"approved_by" must be another person than "by"`},
		{"no reason", func(r *api.AddRuleRequest) { r.Reason = "" }, `"reason" is required`},
		{"no expiry", func(r *api.AddRuleRequest) { r.Expires = time.Time{} }, `"expires" is required`},
		{"past expiry", func(r *api.AddRuleRequest) { r.Expires = ruleNow.Add(-time.Hour) }, "is not in the future"},
		{"expiry now", func(r *api.AddRuleRequest) { r.Expires = ruleNow }, "is not in the future"},
		{"expiry beyond 90 days", func(r *api.AddRuleRequest) { r.Expires = ruleNow.Add(91 * 24 * time.Hour) }, "more than 90 days ahead"},
		{"empty match", func(r *api.AddRuleRequest) { r.Match = api.RuleMatch{MaxSeverity: "high"} }, `"match" needs at least one of`},
		{"empty host", func(r *api.AddRuleRequest) { r.Match.Hosts = []string{""} }, `"match.hosts" holds an empty value`},
		{"emergency", func(r *api.AddRuleRequest) { r.Match.MaxSeverity = "emergency" }, "emergency alerts are never suppressed"},
		{"unknown severity", func(r *api.AddRuleRequest) { r.Match.MaxSeverity = "urgent" }, `unknown severity "urgent"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := validRule()
			tc.adjust(&r)
			require.ErrorContains(t, validateAddRule(r, ruleNow), tc.want)
		})
	}
	require.NoError(t, validateAddRule(validRule(), ruleNow))
	unasked := validRule()
	unasked.ApprovedBy = ""
	require.NoError(t, validateAddRule(unasked, ruleNow), "approved_by only names whom the writer asks: approve_rule approves")
	at90 := validRule()
	at90.Expires = ruleNow.Add(maxRuleLife)
	require.NoError(t, validateAddRule(at90, ruleNow), "exactly 90 days is allowed")
}
