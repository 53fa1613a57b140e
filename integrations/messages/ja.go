package messages

var japanese = words{
	sayLanguage: "ja-JP",
	subject: map[string]string{
		KindNotice: "[xsoc] {{.CustomerName}}: オプションチケットのお知らせ",
		KindReport: "[xsoc] {{.CustomerName}}: {{.Month}} 月次レポート",
		KindPage:   "[xsoc][{{.SEVERITY}}] {{.CustomerName}}: {{.HostList}} で {{.Detection}} を検知",
		KindBreach: "[xsoc][{{.SEVERITY}}][SLA違反] {{.CustomerName}}: {{.HostList}} で {{.Detection}}",
		KindStatus: "[xsoc][{{.SEVERITY}}][{{.State}}] {{.CustomerName}}: {{.HostList}} で {{.Detection}}",
	},
	lead: map[string]string{
		KindNotice: "{{with .Notice}}{{if .Expired}}{{.Purchased}} にご購入のオプションチケット {{.Count}} 枚が {{.Expires}} に未使用のまま期限切れとなりました。他のサービス（セキュリティ教育など）への振替が可能です。{{else}}{{.Purchased}} にご購入のオプションチケット {{.Count}} 枚が {{.Expires}} に期限切れとなります。期限までにご利用いただくか、他のサービスへの振替をご検討ください。{{end}}{{end}}",
		KindReport: "{{.CustomerName}} 様の {{.Month}} の xsoc 月次レポートをお送りします。",
		KindPage:   "{{.Vendor}} が {{.HostList}} で {{.Detection}} を検知しました。重大度は {{.SEVERITY}} です。",
		KindBreach: "このインシデントの SLA が守られていません（{{.Reason}}）。至急対応してください。",
		KindStatus: "状況報告: インシデントは {{.State}} になりました{{if .Reason}}（{{.Reason}}）{{end}}。",
	},
	need: map[string]string{
		"acknowledge":       "どなたかがこのインシデントを受領してください（Temporal UI、Slack、電話）。",
		"verdict":           "アナリストの判定（true_positive / false_positive / benign_true_positive）が必要です。",
		"customer_decision": "推奨対応についてお客様のご判断をお願いします。",
	},
	labels: labels{
		Customer: "お客様", Detection: "検知内容", Severity: "重大度", Hosts: "ホスト", Users: "ユーザー",
		Site: "拠点", State: "状態", Verdict: "判定", Done: "実施した対応", Need: "お願いしたいこと",
		Recent: "最近の経過", Open: "インシデントを開く", Reason: "理由",
	},
	speech:            "こちらはエックスソックです。{{.CustomerName}} の重大度 {{.SEVERITY}} のセキュリティインシデントです。{{.HostList}} で {{.Detection}} を検知しました。受領する場合は 1 を押してください。",
	noInput:           "入力がありませんでした。次の連絡先にお知らせします。失礼します。",
	sms:               "xsoc {{.SEVERITY}}: {{.CustomerName}} {{.HostList}} で {{.Detection}}。受領: {{.Link}}",
	phoneAcknowledged: "受領しました。ありがとうございます。呼び出しを停止します。",
	phoneDeclined:     "受領されませんでした。次の連絡先にお電話します。",
	phoneClosed:       "このインシデントはすでにクローズされています。ありがとうございました。",
	buttons: map[string]string{"acknowledge": "受領", "verdict_true_positive": "真陽性",
		"verdict_false_positive": "誤検知", "contain": "封じ込め"},
	report: reportWords{
		labels: reportLabels{Month: "対象月", Period: "対象期間", Plan: "料金プラン", ContractedIDs: "契約 ID 数", ActiveIDs: "稼働端末数",
			Billable: "課金対象の対応件数", NotBillable: "課金対象外（重複・抑止）", Incidents: "インシデント数",
			SLABreached: "SLA 違反", Tickets: "オプションチケット"},
		plans:         map[string]string{PlanPerID: "ID 数課金 (per_id)", PlanPerResponse: "対応件数課金 (per_response)"},
		tickets:       "購入 {{.TicketsBought}} / 使用 {{.TicketsUsed}} / 失効 {{.TicketsExpired}} / 残り {{.TicketsRemaining}}",
		overUse:       "稼働端末数 {{.ActiveTotal}} が契約 ID 数 {{.ContractedIDs}} を {{.OverUse}} 上回っています。",
		noActiveCount: "今月はベンダーから稼働端末数を取得できませんでした。",
	},
	outage: outageWords{
		subject: map[string]string{
			KindOutage:     "[xsoc][障害] {{.CustomerName}}: {{.Vendor}} から取得できません",
			KindOutageOver: "[xsoc][復旧] {{.CustomerName}}: {{.Vendor}} からの取得を再開しました",
		},
		lead: map[string]string{
			KindOutage: "{{.CustomerName}} の {{.Vendor}} からのアラート取得が {{.SinceText}} から失敗しています。アラートは失われません。" +
				"取得位置を保ったまま、{{.Vendor}} が応答しだい、その間に発生したアラートを取得します。" +
				"認証情報やアクセス権の拒否が原因の場合は、ワーカーの設定を修正してください。",
			KindOutageOver: "{{.CustomerName}} の {{.Vendor}} からのアラート取得が {{.OverText}} に復旧しました" +
				"（{{.SinceText}} から {{.Failures}} 回失敗）。その間に発生したアラートを取得しています。",
		},
		sms: map[string]string{
			KindOutage:     "xsoc 障害: {{.CustomerName}} の {{.Vendor}} から {{.SinceText}} より取得できません: {{.Error}}",
			KindOutageOver: "xsoc 復旧: {{.CustomerName}} の {{.Vendor}} からの取得を {{.OverText}} に再開",
		},
		vendor: "ベンダー", error: "直近のエラー", open: "ポーラーを開く",
	},
}
