package messages

var requestEnglish = requestWords{
	sayLanguage: "en-US",
	subject: map[string]string{
		RequestPage:     "[xsoc][REQUEST]{{if .Urgent}}[URGENT]{{end}} {{.CustomerName}}: {{.KindName}} {{.Target}} ({{.ID}})",
		RequestBreach:   "[xsoc][REQUEST][SLA BREACH] {{.CustomerName}}: {{.KindName}} {{.Target}} ({{.ID}})",
		RequestReceived: "[xsoc] Request {{.ID}} received: {{.KindName}} {{.Target}}",
		RequestAccepted: "[xsoc] Request {{.ID}} accepted: {{.KindName}} {{.Target}}",
		RequestDone:     "[xsoc] Request {{.ID}} done: {{.KindName}} {{.Target}}",
		RequestDeclined: "[xsoc] Request {{.ID}} declined: {{.KindName}} {{.Target}}",
		RequestFailed:   "[xsoc] Request {{.ID}}: {{.KindName}} {{.Target}} failed",
	},
	lead: map[string]string{
		RequestPage:     "{{.CustomerName}} asks the SOC{{if .Urgent}} urgently{{end}}: {{.KindName}} {{.Target}} ({{.By}}). Answer by {{.Due}}: accept, decline or done in the Temporal UI.",
		RequestBreach:   "Request {{.ID}} of {{.CustomerName}} was not answered by {{.Due}}: the SLA promise is broken. It needs an answer now.",
		RequestReceived: "We received your request {{.ID}}: {{.KindName}} {{.Target}}. The SOC will answer by {{.Due}}.",
		RequestAccepted: "{{.Actor}} at the SOC accepted your request {{.ID}} ({{.KindName}} {{.Target}}) and is working on it.",
		RequestDone:     "Your request {{.ID}} ({{.KindName}} {{.Target}}) is done.",
		RequestDeclined: "Your request {{.ID}} ({{.KindName}} {{.Target}}) was declined.",
		RequestFailed:   "Your request {{.ID}} ({{.KindName}} {{.Target}}) was accepted by {{.Actor}}, but it could not be carried out: the answer is below. The SOC is on it.",
	},
	kinds: map[string]string{
		"isolate": "isolate", "release": "release", "block": "block", "unblock": "unblock",
		"investigate": "investigate", "option": "option service",
	},
	labels: requestLabels{
		Customer: "Customer", Request: "Request", Kind: "Kind", Target: "About", By: "Asked by", Note: "Note",
		Received: "Received", Due: "Answer due", Actor: "Handled by", Answer: "Answer", Open: "Open the request",
	},
	speech: "This is x soc. {{if .Urgent}}Urgent c{{else}}C{{end}}ustomer request from {{.CustomerName}}: {{.KindName}} {{.Target}}. Press 1 to acknowledge.",
	sms:    "xsoc request {{.ID}}{{if .Urgent}} URGENT{{end}}: {{.CustomerName}} asks {{.KindName}} {{.Target}}. Answer by {{.Due}}. {{.Link}}",
}
