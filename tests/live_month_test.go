package tests

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"xsoc/internal/devstack"
	"xsoc/workflows/api"
)

// report reads a customer's report of a month as the billing system does.
func report(t *testing.T, customer, month string) (api.Report, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, xsoc.StarterURL+"/v1/reports/"+customer+"?month="+month, nil)
	req.Header.Set("Authorization", "Bearer "+webhookSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return api.Report{}, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return api.Report{}, fmt.Errorf("%d %s", resp.StatusCode, data)
	}
	return decode[api.Report](t, data), nil
}

// convertTickets sends the convert_tickets Update to a customer's Account.
func convertTickets(customer string, conversion map[string]any) (api.Conversion, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	handle, err := xsoc.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: api.AccountWorkflowID(customer),
		UpdateName: api.UpdateConvertTickets, Args: []any{conversion}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return api.Conversion{}, err
	}
	var c api.Conversion
	return c, handle.Get(ctx, &c)
}

// TestTheMonthCountsAnOpenIncidentAndConvertsTickets (issue 26) on the real stack: an
// incident still open is in the month's report from its first minute — in the figures,
// in its Severity's row, and among the incidents open at the month's end — and leaves
// that list when it closes; unused tickets are converted, and a conversion beyond the
// lot's balance is refused naming the lot.
func TestTheMonthCountsAnOpenIncidentAndConvertsTickets(t *testing.T) {
	t.Parallel()
	id := postGeneric(t, "initrode", fmt.Sprintf("live-%d", time.Now().UnixNano()), "critical", "ini-pc-1")
	first, err := report(t, "initrode", time.Now().UTC().Format("2006-01"))
	if err != nil {
		t.Fatal(err)
	}
	zone, err := time.LoadLocation(first.Timezone)
	if err != nil {
		t.Fatal(err)
	}
	month := time.Now().In(zone).Format("2006-01")
	var r api.Report
	eventually(t, 20*time.Second, "the open incident in the month's report", func() error {
		if r, err = report(t, "initrode", month); err != nil {
			return err
		}
		if !slices.ContainsFunc(r.OpenAtEnd, func(o api.OpenAtEnd) bool { return o.Incident == id }) {
			return fmt.Errorf("%s not among the open incidents %+v", id, r.OpenAtEnd)
		}
		return nil
	})
	if r.Figures.Funnel.AlertsIn < 1 || r.Figures.BySeverity["critical"].AlertsIn < 1 || r.Incidents < 1 {
		t.Errorf("the open incident is not counted: incidents %d, funnel %+v, by severity %+v", r.Incidents, r.Figures.Funnel, r.Figures.BySeverity)
	}

	_, err = convertTickets("initrode", map[string]any{"lot": "2026-10-01", "count": 9, "to": "training", "by": "sato"})
	if err == nil || !strings.Contains(err.Error(), "lot 2026-10-01 has 5 ticket(s) to convert, asked 9") {
		t.Errorf("converting more than the lot has: %v", err)
	}
	c, err := convertTickets("initrode", map[string]any{"lot": "2026-10-01", "count": 2, "to": "training", "by": "sato", "note": "phishing course"})
	if err != nil || c.Tickets != 2 || c.To != "training" || c.Lot != "2026-10-01" {
		t.Fatalf("converting 2 tickets: %+v %v", c, err)
	}

	mustDecide(t, id, api.DecisionClose, map[string]any{"by": "ann", "note": "test alert"})
	waitClosed(t, id)
	eventually(t, 20*time.Second, "the closed incident leaving the open list", func() error {
		if r, err = report(t, "initrode", month); err != nil {
			return err
		}
		if slices.ContainsFunc(r.OpenAtEnd, func(o api.OpenAtEnd) bool { return o.Incident == id }) {
			return fmt.Errorf("%s still listed as open", id)
		}
		return nil
	})
	if r.TicketsConverted != 2 || len(r.Conversions) != 1 || r.Conversions[0].By != "sato" {
		t.Errorf("conversions in the report: %d %+v", r.TicketsConverted, r.Conversions)
	}
	if len(r.Lots) != 1 || r.Lots[0].Converted != 2 || r.Lots[0].Remaining != 3 {
		t.Errorf("the lot after the conversion: %+v", r.Lots)
	}
}

// TestRecordLiveAccountHistory records initrode's Account as it counts live (an incident
// told its moments by Update and concluded, tickets converted) for the Account's replay
// test: notice_retry_vN_live_vM_<path> (the file without "by_update" holds the moments
// by signal, as incidents before version 7 told them). Run it alone (the conversion
// changes initrode's balance, which TestTheMonthCountsAnOpenIncidentAndConvertsTickets
// checks):
//
//	XSOC_RECORD_HISTORIES=$PWD/workflows go test -run TestRecordLiveAccountHistory ./tests
func TestRecordLiveAccountHistory(t *testing.T) {
	dir := os.Getenv("XSOC_RECORD_HISTORIES")
	if dir == "" {
		t.Skip("set XSOC_RECORD_HISTORIES to record the Account's history for the replay test")
	}
	id := postGeneric(t, "initrode", fmt.Sprintf("hist-live-%d", time.Now().UnixNano()), "critical", "ini-hist-1")
	mustDecide(t, id, api.DecisionAcknowledge, map[string]any{"by": "ann"})
	mustDecide(t, id, api.DecisionVerdict, map[string]any{"by": "ann", "verdict": "true_positive"})
	mustDecide(t, id, api.DecisionClose, map[string]any{"by": "ann", "note": "reimaged"})
	waitClosed(t, id)
	if _, err := convertTickets("initrode", map[string]any{"lot": "2026-10-01", "count": 1, "to": "training", "by": "sato"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the account counting the incident", func() error {
		r, err := report(t, "initrode", time.Now().UTC().Format("2006-01"))
		if err == nil && r.BillableResponses < 1 {
			err = fmt.Errorf("not concluded yet")
		}
		return err
	})
	file, err := xsoc.RecordHistory(filepath.Join(dir, "account", "testdata", "histories"), api.AccountWorkflowID("initrode"),
		func(v devstack.Versions) string {
			return fmt.Sprintf("notice_retry_v%d_live_v%d_incident_told_by_update_tickets_converted", v["account-notice-retry"], v["account-live-figures"])
		})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s", file)
}
