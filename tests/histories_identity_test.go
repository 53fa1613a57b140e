package tests

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"xsoc/identity"
	"xsoc/internal/codec"
	"xsoc/internal/devstack"
	"xsoc/workflows/api"
)

// TestRecordRequestSignalHistories records a customer request taking its decisions as
// Signals — a decline in clear from the plain CLI (refused, noted), an accept stamped
// as hanako's, a done declared — for workflows/request's replay test: the path of
// request-proven-authors (files authors_vN_, N its version).
//
//	XSOC_RECORD_HISTORIES=$PWD/workflows go test -run TestRecordRequestSignalHistories ./tests
func TestRecordRequestSignalHistories(t *testing.T) {
	dir := os.Getenv("XSOC_RECORD_HISTORIES")
	if dir == "" {
		t.Skip("set XSOC_RECORD_HISTORIES to record histories for the replay tests")
	}
	request := postIsolateRequest(t, fmt.Sprintf("hist-sig-%d", time.Now().UnixNano()%1_000_000))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := temporalCLI(t, "workflow", "signal", "--workflow-id", request, "--name", api.DecisionDecline, "--input", `{"by":"mallory","reason":"x"}`); err != nil {
		t.Fatalf("a plain decline: %v\n%s", err, out)
	}
	accept, err := codec.Stamped(map[string]any{"note": "isolating"}, identity.Principal{Name: "hanako", Via: identity.ViaToken, At: time.Now().UTC(), ID: rand.Text()})
	if err != nil {
		t.Fatal(err)
	}
	if err := xsoc.Temporal.SignalWorkflow(ctx, request, "", api.DecisionAccept, accept); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the request accepted", func() error {
		var status api.RequestStatus
		value, err := xsoc.Temporal.QueryWorkflow(ctx, request, "", api.QueryStatus)
		if err == nil {
			err = value.Get(&status)
		}
		if err != nil || status.Accepted == nil {
			return fmt.Errorf("not accepted yet (%v)", err)
		}
		if !status.Accepted.Verified || status.Accepted.By != "hanako" {
			t.Fatalf("accepted %+v", status.Accepted)
		}
		return nil
	})
	if err := xsoc.Temporal.SignalWorkflow(ctx, request, "", api.DecisionDone, map[string]any{"by": "sato", "note": "isolated"}); err != nil {
		t.Fatal(err)
	}
	if err := xsoc.Temporal.GetWorkflow(ctx, request, "").Get(ctx, nil); err != nil {
		t.Fatalf("the request did not end: %v", err)
	}
	file, err := xsoc.RecordHistory(filepath.Join(dir, "request", "testdata", "histories"), request, func(v devstack.Versions) string {
		return fmt.Sprintf("authors_v%d_isolate_signalled", v["request-proven-authors"])
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s", file)
}
