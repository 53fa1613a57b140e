package messages

import (
	"strings"
	"testing"
	"time"
)

func TestMonthlyReportInTheCustomersLanguage(t *testing.T) {
	perID := MonthReport{Month: "2026-11", Plan: PlanPerID, ContractedIDs: 200,
		ActiveIDs: []Tally{{"cybereason", 180}, {"withsecure", 30}}, ActiveTotal: 210,
		Incidents: 3, BySeverity: []Tally{{"critical", 1}, {"high", 2}}, SLABreached: 1,
		TicketsBought: 5, TicketsUsed: 2, TicketsExpired: 1, TicketsRemaining: 24}
	withoutCount := perID
	withoutCount.ActiveIDs, withoutCount.ActiveTotal = nil, 0
	perResponse := MonthReport{Month: "2026-11", Plan: PlanPerResponse, Incidents: 4, Billable: 3, NotBillable: 1}
	tuned := MonthReport{Month: "2026-11", Plan: PlanPerResponse, Incidents: 200, Billable: 10, NotBillable: 190,
		Suppressed: []Tally{{"R-1", 150}, {"R-2", 40}}, IdleRules: []string{"R-3"}}
	stillOpen := perResponse
	stillOpen.OpenAtEnd, stillOpen.OpenAtEndNames, stillOpen.TicketsConverted = 12, []string{"incident/acme/cybereason/1", "incident/acme/cybereason/2"}, 3
	cases := []struct {
		name, language string
		report         MonthReport
		subject        string
		says           []string
		never          []string
	}{
		{"per_id over-use, en", "en", perID, "[xsoc] ACME: monthly report 2026-11",
			[]string{"Contracted IDs: 200", "Active endpoints: 210 (cybereason 180, withsecure 30)", "exceed the contracted IDs (200) by 10",
				"Incidents: 3 (critical 1, high 2)", "SLA breaches: 1", "bought 5, used 2, expired 1, remaining 24"},
			[]string{"Billable responses", "could not be read"}},
		{"per_id over-use, ja", "ja", perID, "[xsoc] ACME: 2026-11 月次レポート",
			[]string{"契約 ID 数: 200", "稼働端末数: 210 (cybereason 180, withsecure 30)", "を 10 上回っています", "ID 数課金 (per_id)",
				"インシデント数: 3 (critical 1, high 2)", "購入 5 / 使用 2 / 失効 1 / 残り 24"},
			[]string{"Contracted", "Incidents", "monthly report"}},
		{"per_id without a count, ja", "ja", withoutCount, "[xsoc] ACME: 2026-11 月次レポート",
			[]string{"稼働端末数を取得できませんでした"}, []string{"上回っています", "稼働端末数: "}},
		{"per_response, en", "en", perResponse, "[xsoc] ACME: monthly report 2026-11",
			[]string{"Billable responses: 3", "Not billable (duplicates, suppressed): 1", "per response (per_response)"},
			[]string{"Contracted IDs", "Active endpoints", "exceed", "Suppressed by rule", "Rules without a hit"}},
		{"suppression rules, en", "en", tuned, "[xsoc] ACME: monthly report 2026-11",
			[]string{"Suppressed by rule: 190 (R-1 150, R-2 40)", "Rules without a hit in 30 days (retire?): R-3"}, nil},
		{"open at month end and tickets converted, en", "en", stillOpen, "[xsoc] ACME: monthly report 2026-11",
			[]string{"Still open at month end: 12 (incident/acme/cybereason/1, incident/acme/cybereason/2, …)", "Option tickets converted: 3"}, nil},
		{"open at month end, ja", "ja", stillOpen, "[xsoc] ACME: 2026-11 月次レポート",
			[]string{"月末時点で対応中: 12 (incident/acme/cybereason/1", "振り替えたオプションチケット: 3"}, nil},
		{"nothing open at month end, en", "en", perResponse, "[xsoc] ACME: monthly report 2026-11", nil,
			[]string{"Still open at month end", "converted"}},
		{"suppression rules, ja", "ja", tuned, "[xsoc] ACME: 2026-11 月次レポート",
			[]string{"抑止ルール別の抑止件数: 190 (R-1 150, R-2 40)", "30 日間該当のないルール（廃止の検討を）: R-3"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := Render(tc.language, KindReport, Brief{CustomerName: "ACME", Report: &tc.report}, "http://ui.test/ignored")
			if m.Subject != tc.subject {
				t.Errorf("subject = %q, want %q", m.Subject, tc.subject)
			}
			for _, channel := range map[string]string{"text": m.Text, "html": m.HTML, "slack": m.Slack} {
				if strings.Contains(channel, "ui.test") {
					t.Errorf("the report links to the SOC's Temporal UI:\n%s", channel)
				}
			}
			for _, want := range tc.says {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text does not say %q:\n%s", want, m.Text)
				}
			}
			for _, unwanted := range tc.never {
				if strings.Contains(m.Text, unwanted) {
					t.Errorf("text says %q:\n%s", unwanted, m.Text)
				}
			}
			if !strings.Contains(m.HTML, "2026-11") || !strings.Contains(m.Slack, "2026-11") {
				t.Errorf("the month is missing from HTML or Slack:\n%s\n%s", m.HTML, m.Slack)
			}
		})
	}
}

func TestMonthlyReportShowsItsPeriodInTheCustomersZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, tokyo)
	report := MonthReport{Month: "2026-11", Start: start, End: start.AddDate(0, 1, 0), Plan: PlanPerResponse}
	for language, want := range map[string]string{
		"ja": "対象期間: 2026-11-01 00:00 +09:00 – 2026-12-01 00:00 +09:00",
		"en": "Period: 2026-11-01 00:00 +09:00 – 2026-12-01 00:00 +09:00",
	} {
		m := Render(language, KindReport, Brief{CustomerName: "ACME", Report: &report}, "")
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, "2026-12-01 00:00") {
			t.Errorf("%s report does not say %q:\n%s", language, want, m.Text)
		}
	}
}
