package server

import (
	"fmt"
	"time"

	"xsoc/workflows/api"
)

// dashboardLanguages are the languages the managers' view is written in.
var dashboardLanguages = []string{"en", "ja"}

// dashboardText is every word of the managers' view, by language.
var dashboardText = map[string]map[string]string{
	"en": {
		"title":                 "SLA dashboard",
		"overview":              "All customers",
		"login.title":           "Sign in to the SLA dashboard",
		"login.token":           "Dashboard token",
		"login.submit":          "Sign in",
		"login.wrong":           "That token is not the dashboard's.",
		"login.off":             "The dashboard is off: set XSOC_DASHBOARD_TOKEN on the starter.",
		"logout":                "Sign out",
		"month":                 "Month",
		"timezone":              "Times in",
		"generated":             "As of",
		"open":                  "Open incidents by SLA state",
		"open.none":             "No open incidents.",
		"open.truncated":        "Only the most urgent are listed; the counts are complete.",
		"next_due":              "Next due",
		"incident":              "Incident",
		"severity":              "Severity",
		"state":                 "State",
		"sla_state":             "SLA",
		"due":                   "Due",
		"hosts":                 "Hosts",
		"opened":                "Opened",
		"breaches":              "Breaches of the month",
		"breaches.none":         "No breach this month.",
		"clock":                 "Clock",
		"breached_at":           "Breached at",
		"times":                 "Response times of the month (median / 90th percentile)",
		"measure":               "Measure",
		"median":                "Median",
		"p90":                   "90th percentile",
		"count":                 "Incidents",
		"trend":                 "Trend over 6 months (median, 90th percentile as a line)",
		"funnel":                "Funnel of the month",
		"rules":                 "Suppression hits per rule",
		"rules.none":            "No suppression rule.",
		"rule":                  "Rule",
		"reason":                "Reason",
		"hits_month":            "Hits this month",
		"hits_total":            "Hits in all",
		"last_hit":              "Last hit",
		"expires":               "Expires",
		"tickets":               "Option tickets",
		"tickets.none":          "No option tickets.",
		"remaining":             "Remaining",
		"purchased":             "Purchased",
		"lot_count":             "Bought",
		"used":                  "Used",
		"expired":               "Expired",
		"customer":              "Customer",
		"problems":              "Some figures could not be read:",
		"mtta":                  "MTTA",
		"breached_month":        "Breaches this month",
		"confirmed_month":       "Confirmed this month",
		"none":                  "—",
		"d.ingest":              "Ingest lag (detection → incident)",
		"d.ack":                 "Time to acknowledge (MTTA)",
		"d.customer_ack":        "Time for the customer to acknowledge",
		"breached_clocks":       "Breached",
		"since":                 "since",
		"breaches.earlier":      "No clock breached this month; %d open incident(s) breached before it (listed above).",
		"breaches.short":        "Breaches",
		"by_severity":           "The month by Severity (median / 90th percentile)",
		"by_severity.none":      "Nothing counted by Severity this month.",
		"counted_at_conclusion": "Part of this month was counted when incidents concluded, before figures were counted as they happened: it has no breakdown by Severity for them.",
		"requests":              "Customer requests of the month",
		"requests.none":         "No request ended this month.",
		"requests.ended":        "Ended",
		"requests.accept":       "Time to accept",
		"requests.tickets":      "Tickets used by requests",
		"requests.kind":         "Kind",
		"requests.outcome":      "Outcome",
		"converted":             "Converted",
		"convertible_until":     "Convertible until",
		"converted_month":       "Tickets converted this month",
		"d.verdict":             "Time to verdict",
		"d.contain":             "Time to contain",
		"d.resolve":             "Time to close (MTTR)",
		"c.ack":                 "acknowledge",
		"c.verdict":             "verdict",
		"c.contain":             "contain",
		"s.breached":            "breached",
		"s.at_risk":             "at risk",
		"s.on_track":            "on track",
		"s.met":                 "met",
		"f.alerts_in":           "Alerts in",
		"f.suppressed":          "Suppressed by a rule",
		"f.merged":              "Merged into an incident",
		"f.handled":             "Handled by the SOC",
		"f.confirmed":           "Confirmed incidents",
		"f.customer_paged":      "Customer paged",
		"f.customer_calls":      "Customer called",
		"dur.d":                 "%dd %dh",
		"dur.h":                 "%dh %02dm",
		"dur.m":                 "%dm %02ds",
		"dur.s":                 "%.1fs",
	},
	"ja": { //nolint:gosec // G101: these texts name the dashboard token (login.token); they hold none
		"title":                 "SLA ダッシュボード",
		"overview":              "全顧客",
		"login.title":           "SLA ダッシュボードへのサインイン",
		"login.token":           "ダッシュボードのトークン",
		"login.submit":          "サインイン",
		"login.wrong":           "トークンが正しくありません。",
		"login.off":             "ダッシュボードは無効です。スターターに XSOC_DASHBOARD_TOKEN を設定してください。",
		"logout":                "サインアウト",
		"month":                 "対象月",
		"timezone":              "表示タイムゾーン",
		"generated":             "集計時刻",
		"open":                  "対応中のインシデント（SLA 状態別）",
		"open.none":             "対応中のインシデントはありません。",
		"open.truncated":        "緊急度の高いものだけを表示しています。件数はすべてを数えています。",
		"next_due":              "次の期限",
		"incident":              "インシデント",
		"severity":              "重大度",
		"state":                 "状態",
		"sla_state":             "SLA",
		"due":                   "期限",
		"hosts":                 "ホスト",
		"opened":                "発生",
		"breaches":              "今月の SLA 違反",
		"breaches.none":         "今月の SLA 違反はありません。",
		"clock":                 "時計",
		"breached_at":           "違反時刻",
		"times":                 "今月の対応時間（中央値 / 90 パーセンタイル）",
		"measure":               "指標",
		"median":                "中央値",
		"p90":                   "90 パーセンタイル",
		"count":                 "件数",
		"trend":                 "過去 6 か月の推移（棒は中央値、線は 90 パーセンタイル）",
		"funnel":                "今月のファネル",
		"rules":                 "抑制ルールごとのヒット数",
		"rules.none":            "抑制ルールはありません。",
		"rule":                  "ルール",
		"reason":                "理由",
		"hits_month":            "今月のヒット",
		"hits_total":            "累計ヒット",
		"last_hit":              "最終ヒット",
		"expires":               "有効期限",
		"tickets":               "オプションチケット",
		"tickets.none":          "オプションチケットはありません。",
		"remaining":             "残り",
		"purchased":             "購入日",
		"lot_count":             "購入数",
		"used":                  "使用",
		"expired":               "失効",
		"customer":              "顧客",
		"problems":              "一部の数値を読み取れませんでした：",
		"mtta":                  "MTTA",
		"breached_month":        "今月の違反",
		"confirmed_month":       "今月の確定インシデント",
		"none":                  "—",
		"d.ingest":              "取り込み遅延（検知 → インシデント）",
		"d.ack":                 "受領までの時間（MTTA）",
		"d.customer_ack":        "お客様の受領までの時間",
		"breached_clocks":       "違反",
		"since":                 "発生",
		"breaches.earlier":      "今月の SLA 違反はありません。対応中のインシデント %d 件が前月以前に違反しています（上の一覧）。",
		"breaches.short":        "違反",
		"by_severity":           "重大度別の今月（中央値 / 90 パーセンタイル）",
		"by_severity.none":      "今月の重大度別の集計はありません。",
		"counted_at_conclusion": "この月の一部はインシデントのクローズ時に集計されたもの（発生時集計の前）で、重大度別の内訳はありません。",
		"requests":              "今月のお客様からの依頼",
		"requests.none":         "今月終了した依頼はありません。",
		"requests.ended":        "終了",
		"requests.accept":       "受付までの時間",
		"requests.tickets":      "依頼で使用したチケット",
		"requests.kind":         "種類",
		"requests.outcome":      "結果",
		"converted":             "振替",
		"convertible_until":     "振替期限",
		"converted_month":       "今月振り替えたチケット",
		"d.verdict":             "判定までの時間",
		"d.contain":             "封じ込めまでの時間",
		"d.resolve":             "クローズまでの時間（MTTR）",
		"c.ack":                 "受領",
		"c.verdict":             "判定",
		"c.contain":             "封じ込め",
		"s.breached":            "違反",
		"s.at_risk":             "期限間近",
		"s.on_track":            "期限内",
		"s.met":                 "達成",
		"f.alerts_in":           "受信アラート",
		"f.suppressed":          "ルールで抑制",
		"f.merged":              "既存インシデントに統合",
		"f.handled":             "SOC が対応",
		"f.confirmed":           "確定インシデント",
		"f.customer_paged":      "お客様へ通知",
		"f.customer_calls":      "お客様へ電話",
		"dur.d":                 "%d日%d時間",
		"dur.h":                 "%d時間%02d分",
		"dur.m":                 "%d分%02d秒",
		"dur.s":                 "%.1f秒",
	},
}

// text says a key in a language, the key itself when no language has it (a gap shows
// on the page instead of an empty cell).
func text(lang, key string) string {
	if s, ok := dashboardText[lang][key]; ok {
		return s
	}
	if s, ok := dashboardText["en"][key]; ok {
		return s
	}
	return key
}

// humanDuration writes seconds as a person reads them: "4m 05s", "1h 20m", "2d 3h".
func humanDuration(lang string, seconds float64) string {
	d := time.Duration(seconds * float64(time.Second))
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf(text(lang, "dur.d"), int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf(text(lang, "dur.h"), int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf(text(lang, "dur.m"), int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf(text(lang, "dur.s"), d.Seconds())
	}
}

// funnelSteps are the funnel's steps in order, with their figures.
func funnelSteps(f api.Funnel) []struct {
	Key   string
	Value int
} {
	return []struct {
		Key   string
		Value int
	}{
		{"f.alerts_in", f.AlertsIn}, {"f.suppressed", f.Suppressed}, {"f.merged", f.Merged}, {"f.handled", f.Handled},
		{"f.confirmed", f.Confirmed}, {"f.customer_paged", f.CustomerPaged}, {"f.customer_calls", f.CustomerCalled},
	}
}
