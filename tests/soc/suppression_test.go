package soc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"xsoc/internal/devstack"
	"xsoc/workflows/api"
)

// An analyst adds a rule from the CLI, as from the Temporal UI; of 200 alerts, the
// 190 it matches are suppressed (their own incidents, searchable, counted) and the
// SOC is paged for the other 10.
func TestSuppressionRuleAddedFromTheCLIClosesWhatItMatchesAndPagesTheRest(t *testing.T) {
	t.Parallel()
	temporal, err := devstack.Tool("XSOC_TEMPORAL_BIN", "temporal")
	if err != nil {
		t.Fatal(err)
	}
	rule := map[string]any{"by": "hanako", "approved_by": "sato", "reason": "nightly IT inventory script",
		"expires": time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339),
		"match":   map[string]any{"detection": "Inventory scan*", "hosts": []string{"inv-*"}}}
	input, _ := json.Marshal(rule)
	// The CLI reads and writes payloads through the starter's codec server, as an
	// analyst's does (docs/security.md).
	out, err := exec.Command(temporal, "workflow", "update", "execute", "--address", xsoc.Dev.FrontendHostPort(),
		"--codec-endpoint", xsoc.StarterURL+"/v1/codec", "--codec-auth", "Bearer "+hanakoCodecToken,
		"--workflow-id", api.TuningWorkflowID("umbrella"), "--name", api.UpdateAddRule, "--input", string(input)).CombinedOutput()
	if err != nil {
		t.Fatalf("temporal workflow update execute add_rule: %v\n%s", err, out)
	}
	// The rule is pending until a second, proven person approves it (approval_test.go
	// shows it suppressing nothing before).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := devstack.ApproveRule(ctx, xsoc.Temporal, "umbrella", "R-1", "sato"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)

	var alerts []map[string]any
	for i := range 190 {
		alerts = append(alerts, alert(fmt.Sprintf("inv-%d", i), "Inventory scan (WMI)", "high", fmt.Sprintf("inv-%d", i)))
	}
	for i := range 10 {
		alerts = append(alerts, alert(fmt.Sprintf("real-%d", i), fmt.Sprintf("Odd behaviour %d", i), "high", fmt.Sprintf("um-pc-%d", i)))
	}
	postAll(t, "umbrella", alerts, 20)

	eventually(t, 180*time.Second, "190 suppressed incidents in visibility", func() error {
		if n := count(t, `WorkflowType="Incident" AND XsocCustomer="umbrella" AND XsocState="suppressed" AND XsocRule="R-1"`); n != 190 {
			return fmt.Errorf("%d suppressed", n)
		}
		return nil
	})
	eventually(t, 60*time.Second, "the rule counts 190 hits", func() error {
		value, err := xsoc.Temporal.QueryWorkflow(context.Background(), api.TuningWorkflowID("umbrella"), "", api.QueryRules)
		if err != nil {
			return err
		}
		var rules []api.Rule
		if err := value.Get(&rules); err != nil {
			return err
		}
		if len(rules) != 1 || rules[0].Hits != 190 || rules[0].State != api.RuleActive {
			return fmt.Errorf("rules: %+v", rules)
		}
		return nil
	})
	eventually(t, 60*time.Second, "the SOC paged for the 10 others", func() error {
		if n := len(mailsAbout(t, "soc-triage@xsoc.example", "Umbrella")); n != 10 {
			return fmt.Errorf("%d SOC pages", n)
		}
		return nil
	})
	time.Sleep(2 * time.Second)
	if n := len(mailsAbout(t, "soc-triage@xsoc.example", "Umbrella")); n != 10 {
		t.Errorf("%d SOC pages, want 10", n)
	}
	if n := len(mails(t, "to:it@umbrella.example")) + len(mails(t, "to:csirt@umbrella.example")); n != 0 {
		t.Errorf("the customer heard %d times of suppressed or unconfirmed alerts", n)
	}

	month := time.Now().UTC().Format("2006-01")
	eventually(t, 30*time.Second, "the month's report counts the suppressed alerts", func() error {
		req, _ := http.NewRequest(http.MethodGet, xsoc.StarterURL+"/v1/reports/umbrella?month="+month, nil)
		req.Header.Set("Authorization", "Bearer "+webhookSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var report api.Report
		if err := json.NewDecoder(resp.Body).Decode(&report); err != nil {
			return err
		}
		if report.NotBillable < 190 || report.Incidents < 190 || report.ByRule["R-1"] != 190 {
			return fmt.Errorf("report: incidents %d, not billable %d, by rule %v", report.Incidents, report.NotBillable, report.ByRule)
		}
		return nil
	})
}
