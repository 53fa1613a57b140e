package tests

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

func genericAlert(id, severity, host string) []byte {
	return []byte(fmt.Sprintf(`{"id": %q, "detection": "Credential dumping (mimikatz) %s", "severity": %q,
		"observed_at": "2026-11-27T03:12:00Z", "hosts": [{"name": %q, "ip": "10.1.2.3"}], "users": ["ACME\\taro"],
		"indicators": [{"type": "domain", "value": "evil.example"}], "description": "e2e"}`, id, id, severity, host))
}

func TestGenericAlertStartsOneIncidentThatPagesAndIsAcknowledged(t *testing.T) {
	t.Parallel()
	id := fmt.Sprintf("edr-%d", time.Now().UnixNano())
	code, body, _ := post(t, "/v1/alerts/generic/acme", genericAlert(id, "high", "fs-files01"))
	if code != http.StatusAccepted {
		t.Fatalf("first delivery: %d %s", code, body)
	}
	first := decode[intakeAnswer](t, body)
	wantID := api.IncidentWorkflowID("acme", "generic", id)
	if len(first.Incidents) != 1 || first.Incidents[0].WorkflowID != wantID || first.Incidents[0].Duplicate {
		t.Fatalf("first answer: %s", body)
	}

	code, body, _ = post(t, "/v1/alerts/generic/acme", genericAlert(id, "high", "fs-files01"))
	again := decode[intakeAnswer](t, body)
	if code != http.StatusOK || !again.Incidents[0].Duplicate || again.Incidents[0].WorkflowID != wantID || again.Incidents[0].RunID != first.Incidents[0].RunID {
		t.Fatalf("re-delivery: %d %s", code, body)
	}

	attributes := searchAttributes(t, wantID)
	for name, want := range map[string]string{"XsocCustomer": "acme", "XsocVendor": "generic", "XsocHost": "fs-files01", "XsocSeverity": "high", "XsocSeverityRank": "3"} {
		if attributes[name] != want {
			t.Errorf("%s = %q, want %q", name, attributes[name], want)
		}
	}
	waitMail(t, "it-ml@acme.example", "[xsoc][HIGH] ACME Manufacturing: Credential dumping (mimikatz) "+id+" on fs-files01")

	if _, err := decide(t, wantID, api.DecisionAcknowledge, map[string]any{"by": "hanako"}); err != nil {
		t.Fatalf("acknowledge: %v", err)
	}
	status := incidentStatus(t, wantID)
	if status.Acknowledged == nil || status.Acknowledged.By != "hanako" || status.Deliveries != 2 {
		t.Fatalf("status after acknowledge: %+v", status)
	}
	if _, err := decide(t, wantID, api.DecisionAcknowledge, map[string]any{"by": "taro"}); err == nil || !strings.Contains(err.Error(), "already acknowledged by hanako") {
		t.Fatalf("second acknowledge: %v", err)
	}
	if _, err := decide(t, wantID, api.DecisionClose, map[string]any{"by": "hanako", "note": "test"}); err != nil {
		t.Fatal(err)
	}
	if err := xsoc.Temporal.GetWorkflow(context.Background(), wantID, "").Get(context.Background(), nil); err != nil {
		t.Fatalf("incident did not end cleanly: %v", err)
	}
	code, body, _ = post(t, "/v1/alerts/generic/acme", genericAlert(id, "high", "fs-files01"))
	closedAgain := decode[intakeAnswer](t, body)
	if code != http.StatusOK || !closedAgain.Incidents[0].Duplicate || closedAgain.Incidents[0].RunID != first.Incidents[0].RunID {
		t.Fatalf("re-delivery after close must not reopen: %d %s", code, body)
	}

	recurrence := bytes.Replace(genericAlert(id, "high", "fs-files01"), []byte("2026-11-27T03:12:00Z"), []byte("2026-11-28T09:00:00Z"), 1)
	code, body, _ = post(t, "/v1/alerts/generic/acme", recurrence)
	again2 := decode[intakeAnswer](t, body)
	if code != http.StatusAccepted || again2.Incidents[0].Duplicate || again2.Incidents[0].RunID == first.Incidents[0].RunID {
		t.Fatalf("a recurrence after close starts a new run: %d %s", code, body)
	}
	if linked := incidentStatus(t, wantID); linked.PreviousRunID != first.Incidents[0].RunID {
		t.Fatalf("the new run is not linked to the old: %q", linked.PreviousRunID)
	}
	mustDecide(t, wantID, api.DecisionClose, map[string]any{"by": "hanako", "note": "recurrence handled"})
}

