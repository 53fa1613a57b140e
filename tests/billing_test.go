package tests

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"xsoc/workflows/api"
)

func TestTicketsConsumedFromAnIncidentShowInTheLedger(t *testing.T) {
	t.Parallel()
	id := postGeneric(t, "acme", fmt.Sprintf("tickets-%d", time.Now().UnixNano()), "high", "fs-tickets01")
	result := mustDecide(t, id, api.DecisionUseTickets, map[string]any{"by": "hanako", "service": "forensics", "tickets": 2})
	if !strings.Contains(result.Message, "23 left") {
		t.Fatalf("use_tickets: %+v", result)
	}
	_, err := decide(t, id, api.DecisionUseTickets, map[string]any{"by": "hanako", "service": "forensics", "tickets": 100})
	if err == nil || !strings.Contains(err.Error(), "balance 23") {
		t.Fatalf("beyond the balance: %v", err)
	}
	value, err := xsoc.Temporal.QueryWorkflow(context.Background(), api.AccountWorkflowID("acme"), "", api.QueryBalance)
	if err != nil {
		t.Fatal(err)
	}
	var balance api.Balance
	if err := value.Get(&balance); err != nil {
		t.Fatal(err)
	}
	if balance.Remaining != 23 || balance.Lots[0].Purchased != "2026-04-01" || balance.Lots[0].Used != 2 || balance.Lots[1].Used != 0 {
		t.Fatalf("balance: %+v", balance)
	}
	status := incidentStatus(t, id)
	if len(status.Tickets) != 1 || status.Tickets[0].By != "hanako" {
		t.Fatalf("incident's ticket record: %+v", status.Tickets)
	}
	mustDecide(t, id, api.DecisionClose, map[string]any{"by": "hanako", "note": "done"})
}

func TestMonthlyReportMatchesTheMonthsIncidents(t *testing.T) {
	t.Parallel()
	stamp := time.Now().UnixNano()
	tp := postGeneric(t, "globex", fmt.Sprintf("rep-tp-%d", stamp), "high", "gx-pc-1")
	fp := postGeneric(t, "globex", fmt.Sprintf("rep-fp-%d", stamp), "high", "gx-pc-2")
	noise := postGeneric(t, "globex", fmt.Sprintf("rep-noise-%d", stamp), "critical", "gx-pc-3")
	mustDecide(t, tp, api.DecisionVerdict, map[string]any{"by": "ann", "verdict": "true_positive"})
	mustDecide(t, tp, api.DecisionClose, map[string]any{"by": "ann", "note": "customer reimaged"})
	mustDecide(t, fp, api.DecisionVerdict, map[string]any{"by": "ann", "verdict": "false_positive"})
	mustDecide(t, noise, api.DecisionClose, map[string]any{"by": "ann", "note": "duplicate of " + tp})
	for _, id := range []string{tp, fp, noise} {
		waitClosed(t, id)
	}
	month := time.Now().UTC().Format("2006-01")
	var report api.Report
	eventually(t, 20*time.Second, "the three incidents in the report", func() error {
		req, _ := http.NewRequest(http.MethodGet, xsoc.StarterURL+"/v1/reports/globex?month="+month, nil)
		req.Header.Set("Authorization", "Bearer "+webhookSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return fmt.Errorf("%d %s", resp.StatusCode, data)
		}
		report = decode[api.Report](t, data)
		if report.Incidents < 3 {
			return fmt.Errorf("%d incidents so far", report.Incidents)
		}
		return nil
	})
	if report.Incidents != 3 || report.BillableResponses != 2 || report.NotBillable != 1 ||
		report.BySeverity["high"] != 2 || report.BySeverity["critical"] != 1 ||
		report.ByVerdict["true_positive"] != 1 || report.ByVerdict["false_positive"] != 1 || report.ByVerdict["none"] != 1 {
		t.Fatalf("report: %+v", report)
	}

	req, _ := http.NewRequest(http.MethodGet, xsoc.StarterURL+"/v1/reports/globex?month="+month, nil)
	req.Header.Set("Authorization", "Bearer "+webhookSecret)
	req.Header.Set("Accept", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("CSV: %v %s", err, resp.Header.Get("Content-Type"))
	}
	found := false
	for _, row := range rows {
		if row[0] == "incidents" && row[1] == "billable_responses" && row[2] == "2" {
			found = true
		}
	}
	if !found {
		t.Fatalf("CSV lacks billable_responses 2: %v", rows)
	}

	unauthorized, _ := http.Get(xsoc.StarterURL + "/v1/reports/globex?month=" + month)
	unauthorized.Body.Close()
	if unauthorized.StatusCode != http.StatusUnauthorized {
		t.Fatalf("report without credentials: %d", unauthorized.StatusCode)
	}
}
