package soc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

// TestRecordHistories records the histories of round 2's and round 3's paths — the SOC
// tier before the customer's, suppression by a rule, an alert merged into an open
// incident, a cancel, an alert asking triage again when its parent was gone — as the
// incidents' latest version runs them (version 4 of incident-round-2: round 3's
// lifecycle; the files of versions 3, 2 and 1 stay for the incidents started by the
// versions before: the Account told by a local activity; triage by Update and the
// Account by an activity; triage by Signal) — and of the per-customer Triage and Tuning
// entities mid-run, for the replay tests that guard them against breaking changes.
// XSOC_RECORD_HISTORIES names the repository's workflows/ directory; each history goes
// to its workflow's testdata/histories, named by the versions it holds: vN_<path> for
// incidents (N of incident-round-2), vN_beside_incident_vM for Triage and Tuning (N of
// triage-round-3 or tuning-round-3, M the incidents'). Run it again after a deliberate,
// versioned change:
//
//	XSOC_RECORD_HISTORIES=$PWD/workflows go test -run TestRecordHistories ./tests/soc
func TestRecordHistories(t *testing.T) {
	dir := os.Getenv("XSOC_RECORD_HISTORIES")
	if dir == "" {
		t.Skip("set XSOC_RECORD_HISTORIES to record histories for the replay tests")
	}
	stamp := time.Now().UnixNano() % 1_000_000
	incidents := map[string]func() string{
		"soc_true_positive_customer_acknowledges": func() string {
			id := postAlert(t, "initech", alert(fmt.Sprintf("hist-tp-%d", stamp), "Credential dumping (mimikatz)", "high", fmt.Sprintf("hist-pc-%d", stamp)))
			mustDecide(t, id, api.DecisionAcknowledge, map[string]any{"by": "hanako"})
			mustDecide(t, id, api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": "true_positive", "note": "mimikatz confirmed"})
			var customerPage string
			eventually(t, 30*time.Second, "the customer paged", func() error {
				for _, page := range status(t, id).Paged {
					if page.Tier == api.TierCustomer {
						customerPage = page.Key
						return nil
					}
				}
				return fmt.Errorf("no customer page yet")
			})
			mustDecide(t, id, api.DecisionAcknowledge, map[string]any{"by": "it-oncall", "page": customerPage})
			mustDecide(t, id, api.DecisionClose, map[string]any{"by": "hanako", "note": "reimaged"})
			return id
		},
		"suppressed_by_rule": func() string {
			addRule(t, "hooli", map[string]any{"by": "hanako", "approved_by": "sato", "reason": "backup agent",
				"expires": time.Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339),
				"match":   map[string]any{"detection": fmt.Sprintf("Backup agent %d*", stamp)}})
			return postAlert(t, "hooli", alert(fmt.Sprintf("hist-sup-%d", stamp), fmt.Sprintf("Backup agent %d writes", stamp), "high", "bk-1"))
		},
		"merged_into_open_incident": func() string {
			host := fmt.Sprintf("hist-merge-%d", stamp)
			parent := postAlert(t, "hooli", alert(fmt.Sprintf("hist-m1-%d", stamp), "Suspicious PowerShell", "high", host))
			waitTriaged(t, parent)
			child := postAlert(t, "hooli", alert(fmt.Sprintf("hist-m2-%d", stamp), "Credential access", "high", host))
			eventually(t, 30*time.Second, "the second alert merged", func() error {
				if s := status(t, child).State; s != api.StateMerged {
					return fmt.Errorf("state %s", s)
				}
				return nil
			})
			// Merged means triage decided it and hands it over: the parent holds it a
			// moment later. A verdict before that would leave the alert out of it (the
			// alert would start again as an incident of its own).
			eventually(t, 30*time.Second, "the parent holds the second alert", func() error {
				if n := status(t, parent).JoinedCount; n < 1 {
					return fmt.Errorf("the parent holds %d joined alerts", n)
				}
				return nil
			})
			mustDecide(t, parent, api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": "false_positive", "note": "admin script"})
			waitClosed(t, parent)
			return child
		},
		"cancelled_by_an_operator": func() string {
			id := postAlert(t, "hooli", alert(fmt.Sprintf("hist-cancel-%d", stamp), "Odd service install", "high", fmt.Sprintf("hist-cx-%d", stamp)))
			waitTriaged(t, id)
			if err := xsoc.Temporal.CancelWorkflow(context.Background(), id, ""); err != nil {
				t.Fatal(err)
			}
			return id
		},
		"asked_again_when_its_parent_was_gone": func() string {
			host := fmt.Sprintf("hist-gone-%d", stamp)
			addRule(t, "hooli", map[string]any{"by": "hanako", "approved_by": "sato", "reason": "vulnerability scanner",
				"expires": time.Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339),
				"match":   map[string]any{"detection": fmt.Sprintf("Scanner %d*", stamp)}})
			owner := postAlert(t, "hooli", alert(fmt.Sprintf("hist-g1-%d", stamp), "Unusual logon", "high", host))
			waitTriaged(t, owner)
			// Terminated: it never tells triage; the next alert's join fails and it asks again.
			if err := xsoc.Temporal.TerminateWorkflow(context.Background(), owner, "", "recording"); err != nil {
				t.Fatal(err)
			}
			return postAlert(t, "hooli", alert(fmt.Sprintf("hist-g2-%d", stamp), fmt.Sprintf("Scanner %d probe", stamp), "high", host))
		},
	}
	// A worm's campaign (contained, taking hosts handed over in batches, its verdict
	// written back to its members) and one of the alerts handed to it.
	var handedOver string
	incidents["campaign_contained_took_handed_over_hosts"] = func() string {
		campaign, _, _, ids := worm(t, 3, 8)
		handedOver = ids[len(ids)-1]
		eventually(t, 60*time.Second, "the campaign takes every member", func() error {
			if n := status(t, campaign).JoinedCount; n < len(ids)-1 {
				return fmt.Errorf("%d members", n)
			}
			return nil
		})
		mustDecide(t, campaign, api.DecisionAcknowledge, map[string]any{"by": "hanako"})
		mustDecide(t, campaign, api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": "true_positive", "note": "worm confirmed"})
		mustDecide(t, campaign, api.DecisionClose, map[string]any{"by": "hanako", "note": "hosts reimaged"})
		return campaign
	}
	incidentVersion := 0
	for name, run := range incidents {
		id := run()
		waitClosed(t, id)
		record(t, filepath.Join(dir, "incident"), id, func(v devstack.Versions) string {
			incidentVersion = v["incident-round-2"]
			return e2e.IncidentHistoryName(v, name)
		})
	}
	waitClosed(t, handedOver)
	record(t, filepath.Join(dir, "incident"), handedOver, func(v devstack.Versions) string {
		return e2e.IncidentHistoryName(v, "handed_over_to_its_campaign")
	})
	entities := map[string]string{"triage": api.TriageWorkflowID("hooli"), "tuning": api.TuningWorkflowID("hooli")}
	for workflow, id := range entities {
		record(t, filepath.Join(dir, workflow), id, func(v devstack.Versions) string {
			name := fmt.Sprintf("v%d_beside_incident_v%d", v[workflow+"-round-3"], incidentVersion)
			if approvals := v["tuning-approvals"]; workflow == "tuning" && approvals > 0 {
				// The tuning replay test names files holding the approvals marker so.
				name = fmt.Sprintf("v%d_approvals_v%d_beside_incident_v%d", v["tuning-round-3"], approvals, incidentVersion)
			}
			return name
		})
	}
	// Soylent's Triage through its worm: admissions in batches, hand-overs.
	record(t, filepath.Join(dir, "triage"), api.TriageWorkflowID("soylent"), func(v devstack.Versions) string {
		return fmt.Sprintf("v%d_worm_beside_incident_v%d", v["triage-round-3"], incidentVersion)
	})
}

// record writes a history into a workflow package's testdata/histories.
func record(t *testing.T, pkg, id string, name func(devstack.Versions) string) {
	t.Helper()
	file, err := xsoc.RecordHistory(filepath.Join(pkg, "testdata", "histories"), id, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s", file)
}

func mustDecide(t *testing.T, id, name string, decision map[string]any) {
	t.Helper()
	if err := decide(t, id, name, decision); err != nil {
		t.Fatalf("%s on %s: %v", name, id, err)
	}
}

func addRule(t *testing.T, customer string, rule map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := devstack.AddApprovedRule(ctx, xsoc.Temporal, customer, rule, "sato"); err != nil {
		t.Fatal(err)
	}
}

func waitClosed(t *testing.T, id string) {
	t.Helper()
	eventually(t, 60*time.Second, id+" closed", func() error {
		description, err := e2e.Describe(context.Background(), xsoc.Temporal, id, "")
		if err != nil {
			return err
		}
		if description.GetWorkflowExecutionInfo().GetCloseTime() == nil {
			return fmt.Errorf("still running in state %s", status(t, id).State)
		}
		return nil
	})
}
