package triage

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/integrations"
	"xsoc/workflows/api"
)

// ruleNow is the instant the rule cases are matched at.
var ruleNow = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

func TestRuleMatchesEveryGivenField(t *testing.T) {
	t.Parallel()
	alert := api.Admission{Vendor: "cybereason", Detection: "Suspicious PowerShell usage", Severity: integrations.SeverityHigh,
		Hosts: []integrations.Host{{Name: "KOB-PC-17"}, {Name: "kob-srv-1"}}, Users: []string{`KF\svc-inventory`},
		Indicators: []integrations.Indicator{{Type: "sha256", Value: "9F86D081884C7D65"}, {Type: "domain", Value: "evil.example"}}}
	rule := func(m api.RuleMatch) api.Rule {
		return api.Rule{ID: "R-1", Expires: ruleNow.Add(time.Hour), Match: m}
	}
	cases := []struct {
		name  string
		match api.RuleMatch
		want  bool
	}{
		{"vendor", api.RuleMatch{Vendor: "CYBEREASON"}, true},
		{"other vendor", api.RuleMatch{Vendor: "withsecure"}, false},
		{"detection glob, any case", api.RuleMatch{Detection: "suspicious powershell*"}, true},
		{"detection glob in the middle", api.RuleMatch{Detection: "*PowerShell*"}, true},
		{"detection exact only", api.RuleMatch{Detection: "Suspicious PowerShell"}, false},
		{"hosts: any listed host", api.RuleMatch{Hosts: []string{"tyo-*", "kob-pc-*"}}, true},
		{"hosts: none", api.RuleMatch{Hosts: []string{"tyo-*"}}, false},
		{"users with a backslash", api.RuleMatch{Users: []string{`kf\svc-*`}}, true},
		{"indicator with its type", api.RuleMatch{Indicators: []string{"sha256:9f86d0*"}}, true},
		{"indicator value alone", api.RuleMatch{Indicators: []string{"evil.example"}}, true},
		{"indicator of another type", api.RuleMatch{Indicators: []string{"md5:9f86d0*"}}, false},
		{"every field must match", api.RuleMatch{Vendor: "cybereason", Detection: "Other*"}, false},
		{"max_severity default is high", api.RuleMatch{Vendor: "cybereason"}, true},
		{"max_severity medium excludes high", api.RuleMatch{Vendor: "cybereason", MaxSeverity: "medium"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ruleMatches(rule(tc.match), alert, ruleNow))
		})
	}

	critical := alert
	critical.Severity = integrations.SeverityCritical
	require.False(t, ruleMatches(rule(api.RuleMatch{Vendor: "cybereason"}), critical, ruleNow), "critical only when written")
	require.True(t, ruleMatches(rule(api.RuleMatch{Vendor: "cybereason", MaxSeverity: "critical"}), critical, ruleNow))
	emergency := alert
	emergency.Severity = integrations.SeverityEmergency
	require.False(t, ruleMatches(rule(api.RuleMatch{Vendor: "cybereason", MaxSeverity: "critical"}), emergency, ruleNow), "emergency never")

	expiring := rule(api.RuleMatch{Vendor: "cybereason"})
	require.True(t, ruleMatches(expiring, alert, expiring.Expires.Add(-time.Nanosecond)), "in force until its expiry")
	require.False(t, ruleMatches(expiring, alert, expiring.Expires), "not at the exact instant it expires")
	retired := rule(api.RuleMatch{Vendor: "cybereason"})
	retired.RetiredAt = ruleNow.Add(-time.Minute)
	require.False(t, ruleMatches(retired, alert, ruleNow), "a retired rule matches nothing")
	require.Equal(t, api.RuleRetired, retired.StateAt(ruleNow))
	require.Equal(t, api.RuleExpired, expiring.StateAt(expiring.Expires))
}
