package server

import (
	"encoding/csv"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"xsoc/workflows/api"
)

func TestReportCSVShowsActiveIDsBesideTheContract(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		report api.Report
		want   [][]string // rows that must be there
		absent []string   // sections that must not
	}{
		{"per_id with a count", api.Report{Customer: "acme", Month: "2026-11", Plan: "per_id", ContractedIDs: 200,
			ActiveIDs: map[string]int{"withsecure": 30, "cybereason": 180}, ActiveTotal: 210},
			[][]string{{"report", "contracted_ids", "200"}, {"active_ids", "cybereason", "180"}, {"active_ids", "withsecure", "30"}, {"active_ids", "total", "210"}},
			nil},
		{"per_response", api.Report{Customer: "acme", Month: "2026-11", Plan: "per_response", BillableResponses: 3},
			[][]string{{"incidents", "billable_responses", "3"}}, []string{"active_ids"}},
		{"times in the customer's zone", api.Report{Customer: "acme", Month: "2026-11", Timezone: "Asia/Tokyo",
			Start: time.Date(2026, 11, 1, 0, 0, 0, 0, tokyo), End: time.Date(2026, 12, 1, 0, 0, 0, 0, tokyo),
			Consumptions: []api.Consumption{{At: time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC), Incident: "incident/acme/generic/1",
				Service: "forensics", Tickets: 2, By: "hanako"}}},
			[][]string{{"report", "timezone", "Asia/Tokyo"}, {"report", "start", "2026-11-01T00:00:00+09:00"}, {"report", "end", "2026-12-01T00:00:00+09:00"},
				{"consumption", "2026-11-30T23:00:00+09:00 incident/acme/generic/1 forensics by hanako", "2"}}, nil},
		{"with customer requests", api.Report{Customer: "acme", Month: "2026-11", Plan: "per_response",
			Requests: map[string]map[string]int{"isolate": {"done": 2, "declined": 1}}, RequestsAck: map[string]int{"met": 3}},
			[][]string{{"requests", "isolate.declined", "1"}, {"requests", "isolate.done", "2"}, {"requests_ack", "met", "3"}}, nil},
		{"the month's figures and what stayed open", api.Report{Customer: "acme", Month: "2026-11", Timezone: "Asia/Tokyo",
			Figures: api.MonthPerformance{Funnel: api.Funnel{AlertsIn: 3}, Durations: map[string]api.Quantiles{api.DurationAck: {Count: 2, MedianSeconds: 300, P90Seconds: 540}},
				Breaches:   []api.Breach{{Incident: "incident/acme/generic/2", Clock: api.ClockAck, Severity: "high", At: time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)}},
				BySeverity: map[string]api.SeverityPerformance{"high": {AlertsIn: 2, BreachesByClock: map[string]int{api.ClockAck: 1}}}},
			OpenAtEndCount: 1, OpenAtEnd: []api.OpenAtEnd{{Incident: "incident/acme/generic/2", Severity: "high", OpenedAt: time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)}},
			TicketsConverted: 2, Conversions: []api.Conversion{{At: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC), Lot: "2026-04-01", To: "training", By: "sato", Tickets: 2}}},
			[][]string{{"funnel", "alerts_in", "3"}, {"duration", "ack.median_seconds", "300"}, {"duration", "ack.count", "2"},
				{"breach", "incident/acme/generic/2 ack (high)", "2026-12-01T00:00:00+09:00"}, {"by_severity", "high.alerts_in", "2"}, {"by_severity", "high.breached.ack", "1"},
				{"open_at_end", "total", "1"}, {"open_at_end", "incident/acme/generic/2 (high, opened 2026-11-30T23:00:00+09:00)", "still open"},
				{"tickets", "converted", "2"}, {"conversion", "2026-11-03T09:00:00+09:00 lot 2026-04-01 to training by sato", "2"}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeReportCSV(rec, tc.report)
			rows, err := csv.NewReader(rec.Body).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.want {
				if !slices.ContainsFunc(rows, func(row []string) bool { return slices.Equal(row, want) }) {
					t.Errorf("no row %v in %v", want, rows)
				}
			}
			for _, section := range tc.absent {
				if slices.ContainsFunc(rows, func(row []string) bool { return row[0] == section }) {
					t.Errorf("section %s in %v", section, rows)
				}
			}
			active := slices.IndexFunc(rows, func(row []string) bool { return row[0] == "active_ids" })
			contracted := slices.IndexFunc(rows, func(row []string) bool { return row[1] == "contracted_ids" })
			if active >= 0 && active != contracted+1 {
				t.Errorf("active IDs (row %d) do not follow the contracted IDs (row %d)", active, contracted)
			}
		})
	}
}
