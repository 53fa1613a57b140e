package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/integrations"
)

var ruleNow = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

func validRule() AddRuleRequest {
	return AddRuleRequest{By: "hanako", ApprovedBy: "sato", Reason: "nightly IT inventory script",
		Expires: ruleNow.Add(30 * 24 * time.Hour), Match: RuleMatch{Detection: "Suspicious PowerShell*"}}
}

func TestAddRuleRefusalsNameTheFieldAndWhy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		adjust func(*AddRuleRequest)
		want   string
	}{
		{"no by", func(r *AddRuleRequest) { r.By = "" }, `"by" is required`},
		{"no approver", func(r *AddRuleRequest) { r.ApprovedBy = " " }, `"approved_by" is required`},
		{"same approver", func(r *AddRuleRequest) { r.ApprovedBy = "Hanako" }, `"approved_by" must be another person than "by"`},
		{"no reason", func(r *AddRuleRequest) { r.Reason = "" }, `"reason" is required`},
		{"no expiry", func(r *AddRuleRequest) { r.Expires = time.Time{} }, `"expires" is required`},
		{"past expiry", func(r *AddRuleRequest) { r.Expires = ruleNow.Add(-time.Hour) }, "is not in the future"},
		{"expiry now", func(r *AddRuleRequest) { r.Expires = ruleNow }, "is not in the future"},
		{"expiry beyond 90 days", func(r *AddRuleRequest) { r.Expires = ruleNow.Add(91 * 24 * time.Hour) }, "more than 90 days ahead"},
		{"empty match", func(r *AddRuleRequest) { r.Match = RuleMatch{MaxSeverity: "high"} }, `"match" needs at least one of`},
		{"empty host", func(r *AddRuleRequest) { r.Match.Hosts = []string{""} }, `"match.hosts" holds an empty value`},
		{"emergency", func(r *AddRuleRequest) { r.Match.MaxSeverity = "emergency" }, "emergency alerts are never suppressed"},
		{"unknown severity", func(r *AddRuleRequest) { r.Match.MaxSeverity = "urgent" }, `unknown severity "urgent"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := validRule()
			tc.adjust(&r)
			require.ErrorContains(t, validateAddRule(r, ruleNow), tc.want)
		})
	}
	require.NoError(t, validateAddRule(validRule(), ruleNow))
	at90 := validRule()
	at90.Expires = ruleNow.Add(maxRuleLife)
	require.NoError(t, validateAddRule(at90, ruleNow), "exactly 90 days is allowed")
}

func TestRuleMatchesEveryGivenField(t *testing.T) {
	t.Parallel()
	alert := Admission{Vendor: "cybereason", Detection: "Suspicious PowerShell usage", Severity: integrations.SeverityHigh,
		Hosts: []integrations.Host{{Name: "KOB-PC-17"}, {Name: "kob-srv-1"}}, Users: []string{`KF\svc-inventory`},
		Indicators: []integrations.Indicator{{Type: "sha256", Value: "9F86D081884C7D65"}, {Type: "domain", Value: "evil.example"}}}
	rule := func(m RuleMatch) Rule {
		return Rule{ID: "R-1", Expires: ruleNow.Add(time.Hour), Match: m}
	}
	cases := []struct {
		name  string
		match RuleMatch
		want  bool
	}{
		{"vendor", RuleMatch{Vendor: "CYBEREASON"}, true},
		{"other vendor", RuleMatch{Vendor: "withsecure"}, false},
		{"detection glob, any case", RuleMatch{Detection: "suspicious powershell*"}, true},
		{"detection glob in the middle", RuleMatch{Detection: "*PowerShell*"}, true},
		{"detection exact only", RuleMatch{Detection: "Suspicious PowerShell"}, false},
		{"hosts: any listed host", RuleMatch{Hosts: []string{"tyo-*", "kob-pc-*"}}, true},
		{"hosts: none", RuleMatch{Hosts: []string{"tyo-*"}}, false},
		{"users with a backslash", RuleMatch{Users: []string{`kf\svc-*`}}, true},
		{"indicator with its type", RuleMatch{Indicators: []string{"sha256:9f86d0*"}}, true},
		{"indicator value alone", RuleMatch{Indicators: []string{"evil.example"}}, true},
		{"indicator of another type", RuleMatch{Indicators: []string{"md5:9f86d0*"}}, false},
		{"every field must match", RuleMatch{Vendor: "cybereason", Detection: "Other*"}, false},
		{"max_severity default is high", RuleMatch{Vendor: "cybereason"}, true},
		{"max_severity medium excludes high", RuleMatch{Vendor: "cybereason", MaxSeverity: "medium"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, rule(tc.match).matches(alert, ruleNow))
		})
	}

	critical := alert
	critical.Severity = integrations.SeverityCritical
	require.False(t, rule(RuleMatch{Vendor: "cybereason"}).matches(critical, ruleNow), "critical only when written")
	require.True(t, rule(RuleMatch{Vendor: "cybereason", MaxSeverity: "critical"}).matches(critical, ruleNow))
	emergency := alert
	emergency.Severity = integrations.SeverityEmergency
	require.False(t, rule(RuleMatch{Vendor: "cybereason", MaxSeverity: "critical"}).matches(emergency, ruleNow), "emergency never")

	expiring := rule(RuleMatch{Vendor: "cybereason"})
	require.True(t, expiring.matches(alert, expiring.Expires.Add(-time.Nanosecond)), "in force until its expiry")
	require.False(t, expiring.matches(alert, expiring.Expires), "not at the exact instant it expires")
	retired := rule(RuleMatch{Vendor: "cybereason"})
	retired.RetiredAt = ruleNow.Add(-time.Minute)
	require.False(t, retired.matches(alert, ruleNow), "a retired rule matches nothing")
	require.Equal(t, RuleRetired, retired.stateAt(ruleNow))
	require.Equal(t, RuleExpired, expiring.stateAt(expiring.Expires))
}
