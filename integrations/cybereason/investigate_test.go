package cybereason

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"xsoc/integrations"
	"xsoc/integrations/cybereason/sim"
)

const mimikatzSHA1 = "d1c6524f7c54b606aea4e7b4a1b292959bdc5bce"

func TestInvestigateEDRMalop(t *testing.T) {
	t.Parallel()
	c, console := newTestClient(t, nil)
	guid := addMalop(t, console, sim.Malop{
		Name: "mimikatz.exe", MalopType: "CREDENTIAL_THEFT",
		Machines: []sim.Machine{{Name: "osk-pc-17", IP: "10.1.2.3"}, {Name: "fs-01"}},
		Users:    []string{`ACME\taro`},
		Hashes:   []string{mimikatzSHA1},
		Processes: []sim.Process{
			{Name: "mimikatz.exe", PID: 4242, CommandLine: "mimikatz.exe sekurlsa::logonpasswords", SHA1: mimikatzSHA1, Machine: "osk-pc-17", User: `ACME\taro`},
			{Name: "powershell.exe", PID: 4100, MD5: "0123456789abcdef0123456789abcdef", Machine: "fs-01"},
		},
	})
	if _, err := c.Isolate(context.Background(), integrations.Host{Name: "fs-01"}); err != nil {
		t.Fatal(err)
	}

	f, err := c.Investigate(context.Background(), integrations.Alert{ID: guid})
	if err != nil {
		t.Fatalf("Investigate: %v", err)
	}
	if len(f.Hosts) != 2 || f.Hosts[0].Name != "osk-pc-17" || f.Hosts[0].IP != "10.1.2.3" || !strings.HasPrefix(f.Hosts[0].ID, "PYLUMCLIENT_") {
		t.Errorf("hosts = %+v, want both machines with the sensor's address and pylumId", f.Hosts)
	}
	if len(f.Users) != 1 || f.Users[0] != `ACME\taro` {
		t.Errorf("users = %v", f.Users)
	}
	wantProcesses := []string{
		"mimikatz.exe (pid 4242) on osk-pc-17 as ACME\\taro, sha1 " + mimikatzSHA1 + ", malware: mimikatz.exe sekurlsa::logonpasswords",
		"powershell.exe (pid 4100) on fs-01, malware",
	}
	if strings.Join(f.Processes, "\n") != strings.Join(wantProcesses, "\n") {
		t.Errorf("processes = %q, want %q", f.Processes, wantProcesses)
	}
	wantIndicators := []integrations.Indicator{{Type: "sha1", Value: mimikatzSHA1}, {Type: "md5", Value: "0123456789abcdef0123456789abcdef"}}
	if len(f.Indicators) != 2 || f.Indicators[0] != wantIndicators[0] || f.Indicators[1] != wantIndicators[1] {
		t.Errorf("indicators = %+v, want %+v", f.Indicators, wantIndicators)
	}
	for _, want := range []string{guid, "CREDENTIAL_THEFT: mimikatz.exe", "2 machines (osk-pc-17, fs-01)", "1 user", "UNREAD", "2 suspicious processes", "2 file hashes"} {
		if !strings.Contains(f.Summary, want) {
			t.Errorf("summary %q lacks %q", f.Summary, want)
		}
	}
	details := strings.Join(f.Details, "\n")
	for _, want := range []string{"fs-01: sensor Online, Windows_10, isolated", "osk-pc-17: sensor Online, Windows_10, not isolated, ip 10.1.2.3", "management status: UNREAD"} {
		if !strings.Contains(details, want) {
			t.Errorf("details lack %q:\n%s", want, details)
		}
	}
}

func TestInvestigateEndpointProtectionMalop(t *testing.T) {
	t.Parallel()
	c, console := newTestClient(t, nil)
	guid := addMalop(t, console, sim.Malop{Name: "nc.ps1", NonEDR: true, DetectionType: "Known malware detected by Cybereason Anti-Malware",
		Hashes: []string{"8a4ae7776f563a21e8056a167478e41a2baf12f9"}})
	f, err := c.Investigate(context.Background(), integrations.Alert{ID: guid})
	if err != nil {
		t.Fatalf("Investigate: %v", err)
	}
	if len(f.Processes) != 0 || len(f.Indicators) != 1 || len(f.Hosts) != 1 || f.Hosts[0].ID == "" {
		t.Errorf("findings = %+v", f)
	}
	if !strings.Contains(f.Summary, "Known malware detected by Cybereason Anti-Malware: nc.ps1") {
		t.Errorf("summary = %q", f.Summary)
	}
	if n := countCalls(console, http.MethodPost, "/rest/visualsearch/query/simple"); n != 0 {
		t.Errorf("process query sent %d times for a MalOp without EDR processes", n)
	}
}

func TestInvestigateUnknownMalop(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(t, nil)
	_, err := c.Investigate(context.Background(), integrations.Alert{ID: "AAAAnope"})
	if ve := vendorError(t, err); ve.StatusCode != http.StatusNotFound || ve.Retryable() || !strings.Contains(ve.Message, "AAAAnope") {
		t.Errorf("error = %+v", ve)
	}
	if _, err := c.Investigate(context.Background(), integrations.Alert{}); err == nil {
		t.Error("an alert without id was investigated")
	}
}

