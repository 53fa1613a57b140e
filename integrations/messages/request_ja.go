package messages

var requestJapanese = requestWords{
	sayLanguage: "ja-JP",
	subject: map[string]string{
		RequestPage:     "[xsoc][依頼]{{if .Urgent}}[至急]{{end}} {{.CustomerName}}: {{.Target}} の{{.KindName}} ({{.ID}})",
		RequestBreach:   "[xsoc][依頼][SLA違反] {{.CustomerName}}: {{.Target}} の{{.KindName}} ({{.ID}})",
		RequestReceived: "[xsoc] ご依頼 {{.ID}} を受け付けました: {{.Target}} の{{.KindName}}",
		RequestAccepted: "[xsoc] ご依頼 {{.ID}} を承りました: {{.Target}} の{{.KindName}}",
		RequestDone:     "[xsoc] ご依頼 {{.ID}} が完了しました: {{.Target}} の{{.KindName}}",
		RequestDeclined: "[xsoc] ご依頼 {{.ID}} をお受けできませんでした: {{.Target}} の{{.KindName}}",
		RequestFailed:   "[xsoc] ご依頼 {{.ID}}: {{.Target}} の{{.KindName}}を実施できませんでした",
	},
	lead: map[string]string{
		RequestPage:     "{{.CustomerName}} から{{if .Urgent}}至急の{{end}}ご依頼です: {{.Target}} の{{.KindName}}（{{.By}}）。{{.Due}} までに Temporal UI で accept・decline・done のいずれかを返してください。",
		RequestBreach:   "{{.CustomerName}} のご依頼 {{.ID}} に {{.Due}} までに応答がなく、SLA が守られていません。至急対応してください。",
		RequestReceived: "ご依頼 {{.ID}}（{{.Target}} の{{.KindName}}）を受け付けました。SOC から {{.Due}} までにお返事します。",
		RequestAccepted: "SOC の {{.Actor}} がご依頼 {{.ID}}（{{.Target}} の{{.KindName}}）を承り、対応しています。",
		RequestDone:     "ご依頼 {{.ID}}（{{.Target}} の{{.KindName}}）が完了しました。",
		RequestDeclined: "ご依頼 {{.ID}}（{{.Target}} の{{.KindName}}）はお受けできませんでした。",
		RequestFailed:   "ご依頼 {{.ID}}（{{.Target}} の{{.KindName}}）は {{.Actor}} が承りましたが、実施できませんでした。結果は以下のとおりです。SOC が対応を続けています。",
	},
	kinds: map[string]string{
		"isolate": "隔離", "release": "隔離解除", "block": "ブロック", "unblock": "ブロック解除",
		"investigate": "調査", "option": "オプションサービス",
	},
	labels: requestLabels{
		Customer: "お客様", Request: "ご依頼番号", Kind: "種別", Target: "対象", By: "ご依頼者", Note: "メモ",
		Received: "受付日時", Due: "回答期限", Actor: "担当", Answer: "結果", Open: "依頼を開く",
	},
	speech: "こちらはエックスソックです。{{.CustomerName}} から{{if .Urgent}}至急の{{end}}ご依頼です。{{.Target}} の{{.KindName}}です。受領する場合は 1 を押してください。",
	sms:    "xsoc 依頼 {{.ID}}{{if .Urgent}} 至急{{end}}: {{.CustomerName}} から {{.Target}} の{{.KindName}}。期限 {{.Due}}。{{.Link}}",
}
