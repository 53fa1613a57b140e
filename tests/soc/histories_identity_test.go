package soc

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"xsoc/identity"
	"xsoc/internal/codec"
	"xsoc/internal/devstack"
	"xsoc/workflows/api"
)

// TestRecordIdentityHistories records the paths of decisions by proven people (issue
// 25) for the replay tests: an incident taking decision Signals — one in clear from
// the plain CLI (refused, noted), one stamped, one declared — (vN_proven_authors_signals,
// N of incident-round-2, holding incident-proven-authors), and wayne's Tuning with a
// rule added pending, refused, approved by a second stamped person and retired
// (vN_approvals_vM_, N of tuning-round-3, M of tuning-approvals). Like
// TestRecordHistories it writes into XSOC_RECORD_HISTORIES (the repository's
// workflows/ directory):
//
//	XSOC_RECORD_HISTORIES=$PWD/workflows go test -run TestRecordIdentityHistories ./tests/soc
func TestRecordIdentityHistories(t *testing.T) {
	dir := os.Getenv("XSOC_RECORD_HISTORIES")
	if dir == "" {
		t.Skip("set XSOC_RECORD_HISTORIES to record histories for the replay tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stamped := func(name string, value any) any {
		t.Helper()
		raw, err := codec.Stamped(value, identity.Principal{Name: name, Via: identity.ViaToken, At: time.Now().UTC(), ID: rand.Text()})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}

	run := time.Now().UnixNano() % 1_000_000
	id := postAlert(t, "hooli", alert(fmt.Sprintf("hist-authors-%d", run), "Odd scheduled task", "high", fmt.Sprintf("hist-au-%d", run)))
	waitTriaged(t, id)
	temporal, err := devstack.Tool("XSOC_TEMPORAL_BIN", "temporal")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(temporal, "workflow", "signal", "--address", xsoc.Dev.FrontendHostPort(), "--workflow-id", id,
		"--name", api.DecisionClose, "--input", `{"by":"mallory","note":"x"}`).CombinedOutput(); err != nil {
		t.Fatalf("a plain close: %v\n%s", err, out)
	}
	if err := xsoc.Temporal.SignalWorkflow(ctx, id, "", api.DecisionComment, stamped("hanako", map[string]any{"note": "looking"})); err != nil {
		t.Fatal(err)
	}
	if err := xsoc.Temporal.SignalWorkflow(ctx, id, "", api.DecisionAcknowledge, map[string]any{"by": "sato"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the three signals taken", func() error {
		kinds := map[string]int{}
		for _, e := range status(t, id).Timeline {
			kinds[e.Kind]++
		}
		if kinds["refused"] != 1 || kinds["comment"] != 1 || kinds["acknowledged"] != 1 {
			return fmt.Errorf("timeline kinds %v", kinds)
		}
		return nil
	})
	mustDecide(t, id, api.DecisionClose, map[string]any{"by": "hanako", "note": "done"})
	waitClosed(t, id)
	record(t, filepath.Join(dir, "incident"), id, func(v devstack.Versions) string {
		return fmt.Sprintf("v%d_proven_authors_signals", v["incident-round-2"])
	})

	rule := map[string]any{"reason": "recorded approval", "expires": time.Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339),
		"match": map[string]any{"detection": fmt.Sprintf("Recorded approval %d*", run)}}
	ruleID, err := devstack.AddApprovedRule(ctx, xsoc.Temporal, "wayne", stamped("hanako", rule), "sato")
	if err != nil {
		t.Fatal(err)
	}
	if err := devstack.ApproveRule(ctx, xsoc.Temporal, "wayne", ruleID, "tanaka"); err == nil {
		t.Fatal("a second approval was taken")
	}
	mustDecide(t, api.TuningWorkflowID("wayne"), api.UpdateRetireRule, map[string]any{"id": ruleID, "by": "hanako", "reason": "recorded"})
	record(t, filepath.Join(dir, "tuning"), api.TuningWorkflowID("wayne"), func(v devstack.Versions) string {
		return fmt.Sprintf("v%d_approvals_v%d_pending_approved_retired", v["tuning-round-3"], v["tuning-approvals"])
	})
}
