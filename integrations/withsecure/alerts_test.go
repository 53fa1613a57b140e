package withsecure

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xsoc/integrations"
)

const fixtureDir = "testdata"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("reading fixture: %v", err)
	}
	return data
}

// fixtureFiles lists every recorded WithSecure payload, samples included.
func fixtureFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(fixtureDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("listing fixtures in %s: %v (%d files)", fixtureDir, err, len(files))
	}
	return files
}

// incidentJSON is an incident as the Incidents API lists it, plus the devices that a
// forwarder embeds.
const incidentJSON = `{
  "incidentId": "2c902c73-e2a6-40fd-9532-257ee102e1c1",
  "incidentPublicId": "3599-123456",
  "organizationId": "222298dc-3785-4d2d-a957-f7399c2cd084",
  "name": "Credential dumping (mimikatz)",
  "status": "new",
  "severity": "high",
  "riskLevel": "severe",
  "riskScore": 91,
  "resolution": "unconfirmed",
  "createdTimestamp": "2026-11-27T03:12:05.537Z",
  "updatedTimestamp": "2026-11-27T03:13:00.000Z",
  "initialReceivedTimestamp": "2026-11-27T03:12:00.000Z",
  "categories": ["CREDENTIAL_THEFT"],
  "sources": ["endpoint"],
  "devices": [{"name": "osk-pc-17", "id": "e297cbf5-ba53-4e66-909c-6d87527c4e98", "ipAddresses": "10.1.2.3/24,fe80::1"}],
  "users": ["ACME\\taro"]
}`

