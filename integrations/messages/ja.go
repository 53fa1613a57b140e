package messages

var japanese = words{
	sayLanguage: "ja-JP",
	stamp:       "2006年1月2日 15:04 MST (-07:00)",
	lineTime:    "15:04:05 -07:00",
	lineDay:     "1/2",
	theSOC:      "SOC",
	separator:   "。",
	fullStop:    "。",
	speechIntro: "こちらはエックスソックです。",
	subject: map[string]string{
		KindNotice: "[xsoc] {{.CustomerName}}: オプションチケットのお知らせ",
		KindReport: "[xsoc] {{.CustomerName}}: {{.Month}} 月次レポート",
		KindPage:   "[xsoc][{{.SEVERITY}}] {{.CustomerName}}: {{.HostList}} で {{.Detection}} を検知",
		KindBreach: "[xsoc][{{.SEVERITY}}][SLA違反] {{.CustomerName}}: {{.HostList}} で {{.Detection}}",
		KindStatus: "[xsoc][{{.SEVERITY}}][{{.State}}] {{.CustomerName}}: {{.HostList}} で {{.Detection}}",
	},
	lead: map[string]string{
		KindNotice:                   "{{with .Notice}}{{if .Expired}}{{.Purchased}} にご購入のオプションチケット {{.Count}} 枚が {{.Expires}} に未使用のまま期限切れとなりました。他のサービス（セキュリティ教育など）への振替が可能です。{{else}}{{.Purchased}} にご購入のオプションチケット {{.Count}} 枚が {{.Expires}} に期限切れとなります。期限までにご利用いただくか、他のサービスへの振替をご検討ください。{{end}}{{end}}",
		KindReport:                   "{{.CustomerName}} 様の {{.Month}} の xsoc 月次レポートをお送りします。",
		KindPage + "/" + AudienceSOC: "{{.Vendor}} が {{.HostList}} で {{.Detection}} を検知しました。重大度は {{.SEVERITY}} です。{{if .Parent}}{{.Parent}} に統合されています。{{end}}",
		KindPage + "/" + AudienceCustomer: "{{if .Confirmed}}{{.CustomerName}} 様の環境でセキュリティインシデントを確認しました。{{.HostList}} で {{.Detection}} を検知しています（重大度 {{.SEVERITY}}）。" +
			"{{else}}{{.Vendor}} が {{.CustomerName}} 様の {{.HostList}} で {{.Detection}} を検知しました。重大度は {{.SEVERITY}} です。{{end}}",
		KindBreach + "/" + AudienceSOC:      "このインシデントの SLA が守られていません{{if .Breach}}（{{.Breach}}）{{end}}。至急対応してください。",
		KindBreach + "/" + AudienceCustomer: "このインシデントへの対応がお約束の時間を過ぎています{{if .Breach}}（{{.Breach}}）{{end}}。SOC が引き続き対応しています。",
		KindStatus:                          "状況報告: インシデントは {{.State}} になりました{{if and .Reason (not .Changes)}}（{{.Reason}}）{{end}}。",
		KindStatus + "/" + AudienceCustomer: "状況報告: {{.HostList}} の {{.Detection}} について、インシデントは {{.State}} です。",
	},
	need: map[string]string{
		NeedAcknowledge + "/" + AudienceSOC:           "このアラートを受領してください（Slack の「受領」ボタン、電話で 1 を押す、または Temporal UI の acknowledge）。",
		NeedVerdict + "/" + AudienceSOC:               "アナリストの判定（true_positive / false_positive / benign_true_positive）が必要です。",
		NeedCustomerDecision + "/" + AudienceSOC:      "推奨対応についてお客様のご判断を待っています（awaiting_customer）。",
		NeedAcknowledge + "/" + AudienceCustomer:      "受け取られたことをお知らせください。お電話で 1 を押すか、Slack の「受領」ボタンを押してください。{{.SOC}} へのご連絡でも結構です。",
		NeedVerdict + "/" + AudienceCustomer:          "想定された操作か攻撃かを {{.SOC}} にお知らせください。お客様のご判断に基づいて対応します。",
		NeedCustomerDecision + "/" + AudienceCustomer: "推奨対応を実施してよいか {{.SOC}} にお知らせください。",
	},
	speech: map[string]string{
		KindPage + "/" + AudienceSOC: "こちらはエックスソックです。{{.CustomerName}} の重大度 {{.SEVERITY}} のアラートです。{{.HostList}} で {{.Detection}} を検知しました。" +
			"{{if .Policy}}ポリシー: {{.Policy}}。{{end}}受領する場合は 1 を押してください。",
		KindPage + "/" + AudienceCustomer: "こちらはエックスソック{{if .SOCName}}、{{.SOCName}}{{end}}です。{{.CustomerName}} 様へのご連絡です。" +
			"{{if .Confirmed}}重大度 {{.SEVERITY}} のセキュリティインシデントを確認しました。{{else}}重大度 {{.SEVERITY}} のアラートです。{{end}}{{.HostList}} で {{.Detection}} を検知しました。" +
			"{{if .DoneSaid}}実施した対応: {{.DoneSaid}}。{{end}}{{if .Recommendation}}{{.Recommendation}}。{{end}}" +
			"{{if .SOCContact}}SOC の連絡先は {{.SOCContact}} です。{{end}}受領する場合は 1 を押してください。",
		KindBreach + "/" + AudienceSOC: "こちらはエックスソックです。{{.CustomerName}} の重大度 {{.SEVERITY}} のインシデントで SLA 違反です。{{.HostList}} で {{.Detection}}。" +
			"{{if .Breach}}{{.Breach}}。{{end}}受領する場合は 1 を押してください。",
		KindStatus: "こちらはエックスソックです。{{.HostList}} の {{.Detection}} の状況報告です。インシデントは {{.State}} です。{{if .ChangesSaid}}{{.ChangesSaid}}。{{end}}",
	},
	sms: map[string]string{
		KindPage + "/" + AudienceSOC:   "xsoc {{.SEVERITY}}: {{.CustomerName}} {{.HostList}} で {{.Detection}}。受領: {{.Link}}",
		KindBreach + "/" + AudienceSOC: "xsoc SLA違反 {{.SEVERITY}}: {{.CustomerName}} {{.HostList}} で {{.Detection}}。{{.Link}}",
		KindStatus + "/" + AudienceSOC: "xsoc [{{.State}}] {{.CustomerName}} {{.HostList}} で {{.Detection}}{{if .ChangesSaid}}: {{.ChangesSaid}}{{end}}。{{.Link}}",
		KindPage + "/" + AudienceCustomer: "xsoc {{.SEVERITY}}: {{if .Confirmed}}インシデント確認{{else}}アラート{{end}} {{.HostList}} で {{.Detection}}。" +
			"{{if .DoneSaid}}対応: {{.DoneSaid}}。{{end}}{{if .SOCContact}}{{.SOC}}: {{.SOCContact}}{{end}}",
		KindStatus + "/" + AudienceCustomer: "xsoc [{{.State}}] {{.HostList}} で {{.Detection}}{{if .ChangesSaid}}: {{.ChangesSaid}}{{end}}",
	},
	labels: labels{
		Customer: "お客様", Detection: "検知内容", Severity: "重大度", Hosts: "ホスト", Users: "ユーザー",
		Site: "拠点", Opened: "検知日時", State: "状態", Verdict: "判定", Parent: "統合先", Policy: "ポリシー", Reason: "理由",
		Done: "実施した対応", Need: "必要な対応", NeedYou: "お願いしたいこと",
		Contact: "SOC の連絡先", Changes: "前回からの変更", Recent: "最近の経過",
		Open: "インシデントを開く", OpenList: "一覧を開く",
		When: "日時", Since: "集計開始", Alerts: "アラート数", ByDetection: "検知内容別", ByHost: "ホスト別", ListQuery: "一覧の検索条件",
		Vendor: "ベンダー", Error: "エラー", Rule: "ルール", Matched: "1 時間の一致件数", Incident: "インシデント",
		Known: "取り込み済み",
	},
	lines: map[string]string{
		"opened":                 "{{if .vendor}}{{.vendor}} が {{end}}{{.hosts}} で {{.detection}} を検知{{if .severity}}（{{.severity}}{{if .alert}}、アラート {{.alert}}{{end}}）{{end}}",
		"state":                  "状態 {{if .from}}{{.from}} → {{end}}{{.to}}",
		"action.isolate":         `{{if eq .already "true"}}{{.target}} はすでに隔離されていました{{else}}{{.target}} をネットワークから隔離しました{{end}}`,
		"action.release":         `{{if eq .already "true"}}{{.target}} は隔離されていませんでした{{else}}{{.target}} の隔離を解除しました{{end}}`,
		"action.block":           `{{if eq .already "true"}}{{.target}} はすでにブロックされていました{{else}}{{.target}} をブロックしました{{end}}`,
		"action.unblock":         `{{if eq .already "true"}}{{.target}} はブロックされていませんでした{{else}}{{.target}} のブロックを解除しました{{end}}`,
		"action_failed.isolate":  "{{.target}} の隔離に失敗しました: {{.error}}",
		"action_failed.release":  "{{.target}} の隔離解除に失敗しました: {{.error}}",
		"action_failed.block":    "{{.target}} のブロックに失敗しました: {{.error}}",
		"action_failed.unblock":  "{{.target}} のブロック解除に失敗しました: {{.error}}",
		"investigated":           "調査結果: {{.summary}}",
		"verdict":                "判定 {{.verdict}}{{if .by}}（{{.by}}）{{end}}{{if .note}}: {{.note}}{{end}}",
		"escalated":              "重大度を{{if .from}} {{.from}} から{{end}} {{.to}} に引き上げました",
		"recommendation.isolate": "{{.hosts}} をネットワークから隔離することを推奨します",
		"acknowledged.soc":       "{{if .by}}{{.by}} が{{end}}受領しました（SOC{{if .via}}、{{.via}}{{end}}）",
		"acknowledged.customer":  "{{if .by}}{{.by}} 様が{{end}}受領されました（お客様{{if .via}}、{{.via}}{{end}}）",
		"sla_breach.ack":         "SLA 違反: {{if .due}}{{.due}} までに{{end}}受領されませんでした",
		"sla_breach.verdict":     "SLA 違反: {{if .due}}{{.due}} までに{{end}}判定が出ませんでした",
		"sla_breach.contain":     "SLA 違反: {{if .due}}{{.due}} までに{{end}}封じ込めできませんでした",
		"joined":                 "アラート {{.alert}} を統合しました{{if .detection}}: {{if .hosts}}{{.hosts}} で {{end}}{{.detection}}{{end}}{{if .severity}}（{{.severity}}）{{end}}",
		"hosts_added":            "ホストを追加しました: {{.hosts}}",
		"comment":                "{{if .by}}{{.by}} のコメント{{else}}コメント{{end}}: {{.note}}",
		"suppressed":             "ルール {{.rule}} により抑止しました{{if .reason}}: {{.reason}}{{end}}",
		"merged":                 "{{.parent}} に統合しました",
		"closed":                 "クローズしました（{{.state}}）{{if .note}}: {{.note}}{{end}}",
	},
	notices: map[string]noticeWords{
		TopicStormStarted: {
			subject: "[xsoc][STORM] {{.CustomerName}}: ストームモード開始",
			lead: "{{.CustomerName}} は {{.At}} からストームモードです{{if .Alerts}}（1 分間に新規アラート {{.Alerts}} 件）{{end}}。" +
				"high 以下のアラートは 1 件ずつの呼び出しではなくダイジェストでお知らせします。critical と emergency は引き続き 1 件ずつ呼び出します。",
			short: "{{.CustomerName}} がストームモードになりました{{if .Alerts}}（1 分間に {{.Alerts}} 件）{{end}}。",
		},
		TopicStormDigest: {
			subject: "[xsoc][STORM] {{.CustomerName}}: ストーム中のアラート {{.Alerts}} 件",
			lead:    "{{.CustomerName}} のストームダイジェスト: {{if .Since}}{{.Since}} 以降、{{end}}新規アラート {{.Alerts}} 件。",
			short:   "{{.CustomerName}} ストーム: 前回のダイジェストから {{.Alerts}} 件。",
		},
		TopicStormEnded: {
			subject: "[xsoc][STORM] {{.CustomerName}}: ストームモード終了",
			lead:    "{{.CustomerName}} は {{.At}} にストームモードを抜けました{{if .Alerts}}（アラート計 {{.Alerts}} 件）{{end}}。アラートは再び 1 件ずつ呼び出します。",
			short:   "{{.CustomerName}} のストームモードが終了しました。",
		},
		TopicOutage: {
			subject: "[xsoc][OUTAGE] {{.CustomerName}}: {{.Vendor}} が応答しません",
			lead:    "{{.CustomerName}} の {{.Vendor}} からのアラート取得が {{or .Since .At}} から失敗しています{{if .Error}}（{{.Error}}）{{end}}。アラートは失われません。取得位置を保ち、{{.Vendor}} が応答すれば未取得のアラートを取得します。認証情報やアクセス権が拒否されている場合はワーカーで修正してください。",
			short:   "{{.CustomerName}} の {{.Vendor}} が応答しません。",
		},
		TopicRecovered: {
			subject: "[xsoc][RECOVERED] {{.CustomerName}}: {{.Vendor}} が復旧しました",
			lead:    "{{.CustomerName}} の {{.Vendor}} からのアラート取得が {{.At}} に復旧しました{{if .Since}}（{{.Since}} から失敗{{if .Count}}、{{.Count}} 回{{end}}）{{end}}。その間のアラートを取得しています。",
			short:   "{{.CustomerName}} の {{.Vendor}} が復旧しました。",
		},
		TopicFirstFetch: {
			subject: "[xsoc][FIRST FETCH]{{if .Storm}}[STORM]{{end}} {{.CustomerName}}: {{.Since}} 以降の {{.Vendor}} のアラート {{.Alerts}} 件",
			lead: "{{.Customer}}/{{.Vendor}} の初回取得: {{.Since}} 以降に発生または更新されたアラート {{.Alerts}} 件" +
				"{{if .Known}}（うち {{.Known}} 件はプッシュ受信または以前の取得で取り込み済み）{{end}}。" +
				"新しいものはそれぞれインシデントとして、ほかのアラートと同じようにトリアージします。" +
				"{{if .Storm}}一度にこれだけ多いためアラートストームとして扱います。まとめてトリアージに渡したため、お客様のストームしきい値（1 分あたり）を超えた high 以下のアラートはストームのダイジェストでお知らせし、" +
				"critical と emergency は引き続き 1 件ずつ呼び出します。{{end}}",
			short: "{{.CustomerName}} の {{.Vendor}} の初回取得: アラート {{.Alerts}} 件{{if .Storm}}（ストーム）{{end}}。",
		},
		TopicRuleOverBroad: {
			subject: "[xsoc][RULE] {{.CustomerName}}: ルール {{.Rule}} が 1 時間に {{.Count}} 件一致",
			lead: "{{.CustomerName}} の抑止ルール {{.Rule}} が {{.At}} までの 1 時間に {{.Count}} 件のアラートに一致しました{{if .Detail}}（{{.Detail}}）{{end}}。" +
				"本物の攻撃を隠していないか確認し、広すぎる場合は条件を絞るか廃止してください。",
			short: "{{.CustomerName}} のルール {{.Rule}} が 1 時間に {{.Count}} 件一致しました。",
		},
		TopicCancelled: {
			subject: "[xsoc][CANCELLED] {{.CustomerName}}: {{.Incident}}",
			lead: "{{.CustomerName}} のインシデント {{.Incident}}{{if .Detection}}（{{if .HostList}}{{.HostList}} で {{end}}{{.Detection}}）{{end}} は " +
				"{{.At}} に取り消されました{{if .Detail}}: {{.Detail}}{{end}}。",
			short: "{{.CustomerName}} のインシデント {{.Incident}} が取り消されました。",
		},
		topicOther: {
			subject: "[xsoc] {{.CustomerName}}: {{.Topic}}",
			lead:    "{{.CustomerName}}: {{.Topic}}（{{.At}}）{{if .Detail}}: {{.Detail}}{{end}}",
			short:   "{{.CustomerName}}: {{.Topic}}",
		},
	},
	noInput:           "入力がありませんでした。次の連絡先にお知らせします。失礼します。",
	phoneAcknowledged: "受領しました。ありがとうございます。呼び出しを停止します。",
	phoneDeclined:     "受領されませんでした。次の連絡先にお電話します。",
	phoneClosed:       "このインシデントはすでにクローズされています。ありがとうございました。",
	phoneReopened:     "このお電話の後にインシデントが再オープンされました。新しいインシデントでご判断ください。変更はしていません。",
	phoneRefused:      "このお電話はこの番号宛てではありません。変更はしていません。",
	buttons: map[string]string{"acknowledge": "受領", "verdict_true_positive": "真陽性",
		"verdict_false_positive": "誤検知", "contain": "封じ込め"},
	report: reportWords{
		labels: reportLabels{Month: "対象月", Period: "対象期間", Plan: "料金プラン", ContractedIDs: "契約 ID 数", ActiveIDs: "稼働端末数",
			Billable: "課金対象の対応件数", NotBillable: "課金対象外（重複・抑止）", Incidents: "インシデント数",
			SLABreached: "SLA 違反", Tickets: "オプションチケット",
			Suppressed: "抑止ルール別の抑止件数", IdleRules: "30 日間該当のないルール（廃止の検討を）",
			OpenAtEnd: "月末時点で対応中", Converted: "振り替えたオプションチケット"},
		plans:         map[string]string{PlanPerID: "ID 数課金 (per_id)", PlanPerResponse: "対応件数課金 (per_response)"},
		tickets:       "購入 {{.TicketsBought}} / 使用 {{.TicketsUsed}} / 失効 {{.TicketsExpired}} / 残り {{.TicketsRemaining}}",
		overUse:       "稼働端末数 {{.ActiveTotal}} が契約 ID 数 {{.ContractedIDs}} を {{.OverUse}} 上回っています。",
		noActiveCount: "今月はベンダーから稼働端末数を取得できませんでした。",
	},
}
