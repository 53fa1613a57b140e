package soc

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

// TestRecordRedeliveryHistory records an incident that takes a later version of its
// alert while open (Severity raised, a host added) and then a verdict, into
// XSOC_RECORD_HISTORIES (the repository's workflows/ directory; the history goes to
// incident/testdata/histories as vN_later_version_redelivered, N the version of
// incident-round-2 it holds), for the replay test:
// the incident as it runs now (intake's Signal, the memo's fingerprint upserted under
// "incident-memo-fingerprint"). The same path recorded at 96affa7, before issue 22
// (intake's Update, no memo upsert), is v3_later_version_by_update_before_memo.json: it
// guards the incidents that took a later version before the change.
//
//	XSOC_RECORD_HISTORIES=$PWD/workflows go test -run TestRecordRedeliveryHistory ./tests/soc
func TestRecordRedeliveryHistory(t *testing.T) {
	dir := os.Getenv("XSOC_RECORD_HISTORIES")
	if dir == "" {
		t.Skip("set XSOC_RECORD_HISTORIES to record histories for the replay tests")
	}
	id := fmt.Sprintf("hist-ver-%d", time.Now().UnixNano()%1_000_000)
	host := "hist-ver-" + id[len(id)-4:]
	later := alert(id, "Suspicious service install", "critical", host)
	later["hosts"] = []map[string]string{{"name": host}, {"name": host + "-b"}}
	workflowID := postAlert(t, "hooli", alert(id, "Suspicious service install", "high", host))
	if a := postForAnswer(t, "hooli", later); len(a.incidents) != 1 || !a.incidents[0].Duplicate {
		t.Fatalf("the later version: %d %s", a.code, a.body)
	}
	eventually(t, 60*time.Second, "the incident took the later version", func() error {
		if s := status(t, workflowID); s.Deliveries != 2 {
			return fmt.Errorf("%d deliveries", s.Deliveries)
		}
		return nil
	})
	mustDecide(t, workflowID, api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": "false_positive", "note": "installer of the IT team"})
	waitClosed(t, workflowID)
	record(t, filepath.Join(dir, "incident"), workflowID, func(v devstack.Versions) string {
		return e2e.IncidentHistoryName(v, "later_version_redelivered")
	})
}
