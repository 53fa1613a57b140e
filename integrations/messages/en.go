package messages

var english = words{
	sayLanguage: "en-US",
	subject: map[string]string{
		KindNotice: "[xsoc] {{.CustomerName}}: option tickets",
		KindReport: "[xsoc] {{.CustomerName}}: monthly report {{.Month}}",
		KindPage:   "[xsoc][{{.SEVERITY}}] {{.CustomerName}}: {{.Detection}} on {{.HostList}}",
		KindBreach: "[xsoc][{{.SEVERITY}}][SLA BREACH] {{.CustomerName}}: {{.Detection}} on {{.HostList}}",
		KindStatus: "[xsoc][{{.SEVERITY}}][{{.State}}] {{.CustomerName}}: {{.Detection}} on {{.HostList}}",
	},
	lead: map[string]string{
		KindNotice: "{{with .Notice}}{{if .Expired}}{{.Count}} option ticket(s) bought {{.Purchased}} expired unused on {{.Expires}}. They can be converted to another service (e.g. security training).{{else}}{{.Count}} option ticket(s) bought {{.Purchased}} expire unused on {{.Expires}}. Use them before then, or convert them to another service.{{end}}{{end}}",
		KindReport: "Here is the xsoc report of {{.Month}} for {{.CustomerName}}.",
		KindPage:   "{{.Vendor}} reported {{.Detection}} on {{.HostList}}. Severity {{.SEVERITY}}.",
		KindBreach: "An SLA promise for this incident was broken ({{.Reason}}). It needs attention now.",
		KindStatus: "Status update: the incident is now {{.State}}{{if .Reason}} ({{.Reason}}){{end}}.",
	},
	need: map[string]string{
		"acknowledge":       "Someone must acknowledge this incident (Temporal UI, Slack or phone).",
		"verdict":           "An analyst's verdict: true positive, false positive or benign true positive.",
		"customer_decision": "Your decision on our recommendation.",
	},
	labels: labels{
		Customer: "Customer", Detection: "Detection", Severity: "Severity", Hosts: "Hosts", Users: "Users",
		Site: "Site", State: "State", Verdict: "Verdict", Done: "What we did", Need: "What we need",
		Recent: "Recent events", Open: "Open the incident", Reason: "Why",
	},
	speech:            "This is x soc. {{.SEVERITY}} security incident for {{.CustomerName}}: {{.Detection}} on {{.HostList}}. Press 1 to acknowledge.",
	noInput:           "No key was pressed. We will try the next contact. Goodbye.",
	sms:               "xsoc {{.SEVERITY}}: {{.CustomerName}} {{.Detection}} on {{.HostList}}. Acknowledge: {{.Link}}",
	phoneAcknowledged: "Acknowledged. Thank you. Paging has stopped.",
	phoneDeclined:     "Not acknowledged. We will call the next contact.",
	phoneClosed:       "This incident is already closed. Thank you.",
	buttons: map[string]string{"acknowledge": "Acknowledge", "verdict_true_positive": "True positive",
		"verdict_false_positive": "False positive", "contain": "Contain"},
	report: reportWords{
		labels: reportLabels{Month: "Month", Period: "Period", Plan: "Plan", ContractedIDs: "Contracted IDs", ActiveIDs: "Active endpoints",
			Billable: "Billable responses", NotBillable: "Not billable (duplicates, suppressed)", Incidents: "Incidents",
			SLABreached: "SLA breaches", Tickets: "Option tickets"},
		plans:         map[string]string{PlanPerID: "per ID (per_id)", PlanPerResponse: "per response (per_response)"},
		tickets:       "bought {{.TicketsBought}}, used {{.TicketsUsed}}, expired {{.TicketsExpired}}, remaining {{.TicketsRemaining}}",
		overUse:       " Active endpoints ({{.ActiveTotal}}) exceed the contracted IDs ({{.ContractedIDs}}) by {{.OverUse}}.",
		noActiveCount: " The vendors' count of active endpoints could not be read this month.",
	},
	outage: outageWords{
		subject: map[string]string{
			KindOutage:     "[xsoc][OUTAGE] {{.CustomerName}}: {{.Vendor}} cannot be polled",
			KindOutageOver: "[xsoc][RECOVERED] {{.CustomerName}}: {{.Vendor}} is polled again",
		},
		lead: map[string]string{
			KindOutage: "Polling {{.Vendor}} for {{.CustomerName}} has failed since {{.SinceText}}. No alert is lost: " +
				"the poller keeps its place and fetches what was raised meanwhile once {{.Vendor}} answers. If the error is the " +
				"vendor refusing our credentials or access, fix them on the worker.",
			KindOutageOver: "Polling {{.Vendor}} for {{.CustomerName}} works again since {{.OverText}}, after failing since " +
				"{{.SinceText}} ({{.Failures}} failed polls). The alerts raised meanwhile are being fetched.",
		},
		sms: map[string]string{
			KindOutage:     "xsoc OUTAGE: {{.Vendor}} of {{.CustomerName}} cannot be polled since {{.SinceText}}: {{.Error}}",
			KindOutageOver: "xsoc RECOVERED: {{.Vendor}} of {{.CustomerName}} is polled again since {{.OverText}}",
		},
		vendor: "Vendor", error: "Last error", open: "Open the poller",
	},
}