func TestProcessLineFromRecordedAnswer(t *testing.T) {
	t.Parallel()
	var answer elementsAnswer
	if err := json.Unmarshal(fixture(t, "malop_processes_raw_response.json"), &answer); err != nil {
		t.Fatal(err)
	}
	for key, raw := range answer.Data.ResultIDToElementDataMap {
		e, err := decodeElement(key, raw)
		if err != nil {
			t.Fatal(err)
		}
		want := "bdata.bin (pid 5180) on desktop, sha1 f56238da9fbfa3864d443a85bb80743bd2415682, av_detected"
		if got := processLine(e); got != want {
			t.Errorf("processLine = %q, want %q", got, want)
		}
	}
}

func TestWriteBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		verdict    string
		status     string // the console's management status afterwards
		malopState string
	}{
		{"true_positive", "CLOSED", "Remediated"},
		{"false_positive", "FP", "Closed"},
		{"benign_true_positive", "FP", "Closed"},
	}
	for _, tt := range tests {
		t.Run(tt.verdict, func(t *testing.T) {
			t.Parallel()
			c, console := newTestClient(t, nil)
			guid := addMalop(t, console, sim.Malop{})
			conclusion := integrations.Conclusion{AlertID: guid, Verdict: tt.verdict, By: "hanako", Note: "hash matches <mimikatz> & friends"}
			for range 2 { // a retried activity writes back twice
				if err := c.WriteBack(context.Background(), conclusion); err != nil {
					t.Fatalf("WriteBack: %v", err)
				}
			}
			state, _ := console.MalopState(guid)
			if state.ManagementStatus != tt.status || state.Status != tt.malopState {
				t.Errorf("console holds %s / %s, want %s / %s", state.ManagementStatus, state.Status, tt.status, tt.malopState)
			}
			if len(state.Comments) != 1 {
				t.Fatalf("comments = %+v, want exactly one", state.Comments)
			}
			want := "xsoc verdict: " + tt.verdict + " (by hanako): hash matches &lt;mimikatz&gt; &amp; friends"
			if state.Comments[0].Message != want {
				t.Errorf("comment = %q, want %q (as the console stores it)", state.Comments[0].Message, want)
			}
			if n := countCalls(console, http.MethodPost, "/rest/crimes/comment/"+guid); n != 1 {
				t.Errorf("comments posted = %d, want 1", n)
			}
		})
	}
}

func TestWriteBackRefusals(t *testing.T) {
	t.Parallel()
	c, console := newTestClient(t, nil)
	guid := addMalop(t, console, sim.Malop{})
	ctx := context.Background()
	if err := c.WriteBack(ctx, integrations.Conclusion{AlertID: guid, Verdict: "maybe"}); err == nil || !strings.Contains(err.Error(), `"maybe"`) {
		t.Errorf("unknown verdict: %v", err)
	}
	if err := c.WriteBack(ctx, integrations.Conclusion{Verdict: "true_positive"}); err == nil {
		t.Error("a conclusion without alert id was written")
	}
	err := c.WriteBack(ctx, integrations.Conclusion{AlertID: "AAAAgone", Verdict: "true_positive"})
	if ve := vendorError(t, err); ve.Retryable() {
		t.Errorf("unknown MalOp: %+v, want a non-retryable refusal", ve)
	}

	console.FailNext("/rest/crimes/status", http.StatusBadGateway, 1, "")
	if err := c.WriteBack(ctx, integrations.Conclusion{AlertID: guid, Verdict: "true_positive"}); !vendorError(t, err).Retryable() {
		t.Errorf("502: %v, want retryable", err)
	}
	if err := c.WriteBack(ctx, integrations.Conclusion{AlertID: guid, Verdict: "true_positive"}); err != nil {
		t.Errorf("retry after 502: %v", err)
	}
	if state, _ := console.MalopState(guid); len(state.Comments) != 1 || state.ManagementStatus != "CLOSED" {
		t.Errorf("after the retry: %d comments, status %s", len(state.Comments), state.ManagementStatus)
	}
}

func TestInvestigateWithoutCrimesAPI(t *testing.T) {
	t.Parallel()
	c, console := newTestClient(t, nil)
	guid := addMalop(t, console, sim.Malop{Name: "loader.dll"})
	console.FailNextWith("/rest/crimes/unified", http.StatusNotFound, 1, "", "No such API")
	f, err := c.Investigate(context.Background(), integrations.Alert{ID: guid})
	if err != nil {
		t.Fatalf("Investigate: %v", err)
	}
	if !strings.Contains(f.Summary, "loader.dll") || len(f.Hosts) != 1 {
		t.Errorf("findings = %+v", f)
	}
	if n := countCalls(console, http.MethodPost, "/rest/mmng/v2/malops"); n != 1 {
		t.Errorf("mmng queried %d times, want the fallback once", n)
	}
}
