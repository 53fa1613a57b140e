package soc

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

// throughCodec runs the temporal CLI through the starter's codec server with an
// analyst's own token, as an analyst's CLI is set up.
func throughCodec(t *testing.T, token string, args ...string) (string, error) {
	t.Helper()
	temporal, err := devstack.Tool("XSOC_TEMPORAL_BIN", "temporal")
	if err != nil {
		t.Fatal(err)
	}
	args = append(args, "--address", xsoc.Dev.FrontendHostPort(), "--codec-endpoint", xsoc.StarterURL+"/v1/codec", "--codec-auth", "Bearer "+token)
	out, err := exec.Command(temporal, args...).CombinedOutput()
	return string(out), err
}

// approvalAlert is an alert of its own detection and indicator, so that no other
// test's campaign or open incident takes it.
func approvalAlert(id, detection, host string) map[string]any {
	a := alert(id, detection, "high", host)
	a["indicators"] = []map[string]string{{"type": "domain", "value": id + ".example"}}
	return a
}

// Two people for a rule, proven (issue 25): a rule hanako adds through the codec server
// with her token is pending, and a matching alert is not suppressed; hanako cannot
// approve her own rule; sato, with his own token, does, and the next matching alert is
// suppressed, its incident naming sato as the approver.
func TestARuleSuppressesOnlyOnceAnotherPersonApprovedIt(t *testing.T) {
	t.Parallel()
	// hooli: no test counts its pages (tiers_test counts initech's SOC pages).
	const customer = "hooli"
	run := time.Now().UnixNano()
	detection := fmt.Sprintf("Approval check %d", run)
	rule := fmt.Sprintf(`{"approved_by":"sato","reason":"approval e2e: known benign","expires":%q,"match":{"detection":%q}}`,
		time.Now().Add(7*24*time.Hour).UTC().Format(time.RFC3339), detection+"*")
	if out, err := throughCodec(t, hanakoCodecToken, "workflow", "update", "execute", "--workflow-id", api.TuningWorkflowID(customer),
		"--name", api.UpdateAddRule, "--input", rule); err != nil {
		t.Fatalf("hanako's add_rule: %v\n%s", err, out)
	}
	rules, err := e2e.Query[[]api.Rule](xsoc.Temporal, api.TuningWorkflowID(customer), api.QueryRules)
	if err != nil {
		t.Fatal(err)
	}
	var added api.Rule
	for _, r := range rules {
		if r.Match.Detection == detection+"*" {
			added = r
		}
	}
	if added.State != api.RulePending || added.By != "hanako" || added.ApprovedBy != "" {
		t.Fatalf("the rule after add_rule: %+v", added)
	}

	time.Sleep(5 * time.Second) // as long as an approved rule may take to apply
	unsuppressed := postAlert(t, customer, approvalAlert(fmt.Sprintf("approval-%d-a", run), detection+" (pending)", fmt.Sprintf("appr-a-%d", run)))
	eventually(t, 30*time.Second, "the alert triaged", func() error {
		if s := status(t, unsuppressed); s.State == api.StateNew {
			return fmt.Errorf("state %s", s.State)
		}
		return nil
	})
	if s := status(t, unsuppressed); s.State == api.StateSuppressed || s.Rule != nil {
		t.Fatalf("a pending rule suppressed %s: state %s, rule %+v", unsuppressed, s.State, s.Rule)
	}

	approve := fmt.Sprintf(`{"id":%q,"note":"checked"}`, added.ID)
	out, err := throughCodec(t, hanakoCodecToken, "workflow", "update", "execute", "--workflow-id", api.TuningWorkflowID(customer),
		"--name", api.UpdateApproveRule, "--input", approve)
	if err == nil || !strings.Contains(out, "hanako wrote rule "+added.ID+": another person approves it") {
		t.Fatalf("hanako approving her own rule answered (error %v):\n%s", err, out)
	}
	if out, err := throughCodec(t, satoCodecToken, "workflow", "update", "execute", "--workflow-id", api.TuningWorkflowID(customer),
		"--name", api.UpdateApproveRule, "--input", approve); err != nil {
		t.Fatalf("sato's approval: %v\n%s", err, out)
	}
	time.Sleep(5 * time.Second)
	approved := postAlert(t, customer, approvalAlert(fmt.Sprintf("approval-%d-b", run), detection+" (approved)", fmt.Sprintf("appr-b-%d", run)))
	waitClosed(t, approved)
	if s := status(t, approved); s.State != api.StateSuppressed || s.Rule == nil || s.Rule.ID != added.ID || s.Rule.ApprovedBy != "sato" {
		t.Fatalf("after sato's approval: state %s, rule %+v", s.State, s.Rule)
	}
	rules, err = e2e.Query[[]api.Rule](xsoc.Temporal, api.TuningWorkflowID(customer), api.QueryRules)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if r.ID != added.ID {
			continue
		}
		var history []string
		for _, c := range r.History {
			verified := "declared"
			if c.Verified != nil && *c.Verified {
				verified = "verified " + c.Via
			}
			history = append(history, c.What+" by "+c.By+" ("+verified+")")
		}
		if r.State != api.RuleActive || strings.Join(history, "; ") != "added by hanako (verified token); approved by sato (verified token)" {
			t.Fatalf("the rule: state %s, history %v", r.State, history)
		}
	}
	mustDecide(t, api.TuningWorkflowID(customer), api.UpdateRetireRule, map[string]any{"id": added.ID, "by": "hanako", "reason": "test over"})
	mustDecide(t, unsuppressed, api.DecisionClose, map[string]any{"by": "hanako", "note": "done"})
}
