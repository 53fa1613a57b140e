package withsecure

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"xsoc/integrations"
	"xsoc/integrations/withsecure/sim"
)

func TestInvestigateSummarizesDetections(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	inc := addIncident(t, s, sim.NewIncident{
		Name: "Suspicious remote logon", Severity: "high",
		Devices: []sim.DeviceRef{{Name: "fs-01"}, {Name: "osk-pc-3"}},
		Users:   []string{`ACME\admin`}, Process: "psexec.exe",
	})
	f, err := c.Investigate(context.Background(), integrations.Alert{ID: inc.IncidentID})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.Summary, "2 detection(s) on fs-01, osk-pc-3") || !strings.Contains(f.Summary, "suspicious_remote_logon ×2") {
		t.Errorf("summary = %q", f.Summary)
	}
	if len(f.Hosts) != 2 || len(f.Users) != 1 || len(f.Processes) != 2 || !strings.Contains(f.Processes[0], `System32\psexec.exe, pid`) {
		t.Errorf("findings = %+v", f)
	}
	if len(f.Indicators) != 1 || f.Indicators[0].Type != "sha1" || len(f.Details) != 2 {
		t.Errorf("indicators %v, details %v", f.Indicators, f.Details)
	}

	empty, err := c.Investigate(context.Background(), integrations.Alert{ID: "unknown-incident"})
	if err != nil || !strings.Contains(empty.Summary, "no detections") {
		t.Errorf("an incident without detections: %+v, %v", empty, err)
	}
}

// The recorded detection: its device is named through the devices list, its logon user
// and remote address are findings, and its truncated hash is no indicator.
func TestEvidenceFromRecordedDetections(t *testing.T) {
	t.Parallel()
	var dets page[detection]
	if err := json.Unmarshal(readFixture(t, "detections_list_page_with_anchor.json"), &dets); err != nil {
		t.Fatal(err)
	}
	if dets.NextAnchor != "next_anchor_0" || len(dets.Items) != 2 {
		t.Fatalf("page = %+v", dets)
	}
	ev := evidence{
		detections: dets.Items,
		devices:    map[string]deviceInfo{"0c3d6a05-613a": {ID: "0c3d6a05-613a", Name: "testWorkstation", IPAddresses: "10.0.0.5/24"}},
	}
	alert := integrations.Alert{ID: "341d0e1a-bf1d", Detection: "x", Severity: integrations.SeverityLow}
	ev.enrich(&alert)
	if len(alert.Hosts) != 1 || alert.Hosts[0] != (integrations.Host{Name: "testWorkstation", IP: "10.0.0.5", ID: "0c3d6a05-613a"}) {
		t.Errorf("hosts = %+v", alert.Hosts)
	}
	if strings.Join(alert.Users, ",") != `testWorkstation\testadmin` {
		t.Errorf("users = %v", alert.Users)
	}
	if len(alert.Indicators) != 1 || alert.Indicators[0] != (integrations.Indicator{Type: "ip", Value: "1.2.3.4"}) {
		t.Errorf("indicators = %v", alert.Indicators)
	}
	if err := alert.Validate(); err != nil {
		t.Error(err)
	}
	f := ev.findings(alert)
	if !strings.Contains(f.Summary, "suspicious_remote_logon_session ×2") || len(f.Processes) != 1 ||
		!strings.Contains(f.Processes[0], `%stestroot%\system32\testexename.exe, pid 996`) {
		t.Errorf("findings = %+v", f)
	}
}

func TestWriteBackClosesWithTheVerdictsResolution(t *testing.T) {
	t.Parallel()
	cases := []struct {
		verdict        string
		wantResolution string
	}{
		{"true_positive", "confirmed"},
		{"false_positive", "falsePositive"},
		{"benign_true_positive", "acceptedBehavior"},
	}
	for _, tc := range cases {
		t.Run(tc.verdict, func(t *testing.T) {
			t.Parallel()
			s, c := newSimClient(t)
			inc := addIncident(t, s, sim.NewIncident{Name: "x", Devices: []sim.DeviceRef{{Name: "h"}}})
			err := c.WriteBack(context.Background(), integrations.Conclusion{
				AlertID: inc.IncidentID, Verdict: tc.verdict, Note: "checked with the user", By: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			var patch struct {
				Targets    []string `json:"targets"`
				Status     string   `json:"status"`
				Resolution string   `json:"resolution"`
			}
			patches := callsTo(s, http.MethodPatch, "/incidents/v1/incidents")
			if len(patches) != 1 || json.Unmarshal([]byte(patches[0].Body), &patch) != nil ||
				patch.Status != "closed" || patch.Resolution != tc.wantResolution || len(patch.Targets) != 1 || patch.Targets[0] != inc.IncidentID {
				t.Errorf("PATCH = %+v", patches)
			}
			state := s.Incidents()[0]
			if state.Status != "closed" || state.Resolution != tc.wantResolution || len(state.Comments) != 1 {
				t.Fatalf("incident = %+v", state)
			}
			for _, want := range []string{tc.verdict, "alice", "checked with the user"} {
				if !strings.Contains(state.Comments[0], want) {
					t.Errorf("comment %q should contain %q", state.Comments[0], want)
				}
			}
		})
	}
}

func TestWriteBackRefusesUnknownVerdict(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	err := c.WriteBack(context.Background(), integrations.Conclusion{AlertID: "x", Verdict: "maybe"})
	if err == nil || !strings.Contains(err.Error(), `verdict "maybe"`) {
		t.Errorf("error = %v", err)
	}
	if err := c.WriteBack(context.Background(), integrations.Conclusion{Verdict: "true_positive"}); err == nil {
		t.Error("a conclusion without an incident id was accepted")
	}
	if n := len(s.Calls()); n != 0 {
		t.Errorf("%d calls sent for refused conclusions", n)
	}
}

func TestCommentAnswer(t *testing.T) {
	t.Parallel()
	var a commentAnswer
	if err := json.Unmarshal(readFixture(t, "incidents_comment.json"), &a); err != nil {
		t.Fatal(err)
	}
	if err := a.check("comment incident", "cc8b996f-1d50-40cc-a942-686f82fcd3fc"); err != nil {
		t.Errorf("recorded answer: %v", err)
	}
	if err := a.check("comment incident", "not-there"); err == nil {
		t.Error("an answer without our incident was accepted")
	}
}
