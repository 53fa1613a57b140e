package firstfetch

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	cybereasonsim "xsoc/integrations/cybereason/sim"
	"xsoc/workflows/api"
)

// recordedPoller names the poller history this recorder writes: the Poller as the
// workflow runs it now (poller_v1 was recorded before first fetch).
const recordedPoller = "poller_v2"

// TestRecordPollerHistory records a Cybereason poller mid-run — its first fetch of
// the seeded backlog and its notice, a MalOp delivered, a vendor outage told to the
// SOC and its end — for the replay test
// that guards running pollers against breaking changes. XSOC_RECORD_HISTORIES names
// the incidents' directory (workflows/testdata/histories); the poller goes beside it,
// in long-running/. Run it again after a deliberate, versioned change to the Poller:
//
//	XSOC_RECORD_HISTORIES=$PWD/workflows/testdata/histories go test -run TestRecordPollerHistory ./tests/firstfetch
func TestRecordPollerHistory(t *testing.T) {
	dir := os.Getenv("XSOC_RECORD_HISTORIES")
	if dir == "" {
		t.Skip("set XSOC_RECORD_HISTORIES to record a poller history for the replay tests")
	}
	id := api.PollerWorkflowID("acme", "cybereason")
	waitFirstFetch(t, id, time.Time{})
	guid, err := xsoc.Cybereason.AddMalop(cybereasonsim.Malop{Name: "recorded.exe", Machines: []cybereasonsim.Machine{{Name: "pc-recorded"}}})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the MalOp polled", func() error {
		_, err := xsoc.Temporal.DescribeWorkflowExecution(t.Context(), api.IncidentWorkflowID("acme", "cybereason", guid), "")
		return err
	})
	// The console refuses us once: an outage, told to the SOC, and its end.
	xsoc.Cybereason.FailNextWith("/rest/mmng/v2/malops", 403, 1, "", "Access denied")
	failed := time.Now()
	eventually(t, time.Minute, "the outage seen", func() error {
		status, err := pollerStatus(id)
		if err == nil && status.Outage == nil {
			err = fmt.Errorf("no outage yet")
		}
		return err
	})
	waitPolled(t, id, failed)
	if err := xsoc.WriteHistory(filepath.Join(dir, "..", "long-running", recordedPoller+".json"), id); err != nil {
		t.Fatal(err)
	}
}
