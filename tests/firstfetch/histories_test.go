package firstfetch

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	cybereasonsim "xsoc/integrations/cybereason/sim"
	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

// TestRecordPollerHistory records a Cybereason poller mid-run — its first fetch of
// the seeded backlog and its notice, a MalOp delivered, a vendor outage told to the
// SOC and its end — for the replay test that guards running pollers against breaking
// changes. XSOC_RECORD_HISTORIES names the repository's workflows/ directory; the
// history goes to poller/testdata/histories, named outage_vN_first_fetch_vM by the
// versions of poller-outage and poller-first-fetch it holds (the files of earlier
// versions stay). Run it again after a deliberate, versioned change to the Poller:
//
//	XSOC_RECORD_HISTORIES=$PWD/workflows go test -run TestRecordPollerHistory ./tests/firstfetch
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
		_, err := e2e.Describe(t.Context(), xsoc.Temporal, api.IncidentWorkflowID("acme", "cybereason", guid), "")
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
	file, err := xsoc.RecordHistory(filepath.Join(dir, "poller", "testdata", "histories"), id, func(v devstack.Versions) string {
		return fmt.Sprintf("outage_v%d_first_fetch_v%d", v["poller-outage"], v["poller-first-fetch"])
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s", file)
}