func TestParseAlertsIncidentShapes(t *testing.T) {
	t.Parallel()
	want := integrations.Alert{
		ID:             "2c902c73-e2a6-40fd-9532-257ee102e1c1",
		Detection:      "Credential dumping (mimikatz)",
		Severity:       integrations.SeverityCritical,
		ObservedAt:     time.Date(2026, 11, 27, 3, 12, 0, 0, time.UTC),
		Hosts:          []integrations.Host{{Name: "osk-pc-17", IP: "10.1.2.3", ID: "e297cbf5-ba53-4e66-909c-6d87527c4e98"}},
		Users:          []string{`ACME\taro`},
		VendorSeverity: "severe",
	}
	cases := []struct {
		name string
		body string
	}{
		{"single incident", incidentJSON},
		{"incidents list", `{"items": [` + incidentJSON + `], "nextAnchor": "abc"}`},
		{"webhook incidents", `{"incidents": [` + incidentJSON + `]}`},
		{"webhook incident", `{"event": "incident.created", "incident": ` + incidentJSON + `}`},
		{"bare array", `[` + incidentJSON + `]`},
		{"same incident twice", `{"items": [` + incidentJSON + `,` + incidentJSON + `]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			alerts, err := ParseAlerts([]byte(tc.body), nil)
			if err != nil {
				t.Fatalf("ParseAlerts: %v", err)
			}
			if len(alerts) != 1 {
				t.Fatalf("got %d alerts, want 1", len(alerts))
			}
			got := alerts[0]
			if got.ID != want.ID || got.Detection != want.Detection || got.Severity != want.Severity ||
				!got.ObservedAt.Equal(want.ObservedAt) || got.VendorSeverity != want.VendorSeverity {
				t.Errorf("alert = %+v\nwant %+v", got, want)
			}
			if len(got.Hosts) != 1 || got.Hosts[0] != want.Hosts[0] {
				t.Errorf("hosts = %+v, want %+v", got.Hosts, want.Hosts)
			}
			if strings.Join(got.Users, ",") != strings.Join(want.Users, ",") {
				t.Errorf("users = %v, want %v", got.Users, want.Users)
			}
			if !strings.Contains(got.Description, "3599-123456") || !strings.Contains(got.Description, "CREDENTIAL_THEFT") {
				t.Errorf("description %q should name the public id and the categories", got.Description)
			}
			var raw map[string]any
			if err := json.Unmarshal(got.Raw, &raw); err != nil || raw["incidentId"] != want.ID {
				t.Errorf("raw is not the incident JSON: %s (%v)", got.Raw, err)
			}
		})
	}
}

func TestParseAlertsRefusals(t *testing.T) {
	t.Parallel()
	noDevices := strings.Replace(incidentJSON, `"devices"`, `"formerDevices"`, 1)
	cases := []struct {
		name     string
		body     string
		severity map[string]string
		wantErr  string
	}{
		{"no host", noDevices, nil, "devices[].name is missing"},
		{"device with only an id",
			`{"incidentId": "a", "name": "x", "riskLevel": "low", "devices": [{"id": "e297"}]}`, nil, "devices[].name is missing"},
		{"no incident id", strings.Replace(incidentJSON, `"incidentId"`, `"incidentUuid"`, 1), nil, "unrecognized body"},
		{"empty incident id in list", `{"items": [{"incidentId": "", "name": "x", "riskLevel": "high"}]}`, nil, "incidentId is missing"},
		{"no risk level", `{"incidentId": "a", "name": "x", "devices": [{"name": "h"}]}`, nil, "riskLevel (or severity) is missing"},
		{"no name", `{"incidentId": "a", "riskLevel": "low", "devices": [{"name": "h"}]}`, nil, "name is missing"},
		{"bad override", incidentJSON, map[string]string{"SEVERE": "apocalyptic"}, `severity_map["SEVERE"]`},
		{"detections are not incidents", string(readFixture(t, "detections_list.json")), nil, "is not an incident"},
		{"unknown object", string(readFixture(t, "token.json")), nil, "unrecognized body"},
		{"empty list", `{"items": []}`, nil, "the list is empty"},
		{"not json", `{"items": [`, nil, "not a JSON object"},
		{"empty body", `  `, nil, "empty body"},
		{"wrong field type", `{"incidentId": "a", "name": 5, "riskLevel": "low"}`, nil, "not a WithSecure incident"},
		{"one bad item refuses all", `{"items": [` + incidentJSON + `,` + noDevices + `]}`, nil, "item 1"},
		{"only non-EDR events", string(readFixture(t, "security_events_samples/deep-guard-event.json")), nil, "none from engine edr"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			alerts, err := ParseAlerts([]byte(tc.body), tc.severity)
			if err == nil {
				t.Fatalf("ParseAlerts accepted it: %+v", alerts)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q should contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseAlertsSeverityOverride(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		overrides map[string]string
		want      integrations.Severity
	}{
		{"default", nil, integrations.SeverityCritical},
		{"exact key", map[string]string{"severe": "emergency"}, integrations.SeverityEmergency},
		{"key in other case", map[string]string{"SeVeRe": "Emergency"}, integrations.SeverityEmergency},
		{"other level only", map[string]string{"high": "low"}, integrations.SeverityCritical},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			alerts, err := ParseAlerts([]byte(incidentJSON), tc.overrides)
			if err != nil {
				t.Fatal(err)
			}
			if alerts[0].Severity != tc.want || alerts[0].VendorSeverity != "severe" {
				t.Errorf("severity = %q (vendor %q), want %q", alerts[0].Severity, alerts[0].VendorSeverity, tc.want)
			}
		})
	}
}

func TestDefaultSeverity(t *testing.T) {
	t.Parallel()
	cases := map[string]integrations.Severity{
		"info": integrations.SeverityInfo, "low": integrations.SeverityLow, "medium": integrations.SeverityMedium,
		"warning": integrations.SeverityMedium, "high": integrations.SeverityHigh, "HIGH": integrations.SeverityHigh,
		"severe": integrations.SeverityCritical, "critical": integrations.SeverityCritical, " Severe ": integrations.SeverityCritical,
		"somethingNew": integrations.SeverityHigh,
	}
	for vendor, want := range cases {
		if got := DefaultSeverity(vendor); got != want {
			t.Errorf("DefaultSeverity(%q) = %q, want %q", vendor, got, want)
		}
	}
}

// The EDR event of the recorded security-events page announces an incident; the
// system-events-log event beside it is not one and is dropped.
func TestParseAlertsSecurityEventsFixture(t *testing.T) {
	t.Parallel()
	alerts, err := ParseAlerts(readFixture(t, "security_events.json"), nil)
	if err != nil {
		t.Fatalf("ParseAlerts: %v", err)
	}
	if len(alerts) != 1 {
		t.Fatalf("got %d alerts, want the one EDR incident", len(alerts))
	}
	a := alerts[0]
	if a.ID != "00000000-0000-0000-0000-000000000000" || a.Severity != integrations.SeverityHigh || a.VendorSeverity != "HIGH" {
		t.Errorf("alert = %+v", a)
	}
	if len(a.Hosts) != 1 || a.Hosts[0].Name != "WKS-10-PLAIN" || a.Hosts[0].ID == "" {
		t.Errorf("hosts = %+v, want WKS-10-PLAIN with its id", a.Hosts)
	}
	if len(a.Users) != 1 || a.Users[0] != `TEST\Frank` {
		t.Errorf("users = %v", a.Users)
	}
	if !strings.Contains(a.Detection, "SYSTEM_OR_TOOL_MISUSE") {
		t.Errorf("detection %q should name the category", a.Detection)
	}
	if want := time.UnixMilli(1680185665749).UTC(); !a.ObservedAt.Equal(want) {
		t.Errorf("observed at %v, want the initial detection %v", a.ObservedAt, want)
	}
}

// Every recorded payload either parses into valid alerts or is refused with a reason.
func TestParseAlertsEveryFixture(t *testing.T) {
	t.Parallel()
	for _, path := range fixtureFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		alerts, err := ParseAlerts(data, nil)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "withsecure: ") {
				t.Errorf("%s: error %q does not say whose payload it is", path, err)
			}
			continue
		}
		for _, a := range alerts {
			if verr := a.Validate(); verr != nil {
				t.Errorf("%s: %v", path, verr)
			}
		}
	}
}

func FuzzParseAlerts(f *testing.F) {
	for _, path := range fixtureFiles(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(incidentJSON))
	f.Add([]byte(`{"incidents": [` + incidentJSON + `]}`))
	f.Add([]byte(`[{"incidentId": "x", "name": "n", "riskLevel": "low", "device": {"name": "h"}}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		alerts, err := ParseAlerts(body, map[string]string{"high": "critical"})
		if err != nil {
			return
		}
		for _, a := range alerts {
			if verr := a.Validate(); verr != nil {
				t.Fatalf("ParseAlerts returned an invalid alert: %v\nbody: %q", verr, body)
			}
		}
	})
}