func TestIntakeRefusesBadRequestsAndStartsNothing(t *testing.T) {
	t.Parallel()
	valid := genericAlert("refused-1", "high", "pc-1")
	mac := hmac.New(sha256.New, []byte(webhookSecret))
	mac.Write(valid)
	signature := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	cases := []struct {
		name    string
		path    string
		body    []byte
		headers map[string]string
		code    int
		message string
	}{
		{"malformed JSON", "/v1/alerts/generic/acme", []byte(`{"id":`), bearer(), 400, "not a normalized alert"},
		{"missing fields", "/v1/alerts/generic/acme", []byte(`{"id":"x1"}`), bearer(), 400, "detection is required"},
		{"unknown severity", "/v1/alerts/generic/acme", genericAlert("x2", "urgent", "pc-1"), bearer(), 400, `severity "urgent"`},
		{"no credentials", "/v1/alerts/generic/acme", valid, nil, 401, "missing credentials"},
		{"wrong bearer", "/v1/alerts/generic/acme", valid, map[string]string{"Authorization": "Bearer nope"}, 401, "bad bearer"},
		{"wrong signature", "/v1/alerts/generic/acme", valid, map[string]string{"X-Xsoc-Signature": "sha256=00"}, 401, "bad X-Xsoc-Signature"},
		// An unknown customer is answered as a wrong secret: nothing tells which exist.
		{"unknown customer", "/v1/alerts/generic/nobody", valid, bearer(), 401, "bad bearer secret"},
		{"signed ten minutes ago", "/v1/alerts/generic/acme", valid, signedAt(valid, "/v1/alerts/generic/acme", time.Now().Add(-10*time.Minute)), 401, "more than 5m0s"},
		{"unknown vendor", "/v1/alerts/crowdstrike/acme", valid, bearer(), 404, `unknown vendor "crowdstrike"`},
		{"vendor not configured", "/v1/alerts/zscaler/globex", valid, bearer(), 404, "no zscaler platform"},
		{"too large", "/v1/alerts/generic/acme", bytes.Repeat([]byte(" "), 1<<20+1), bearer(), 413, "body over"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := postWith(t, tc.path, tc.body, tc.headers)
			if code != tc.code || !strings.Contains(decode[intakeAnswer](t, body).Error, tc.message) {
				t.Fatalf("got %d %s, want %d with %q", code, body, tc.code, tc.message)
			}
		})
	}
	code, body, _ := postWith(t, "/v1/alerts/generic/acme", valid, map[string]string{"X-Xsoc-Signature": signature})
	if code != http.StatusAccepted {
		t.Fatalf("HMAC-signed alert: %d %s", code, body)
	}
	timestamped := genericAlert("refused-2", "high", "pc-1")
	code, body, _ = postWith(t, "/v1/alerts/generic/acme", timestamped, signedAt(timestamped, "/v1/alerts/generic/acme", time.Now()))
	if code != http.StatusAccepted {
		t.Fatalf("HMAC-signed alert with a timestamp: %d %s", code, body)
	}
	for _, id := range []string{"x1", "x2"} {
		if _, err := e2e.Describe(context.Background(), xsoc.Temporal, api.IncidentWorkflowID("acme", "generic", id), ""); err == nil {
			t.Errorf("a refused alert %s started an incident", id)
		}
	}
}

func bearer() map[string]string { return map[string]string{"Authorization": "Bearer " + webhookSecret} }

// signedAt signs a POST of body to path at the time given, as a sender that sets
// X-Xsoc-Timestamp does (docs/security.md: Who may talk to xsoc).
func signedAt(body []byte, path string, at time.Time) map[string]string {
	stamp := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(webhookSecret))
	_, _ = fmt.Fprintf(mac, "%s.POST %s\n", stamp, path) // a hash never fails a write
	mac.Write(body)
	return map[string]string{"X-Xsoc-Timestamp": stamp, "X-Xsoc-Signature": "sha256=" + hex.EncodeToString(mac.Sum(nil))}
}

func TestIntakeAnswers503WhenTemporalIsUnreachable(t *testing.T) {
	t.Parallel()
	address := devstack.FreeAddress()
	// Syslog off: the stack's starter holds its ports.
	env := append(append([]string{}, xsoc.Env...), "TEMPORAL_ADDRESS="+devstack.FreeAddress(), "XSOC_LISTEN="+address,
		"XSOC_SYSLOG_TCP=", "XSOC_SYSLOG_UDP=")
	cmd := exec.Command(filepath.Join(xsoc.Bin, "starter"))
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	url := "http://" + address + "/v1/alerts/generic/acme"
	var resp *http.Response
	eventually(t, 10*time.Second, "starter listening", func() error {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(genericAlert("down-1", "high", "pc-1")))
		req.Header.Set("Authorization", "Bearer "+webhookSecret)
		var err error
		resp, err = http.DefaultClient.Do(req)
		return err
	})
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("got %d with Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestInvalidCustomersFileStartsNothing(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "customers.yaml")
	err := os.WriteFile(bad, []byte(`customers:
  - id: acme
    services: [detect, protect]
    webhook_secret_env: NOT_SET_ANYWHERE
    response: {policy: yolo}
    platforms: [{vendor: sentinelone, url: "https://x"}]
    sla: {urgent: {ack: 5m}}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	for _, binary := range []string{"worker", "starter"} {
		cmd := exec.Command(filepath.Join(xsoc.Bin, binary))
		cmd.Env = append(append([]string{}, xsoc.Env...), "XSOC_CUSTOMERS_FILE="+bad, "XSOC_LISTEN="+devstack.FreeAddress())
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("%s started on an invalid customers file", binary)
		}
		for _, want := range []string{`customer "acme": services: "protect"`, "NOT_SET_ANYWHERE is not set", `"yolo"`, `unknown vendor "sentinelone"`, `sla.urgent`} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%s output lacks %q:\n%s", binary, want, out)
			}
		}
	}
}
