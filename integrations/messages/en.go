package messages

var english = words{
	sayLanguage: "en-US",
	stamp:       "2006-01-02 15:04 MST (-07:00)",
	lineTime:    "15:04:05 -07:00",
	lineDay:     "Jan 2",
	theSOC:      "the SOC",
	separator:   "; ",
	fullStop:    ".",
	speechIntro: "This is x soc. ",
	subject: map[string]string{
		KindNotice: "[xsoc] {{.CustomerName}}: option tickets",
		KindReport: "[xsoc] {{.CustomerName}}: monthly report {{.Month}}",
		KindPage:   "[xsoc][{{.SEVERITY}}] {{.CustomerName}}: {{.Detection}} on {{.HostList}}",
		KindBreach: "[xsoc][{{.SEVERITY}}][SLA BREACH] {{.CustomerName}}: {{.Detection}} on {{.HostList}}",
		KindStatus: "[xsoc][{{.SEVERITY}}][{{.State}}] {{.CustomerName}}: {{.Detection}} on {{.HostList}}",
	},
	lead: map[string]string{
		KindNotice:                   "{{with .Notice}}{{if .Expired}}{{.Count}} option ticket(s) bought {{.Purchased}} expired unused on {{.Expires}}. They can be converted to another service (e.g. security training).{{else}}{{.Count}} option ticket(s) bought {{.Purchased}} expire unused on {{.Expires}}. Use them before then, or convert them to another service.{{end}}{{end}}",
		KindReport:                   "Here is the xsoc report of {{.Month}} for {{.CustomerName}}.",
		KindPage + "/" + AudienceSOC: "{{.Vendor}} reported {{.Detection}} on {{.HostList}}. Severity {{.SEVERITY}}.{{if .Parent}} It joined {{.Parent}}.{{end}}",
		KindPage + "/" + AudienceCustomer: "{{if .Confirmed}}Our analysts confirmed a security incident at {{.CustomerName}}: {{.Detection}} on {{.HostList}}. Severity {{.SEVERITY}}." +
			"{{else}}{{.Vendor}} reported {{.Detection}} on {{.HostList}} at {{.CustomerName}}. Severity {{.SEVERITY}}.{{end}}",
		KindBreach + "/" + AudienceSOC:      "An SLA promise for this incident was broken{{if .Breach}} ({{.Breach}}){{end}}. It needs attention now.",
		KindBreach + "/" + AudienceCustomer: "Our response to this incident is behind the time we promised{{if .Breach}} ({{.Breach}}){{end}}. The SOC is on it.",
		KindStatus:                          "Status update: the incident is now {{.State}}{{if and .Reason (not .Changes)}} ({{.Reason}}){{end}}.",
		KindStatus + "/" + AudienceCustomer: "Status update on {{.Detection}} on {{.HostList}}: the incident is now {{.State}}.",
	},
	need: map[string]string{
		NeedAcknowledge + "/" + AudienceSOC:           "Acknowledge this alert: the Acknowledge button in Slack, press 1 on the call, or the acknowledge decision in the Temporal UI.",
		NeedVerdict + "/" + AudienceSOC:               "An analyst's verdict: true_positive, false_positive or benign_true_positive.",
		NeedCustomerDecision + "/" + AudienceSOC:      "The customer's decision on our recommendation (the incident is awaiting_customer).",
		NeedAcknowledge + "/" + AudienceCustomer:      "Please confirm you received this: press 1 when we call, or click Acknowledge in Slack. You can also tell {{.SOC}}.",
		NeedVerdict + "/" + AudienceCustomer:          "Please tell {{.SOC}} whether this is expected activity or an attack: we act on your decision.",
		NeedCustomerDecision + "/" + AudienceCustomer: "Please tell {{.SOC}} whether we should carry out our recommendation.",
	},
	speech: map[string]string{
		KindPage + "/" + AudienceSOC: "This is x soc. {{.SEVERITY}} security alert for {{.CustomerName}}: {{.Detection}} on {{.HostList}}." +
			"{{if .Policy}} Policy: {{.Policy}}.{{end}} Press 1 to acknowledge.",
		KindPage + "/" + AudienceCustomer: "This is x soc{{if .SOCName}}, {{.SOCName}}{{end}}, calling {{.CustomerName}}. " +
			"{{if .Confirmed}}We confirmed a {{.SEVERITY}} security incident{{else}}A {{.SEVERITY}} security alert{{end}}: {{.Detection}} on {{.HostList}}." +
			"{{if .DoneSaid}} What we did: {{.DoneSaid}}.{{end}}{{if .Recommendation}} {{.Recommendation}}.{{end}}" +
			"{{if .SOCContact}} To reach us: {{.SOCContact}}.{{end}} Press 1 to acknowledge.",
		KindBreach + "/" + AudienceSOC: "This is x soc. SLA breached on the {{.SEVERITY}} incident of {{.CustomerName}}: {{.Detection}} on {{.HostList}}." +
			"{{if .Breach}} {{.Breach}}.{{end}} Press 1 to acknowledge.",
		KindStatus: "This is x soc. Update on {{.Detection}} on {{.HostList}}: the incident is now {{.State}}.{{if .ChangesSaid}} {{.ChangesSaid}}.{{end}}",
	},
	sms: map[string]string{
		KindPage + "/" + AudienceSOC:   "xsoc {{.SEVERITY}}: {{.CustomerName}} {{.Detection}} on {{.HostList}}. Acknowledge: {{.Link}}",
		KindBreach + "/" + AudienceSOC: "xsoc SLA BREACH {{.SEVERITY}}: {{.CustomerName}} {{.Detection}} on {{.HostList}}. {{.Link}}",
		KindStatus + "/" + AudienceSOC: "xsoc [{{.State}}] {{.CustomerName}} {{.Detection}} on {{.HostList}}{{if .ChangesSaid}}: {{.ChangesSaid}}{{end}}. {{.Link}}",
		KindPage + "/" + AudienceCustomer: "xsoc {{.SEVERITY}}: {{if .Confirmed}}security incident confirmed{{else}}security alert{{end}}, {{.Detection}} on {{.HostList}}." +
			"{{if .DoneSaid}} Done: {{.DoneSaid}}.{{end}}{{if .SOCContact}} {{.SOC}}: {{.SOCContact}}{{end}}",
		KindStatus + "/" + AudienceCustomer: "xsoc [{{.State}}] {{.Detection}} on {{.HostList}}{{if .ChangesSaid}}: {{.ChangesSaid}}{{end}}",
	},
	labels: labels{
		Customer: "Customer", Detection: "Detection", Severity: "Severity", Hosts: "Hosts", Users: "Users",
		Site: "Site", Opened: "Opened", State: "State", Verdict: "Verdict", Parent: "Part of", Policy: "Policy", Reason: "Why",
		Done: "What we did", Need: "What is needed", NeedYou: "What we need from you",
		Contact: "Contact the SOC", Changes: "Changes since the last update", Recent: "Recent events",
		Open: "Open the incident", OpenList: "Open the list",
		When: "When", Since: "Since", Alerts: "Alerts", ByDetection: "By detection", ByHost: "By host", ListQuery: "List query",
		Vendor: "Vendor", Error: "Error", Rule: "Rule", Matched: "Alerts matched in the hour", Incident: "Incident",
		Known: "Already known",
	},
	lines: map[string]string{
		"opened":                 "{{if .vendor}}{{.vendor}} reported{{else}}Detected{{end}} {{.detection}} on {{.hosts}}{{if .severity}} ({{.severity}}{{if .alert}}, alert {{.alert}}{{end}}){{end}}",
		"state":                  "State {{if .from}}{{.from}} → {{end}}{{.to}}",
		"action.isolate":         `{{if eq .already "true"}}{{.target}} was already isolated{{else}}Isolated {{.target}} from the network{{end}}`,
		"action.release":         `{{if eq .already "true"}}{{.target}} was not isolated{{else}}Released {{.target}} from isolation{{end}}`,
		"action.block":           `{{if eq .already "true"}}{{.target}} was already blocked{{else}}Blocked {{.target}}{{end}}`,
		"action.unblock":         `{{if eq .already "true"}}{{.target}} was not blocked{{else}}Unblocked {{.target}}{{end}}`,
		"action_failed.isolate":  "Isolating {{.target}} failed: {{.error}}",
		"action_failed.release":  "Releasing {{.target}} from isolation failed: {{.error}}",
		"action_failed.block":    "Blocking {{.target}} failed: {{.error}}",
		"action_failed.unblock":  "Unblocking {{.target}} failed: {{.error}}",
		"investigated":           "Investigation: {{.summary}}",
		"verdict":                "Verdict {{.verdict}}{{if .by}} by {{.by}}{{end}}{{if .note}}: {{.note}}{{end}}",
		"escalated":              "Severity raised {{if .from}}from {{.from}} {{end}}to {{.to}}",
		"recommendation.isolate": "We recommend isolating {{.hosts}} from the network",
		"acknowledged.soc":       "Acknowledged{{if .by}} by {{.by}}{{end}} (SOC{{if .via}}, {{.via}}{{end}})",
		"acknowledged.customer":  "Acknowledged{{if .by}} by {{.by}}{{end}} (customer{{if .via}}, {{.via}}{{end}})",
		"sla_breach.ack":         "SLA breached: not acknowledged{{if .due}} by {{.due}}{{end}}",
		"sla_breach.verdict":     "SLA breached: no verdict{{if .due}} by {{.due}}{{end}}",
		"sla_breach.contain":     "SLA breached: not contained{{if .due}} by {{.due}}{{end}}",
		"joined":                 "Alert {{.alert}} joined{{if .detection}}: {{.detection}}{{end}}{{if .hosts}} on {{.hosts}}{{end}}{{if .severity}} ({{.severity}}){{end}}",
		"hosts_added":            "Hosts added: {{.hosts}}",
		"comment":                "{{if .by}}{{.by}}: {{end}}{{.note}}",
		"suppressed":             "Suppressed by rule {{.rule}}{{if .reason}}: {{.reason}}{{end}}",
		"merged":                 "Joined {{.parent}}",
		"closed":                 "Closed ({{.state}}){{if .note}}: {{.note}}{{end}}",
	},
	notices: map[string]noticeWords{
		TopicStormStarted: {
			subject: "[xsoc][STORM] {{.CustomerName}}: storm mode started",
			lead: "{{.CustomerName}} is in storm mode since {{.At}}{{if .Alerts}}: {{.Alerts}} new alerts in a minute{{end}}. " +
				"High and lower alerts now come in a digest instead of a page each; critical and emergency alerts still page one by one.",
			short: "{{.CustomerName}} is in storm mode{{if .Alerts}}, {{.Alerts}} alerts in a minute{{end}}.",
		},
		TopicStormDigest: {
			subject: "[xsoc][STORM] {{.CustomerName}}: {{.Alerts}} alerts in storm mode",
			lead:    "Storm digest for {{.CustomerName}}: {{.Alerts}} new alerts{{if .Since}} since {{.Since}}{{end}}.",
			short:   "{{.CustomerName}} storm: {{.Alerts}} alerts since the last digest.",
		},
		TopicStormEnded: {
			subject: "[xsoc][STORM] {{.CustomerName}}: storm mode ended",
			lead:    "{{.CustomerName}} left storm mode at {{.At}}{{if .Alerts}} after {{.Alerts}} alerts{{end}}. Alerts page one by one again.",
			short:   "{{.CustomerName}} left storm mode.",
		},
		TopicOutage: {
			subject: "[xsoc][OUTAGE] {{.CustomerName}}: {{.Vendor}} does not answer",
			lead: "Polling {{.Vendor}} for {{.CustomerName}} has failed since {{or .Since .At}}{{if .Error}}: {{.Error}}{{end}}. No alert is lost: " +
				"the poller keeps its place and fetches what was raised meanwhile once {{.Vendor}} answers. If the vendor refuses " +
				"our credentials or access, fix them on the worker.",
			short: "{{.Vendor}} of {{.CustomerName}} does not answer.",
		},
		TopicRecovered: {
			subject: "[xsoc][RECOVERED] {{.CustomerName}}: {{.Vendor}} answers again",
			lead:    "Polling {{.Vendor}} for {{.CustomerName}} works again since {{.At}}{{if .Since}}, after failing since {{.Since}}{{end}}{{if .Count}} ({{.Count}} failed polls){{end}}. The alerts raised meanwhile are being fetched.",
			short:   "{{.Vendor}} of {{.CustomerName}} answers again.",
		},
		TopicFirstFetch: {
			subject: "[xsoc][FIRST FETCH]{{if .Storm}}[STORM]{{end}} {{.CustomerName}}: {{.Alerts}} {{.Vendor}} alert{{if ne .Alerts 1}}s{{end}} since {{.Since}}",
			lead: "First fetch for {{.Customer}}/{{.Vendor}}: {{if .Alerts}}{{.Alerts}} alert{{if ne .Alerts 1}}s{{end}}{{else}}no alert{{end}} raised or updated since {{.Since}}" +
				"{{if .Known}}, {{.Known}} of them already known (pushed, or fetched before){{end}}. " +
				"Each new one is an incident, triaged like any alert." +
				"{{if .Storm}} So many at once are an alert storm: they reached triage together, and beyond the customer's storm threshold a minute " +
				"high and lower alerts come in storm digests; critical and emergency alerts still page one by one.{{end}}",
			short: "First fetch for {{.CustomerName}}/{{.Vendor}}: {{.Alerts}} alert{{if ne .Alerts 1}}s{{end}}{{if .Storm}}, a storm{{end}}.",
		},
		TopicRuleOverBroad: {
			subject: "[xsoc][RULE] {{.CustomerName}}: rule {{.Rule}} matched {{.Count}} alerts in an hour",
			lead: "Suppression rule {{.Rule}} of {{.CustomerName}} matched {{.Count}} alerts in the hour up to {{.At}}{{if .Detail}} ({{.Detail}}){{end}}. " +
				"Check that it hides no real attack; narrow or retire it if it is too broad.",
			short: "Rule {{.Rule}} of {{.CustomerName}} matched {{.Count}} alerts in an hour.",
		},
		TopicCancelled: {
			subject: "[xsoc][CANCELLED] {{.CustomerName}}: {{.Incident}}",
			lead: "Incident {{.Incident}} of {{.CustomerName}}{{if .Detection}} ({{.Detection}}{{if .HostList}} on {{.HostList}}{{end}}){{end}} " +
				"was cancelled at {{.At}}{{if .Detail}}: {{.Detail}}{{end}}.",
			short: "Incident {{.Incident}} of {{.CustomerName}} was cancelled.",
		},
		topicOther: {
			subject: "[xsoc] {{.CustomerName}}: {{.Topic}}",
			lead:    "{{.Topic}} for {{.CustomerName}} at {{.At}}{{if .Detail}}: {{.Detail}}{{end}}.",
			short:   "{{.Topic}} for {{.CustomerName}}.",
		},
	},
	noInput:           "No key was pressed. We will try the next contact. Goodbye.",
	phoneAcknowledged: "Acknowledged. Thank you. Paging has stopped.",
	phoneDeclined:     "Not acknowledged. We will call the next contact.",
	phoneClosed:       "This incident is already closed. Thank you.",
	phoneReopened:     "This incident was re-opened since this call was placed. Please decide in the new one. Nothing was changed.",
	phoneRefused:      "This call was not placed to this number. Nothing was changed.",
	buttons: map[string]string{"acknowledge": "Acknowledge", "verdict_true_positive": "True positive",
		"verdict_false_positive": "False positive", "contain": "Contain"},
	report: reportWords{
		labels: reportLabels{Month: "Month", Period: "Period", Plan: "Plan", ContractedIDs: "Contracted IDs", ActiveIDs: "Active endpoints",
			Billable: "Billable responses", NotBillable: "Not billable (duplicates, suppressed)", Incidents: "Incidents",
			SLABreached: "SLA breaches", Tickets: "Option tickets",
			Suppressed: "Suppressed by rule", IdleRules: "Rules without a hit in 30 days (retire?)",
			OpenAtEnd: "Still open at month end", Converted: "Option tickets converted"},
		plans:         map[string]string{PlanPerID: "per ID (per_id)", PlanPerResponse: "per response (per_response)"},
		tickets:       "bought {{.TicketsBought}}, used {{.TicketsUsed}}, expired {{.TicketsExpired}}, remaining {{.TicketsRemaining}}",
		overUse:       " Active endpoints ({{.ActiveTotal}}) exceed the contracted IDs ({{.ContractedIDs}}) by {{.OverUse}}.",
		noActiveCount: " The vendors' count of active endpoints could not be read this month.",
	},
}
