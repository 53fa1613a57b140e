package testworld

import (
	"time"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/api"
)

// Day is midnight UTC of a date.
func Day(year int, month time.Month, d int) time.Time {
	return time.Date(year, month, d, 0, 0, 0, 0, time.UTC)
}

// Summary is a concluded incident as it reports to its Account.
var Summary = api.IncidentSummary{
	Customer: "acme", Incident: "incident/acme/cybereason/malop-1", Vendor: "cybereason", Severity: "high",
	State: api.StateResolved, Verdict: api.VerdictTruePositive, Billable: true,
	OpenedAt: time.Date(2026, 5, 2, 1, 0, 0, 0, time.UTC), ClosedAt: time.Date(2026, 5, 2, 5, 0, 0, 0, time.UTC),
	Clocks: map[string]string{"ack": api.SLAMet, "verdict": api.SLAMet, "contain": api.SLABreached},
}

// Minutes is n minutes as the customers file writes them.
func Minutes(n int) config.Duration { return config.Duration(time.Duration(n) * time.Minute) }

// Policy is ACME's policy without a SOC: hybrid response, a site in Osaka, chains
// by Severity that repeat every 10 minutes.
func Policy() api.Policy {
	return api.Policy{
		CustomerName: "ACME", Language: "en", Detect: true, Respond: true,
		Response:     config.Response{Policy: "hybrid", CriticalHosts: []string{"fs-*", "erp-db01"}},
		Capabilities: integrations.CapabilitiesOf("cybereason"),
		Sites:        []config.Site{{ID: "osaka", Hosts: []string{"osk-*"}, Contacts: []config.Contact{{Email: "osaka-it@acme.example"}}}},
		SLA: map[string]config.SLA{
			"emergency": {Ack: Minutes(5), Verdict: Minutes(30), Contain: Minutes(60)},
			"critical":  {Ack: Minutes(15), Verdict: Minutes(60), Contain: Minutes(240)},
			"high":      {Ack: Minutes(30), Verdict: Minutes(240), Contain: Minutes(480)},
		},
		Escalation: map[string][]config.Step{
			"emergency": {
				{After: 0, Contact: config.Contact{Email: "it-ml@acme.example"}},
				{After: 0, Contact: config.Contact{Call: "+81300000001", Name: "CSO"}},
				{After: Minutes(10), Contact: config.Contact{Call: "+81300000002", Name: "CIO"}},
			},
			"critical": {
				{After: 0, Contact: config.Contact{Email: "it-ml@acme.example"}},
				{After: 0, Contact: config.Contact{Call: "+81300000003", Name: "IT on-call"}},
			},
			"high": {
				{After: 0, Contact: config.Contact{Email: "it-ml@acme.example"}},
				{After: Minutes(15), Contact: config.Contact{Slack: "#acme-soc"}},
			},
		},
		Repeat:        config.Repeat{Every: Minutes(10), Times: 3},
		StatusUpdates: []config.Contact{{Email: "csirt@acme.example"}},
	}
}

// SOCPolicy is testPolicy with a SOC in front of the customer: the SOC is paged for
// every alert, the customer's chain waits for a confirmed incident.
func SOCPolicy() api.Policy {
	p := Policy()
	p.Timezone = "Asia/Tokyo"
	p.SOC = &api.SOCPolicy{
		Name: "X-SOC", Language: "en", Timezone: "Asia/Tokyo", Contact: "+81-3-0000-9999",
		Escalation: map[string][]config.Step{
			"critical": {
				{After: 0, Contact: config.Contact{Slack: "#soc-urgent"}},
				{After: Minutes(5), Contact: config.Contact{Call: "+81300009999", Name: "SOC on-call"}},
			},
			"high": {{After: 0, Contact: config.Contact{Slack: "#soc-triage"}}},
		},
		Repeat: config.Repeat{Every: Minutes(10), Times: 3},
	}
	return p
}
