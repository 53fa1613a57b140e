package tests

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	cybereasonsim "xsoc/integrations/cybereason/sim"
	withsecuresim "xsoc/integrations/withsecure/sim"
	zscalersim "xsoc/integrations/zscaler/sim"
	"xsoc/workflows/api"
)

// The MalOp may be raised before the poller's first run (the tests start at once):
// the poller's first fetch looks back a day, so it is polled all the same.
func TestCybereasonMalOpIsPolledIsolatedAndReleasedAfterFalsePositive(t *testing.T) {
	t.Parallel()
	host := fmt.Sprintf("pc-cr-%d", time.Now().UnixNano()%100000)
	guid, err := xsoc.Cybereason.AddMalop(cybereasonsim.Malop{Name: "Ransomware behaviour", Severity: "High",
		Machines: []cybereasonsim.Machine{{Name: host}}, Users: []string{`ACME\jiro`}})
	if err != nil {
		t.Fatal(err)
	}
	// The machine's sensor tells its commands from those other tests send.
	malop, _ := xsoc.Cybereason.MalopState(guid)
	pylumID := malop.Machines[0].PylumID
	id := api.IncidentWorkflowID("acme", "cybereason", guid)
	eventually(t, 30*time.Second, "the polled MalOp contained", func() error {
		if !xsoc.Cybereason.IsIsolated(host) {
			return fmt.Errorf("%s not isolated", host)
		}
		return nil
	})
	waitState(t, id, api.StateContained)
	mustDecide(t, id, api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": "false_positive", "note": "backup software"})
	final := waitClosed(t, id)
	if xsoc.Cybereason.IsIsolated(host) || final.State != api.StateResolved {
		t.Fatalf("after false positive: isolated=%v state=%s", xsoc.Cybereason.IsIsolated(host), final.State)
	}
	var isolate, release int
	for _, call := range xsoc.Cybereason.Calls() {
		switch {
		case !strings.Contains(call.Body, pylumID):
		case strings.HasSuffix(call.Path, "/commands/isolate"):
			isolate++
		case strings.HasSuffix(call.Path, "/commands/un-isolate"):
			release++
		}
	}
	if isolate != 1 || release != 1 {
		t.Fatalf("Cybereason got %d isolate and %d un-isolate commands, want 1 each", isolate, release)
	}
	state, ok := xsoc.Cybereason.MalopState(guid)
	if !ok || len(state.Comments) == 0 || !strings.Contains(state.Comments[0].Message, "false_positive") {
		t.Fatalf("verdict not written back: %+v", state)
	}
}

func TestWithSecureIncidentPostedByWebhookIsIsolatedAndReleased(t *testing.T) {
	t.Parallel()
	n := time.Now().UnixNano() % 100000
	device, deviceID := fmt.Sprintf("ws-laptop-%d", n), fmt.Sprintf("6f1e4a2c-0000-4000-8000-%012d", n)
	id, body := pushWithSecureIncident(t, device, deviceID)
	waitState(t, id, api.StateContained)
	if !xsoc.WithSecure.IsIsolated(device) {
		t.Fatal("device not isolated")
	}
	code, _, _ := post(t, "/v1/alerts/withsecure/acme", body)
	if code != 200 {
		t.Fatalf("re-delivery answered %d", code)
	}
	mustDecide(t, id, api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": "false_positive"})
	waitClosed(t, id)
	if xsoc.WithSecure.IsIsolated(device) {
		t.Fatal("device still isolated after false positive")
	}
	var operations []string
	for _, call := range xsoc.WithSecure.Calls() {
		if call.Method == "POST" && strings.HasSuffix(call.Path, "/devices/v1/operations") && strings.Contains(call.Body, deviceID) {
			operations = append(operations, call.Body)
		}
	}
	if len(operations) != 2 || !strings.Contains(operations[0], "isolateFromNetwork") || !strings.Contains(operations[1], "releaseFromNetworkIsolation") {
		t.Fatalf("device operations: %v", operations)
	}
}

// pushWithSecureIncident raises an incident on one device at the WithSecure simulator
// and pushes it to intake as a forwarder would; it answers the incident's workflow id
// and the body pushed.
func pushWithSecureIncident(t *testing.T, device, deviceID string) (string, []byte) {
	t.Helper()
	incident, err := xsoc.WithSecure.AddIncident(withsecuresim.NewIncident{Name: "Suspicious PowerShell", Severity: "high",
		Devices: []withsecuresim.DeviceRef{{Name: device, ID: deviceID}}})
	if err != nil {
		t.Fatal(err)
	}
	// The Incidents API lists no devices; a forwarder pushing an incident adds them.
	var pushed map[string]any
	raw, _ := json.Marshal(incident)
	_ = json.Unmarshal(raw, &pushed)
	pushed["devices"] = []map[string]string{{"name": device, "id": deviceID}}
	body, _ := json.Marshal(map[string]any{"items": []any{pushed}})
	code, answer, _ := post(t, "/v1/alerts/withsecure/acme", body)
	if code != 202 {
		t.Fatalf("webhook: %d %s", code, answer)
	}
	id := decode[intakeAnswer](t, answer).Incidents[0].WorkflowID
	if id != api.IncidentWorkflowID("acme", "withsecure", incident.IncidentID) {
		t.Fatalf("workflow id %s", id)
	}
	return id, body
}

func TestZscalerThreatBlocksItsURL(t *testing.T) {
	t.Parallel()
	record := fmt.Sprintf("%d", time.Now().UnixNano())
	url := fmt.Sprintf("http://malware-%s.example/payload.exe", record[len(record)-6:])
	batch := xsoc.Zscaler.FeedBatch(
		zscalersim.Threat{RecordID: record, Host: "pc-zs-1", User: "taro@acme.example", URL: url, ThreatName: "Win32.Trojan.Emotet", Severity: "High"},
		zscalersim.Threat{RecordID: record + "1", Host: "pc-zs-2", User: "jiro@acme.example", URL: "https://www.example.com/"},
	)
	code, answer, _ := post(t, "/v1/alerts/zscaler/acme", batch)
	if code != 202 {
		t.Fatalf("NSS batch: %d %s", code, answer)
	}
	got := decode[intakeAnswer](t, answer)
	if len(got.Incidents) != 1 || got.Clean != 1 {
		t.Fatalf("want one incident and one clean event: %s", answer)
	}
	waitState(t, got.Incidents[0].WorkflowID, api.StateContained)
	blocked := strings.TrimPrefix(url, "http://")
	eventually(t, 10*time.Second, "the URL on the active denylist", func() error {
		for _, entry := range xsoc.Zscaler.Denylist() {
			if entry == blocked {
				return nil
			}
		}
		return fmt.Errorf("denylist %v", xsoc.Zscaler.Denylist())
	})
}
