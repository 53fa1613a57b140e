package cybereason

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

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("reading fixture: %v", err)
	}
	return b
}

func TestParseAlertsFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file          string
		count         int
		first         string // guid of the first alert
		detection     string
		severity      integrations.Severity
		vendorWord    string
		host          integrations.Host
		user          string
		indicator     *integrations.Indicator
		observed      time.Time
		descriptionOf string
	}{
		{
			file: "poll_malops.json", count: 6, first: "AAAA0xogr2Euy609",
			detection: "Custom Malware: cymulateagent.exe", severity: integrations.SeverityHigh, vendorWord: "High",
			host: integrations.Host{Name: "desktop-j60ivd0", ID: "kxwWqBCi55eyTiwX"}, user: `win-cybereason\administrator`,
			observed: time.UnixMilli(1668333388300).UTC(), descriptionOf: "type: CUSTOM_RULE",
		},
		{
			file: "query_inbox_raw_response.json", count: 1, first: "AAAA0ws7O-MUgDmB",
			detection: "Cybereason Threat Intelligence identified a malicious tool: xkpkmvkd2380319126246621955.exe",
			severity:  integrations.SeverityHigh, vendorWord: "High",
			host: integrations.Host{Name: "mgmt01", ID: "KSSdyRCi55eyTiwX"}, user: `mgmt01\system`,
			observed: time.UnixMilli(1701662699005).UTC(), descriptionOf: "root cause: File xkpkmvkd2380319126246621955.exe",
		},
		{
			file: "query_malop_management_raw_response.json", count: 1, first: "AAAA0w7GERjl3oae",
			detection: "Malicious by Obscured Extension: aasiapp.pdf.exe", severity: integrations.SeverityHigh, vendorWord: "High",
			host: integrations.Host{Name: "<machine-display-name>", ID: "<pylum-id>"}, user: "<user-display-name>",
			indicator: &integrations.Indicator{Type: "sha1", Value: "a541fb35b0b750501717df708f1ccade7c176e1d"},
			observed:  time.UnixMilli(1686720403740).UTC(), descriptionOf: "status: Active, Pending",
		},
		{
			file: "query_malop_raw_response.json", count: 1, first: "11.-4319097116418812958",
			detection: "BLACKLIST: userinit.pdf.exe", severity: integrations.SeverityHigh, vendorWord: "",
			host: integrations.Host{Name: "desktop-j60ivd0", ID: "-1826875736.1198775089551518743"}, user: `desktop-j60ivd0\1997c`,
			indicator: &integrations.Indicator{Type: "sha1", Value: "b648b376e1066c67fbfeba99ef6171eb36aef188"},
			observed:  time.UnixMilli(1659517940167).UTC(), descriptionOf: "decision: blackListedFileHash, maliciousByDualExtensionByFileRootCause",
		},
		{
			file: "malop_detection_data.json", count: 1, first: "AAAA0yUlnvXGQODT",
			detection: "Blocklist file hash, Connection to malicious address: abs.exe", severity: integrations.SeverityHigh, vendorWord: "High",
			host: integrations.Host{Name: "desktop-1", ID: "123"}, observed: time.UnixMilli(1662563233889).UTC(),
			descriptionOf: "type: BLACKLIST",
		},
		{
			file: "non_edr.json", count: 31, first: "AAAA1mBHnEF4lvoq",
			detection: "Known malware detected by Cybereason Anti-Malware: ba8eb4085c467dd2a342530e14d5976383cc40c4",
			severity:  integrations.SeverityHigh, vendorWord: "High",
			host:      integrations.Host{Name: "sthq-mimikatz", ID: "HobXaBCi55eyTiwX"},
			indicator: &integrations.Indicator{Type: "sha1", Value: "ba8eb4085c467dd2a342530e14d5976383cc40c4"},
			observed:  time.UnixMilli(1670832474092).UTC(), descriptionOf: "engines: AntiVirus",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			alerts, err := ParseAlerts(fixture(t, tt.file), nil)
			if err != nil {
				t.Fatalf("ParseAlerts: %v", err)
			}
			if len(alerts) != tt.count {
				t.Fatalf("got %d alerts, want %d", len(alerts), tt.count)
			}
			for _, a := range alerts {
				if err := a.Validate(); err != nil {
					t.Errorf("alert %s: %v", a.ID, err)
				}
				var raw map[string]any
				if err := json.Unmarshal(a.Raw, &raw); err != nil {
					t.Errorf("alert %s: raw is not JSON: %v", a.ID, err)
				}
				if !strings.Contains(string(a.Raw), a.ID) {
					t.Errorf("alert %s: raw is not the MalOp's own JSON: %.80s", a.ID, a.Raw)
				}
			}
			a := alerts[0]
			if a.ID != tt.first || a.Detection != tt.detection || a.Severity != tt.severity || a.VendorSeverity != tt.vendorWord {
				t.Errorf("first alert = id %q, detection %q, severity %q (%q); want %q, %q, %q (%q)",
					a.ID, a.Detection, a.Severity, a.VendorSeverity, tt.first, tt.detection, tt.severity, tt.vendorWord)
			}
			if a.Hosts[0] != tt.host {
				t.Errorf("first host = %+v, want %+v", a.Hosts[0], tt.host)
			}
			if tt.user != "" && (len(a.Users) == 0 || a.Users[0] != tt.user) {
				t.Errorf("users = %q, want first %q", a.Users, tt.user)
			}
			if tt.indicator != nil && (len(a.Indicators) == 0 || a.Indicators[0] != *tt.indicator) {
				t.Errorf("indicators = %+v, want first %+v", a.Indicators, *tt.indicator)
			}
			if !a.ObservedAt.Equal(tt.observed) {
				t.Errorf("observed_at = %v, want %v", a.ObservedAt, tt.observed)
			}
			if !strings.Contains(a.Description, tt.descriptionOf) {
				t.Errorf("description %q lacks %q", a.Description, tt.descriptionOf)
			}
		})
	}
}

func TestParseAlertsSeverityFallsBackToPriority(t *testing.T) {
	t.Parallel()
	alerts, err := ParseAlerts(fixture(t, "poll_malops.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if a.ID == "AAAA04jx1h5NhdJ2" { // "severity": "" but "priority": "HIGH"
			if a.VendorSeverity != "HIGH" || a.Severity != integrations.SeverityHigh {
				t.Errorf("severity = %q (%q), want high (HIGH)", a.Severity, a.VendorSeverity)
			}
			return
		}
	}
	t.Fatal("MalOp AAAA04jx1h5NhdJ2 not parsed")
}

func TestParseAlertsSeverityMap(t *testing.T) {
	t.Parallel()
	body := fixture(t, "non_edr.json") // 27 High, 2 Low, 1 Medium, 1 without severity (priority HIGH)
	tests := []struct {
		name        string
		severityMap map[string]string
		want        map[integrations.Severity]int
	}{
		{"defaults", nil, map[integrations.Severity]int{"high": 28, "low": 2, "medium": 1}},
		{"keys in any case", map[string]string{"HIGH": "critical", "low": "Info"}, map[integrations.Severity]int{"critical": 28, "info": 2, "medium": 1}},
		{"only the word named", map[string]string{"Medium": "emergency"}, map[integrations.Severity]int{"high": 28, "low": 2, "emergency": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			alerts, err := ParseAlerts(body, tt.severityMap)
			if err != nil {
				t.Fatal(err)
			}
			got := map[integrations.Severity]int{}
			for _, a := range alerts {
				got[a.Severity]++
			}
			for severity, n := range tt.want {
				if got[severity] != n {
					t.Errorf("%s: got %d alerts, want %d (all: %v)", severity, got[severity], n, got)
				}
			}
		})
	}
	if _, err := ParseAlerts(body, map[string]string{"High": "severe"}); err == nil || !strings.Contains(err.Error(), `severity_map["High"]`) {
		t.Errorf("bad override: err = %v, want one naming severity_map[\"High\"]", err)
	}
}

func TestDefaultSeverity(t *testing.T) {
	t.Parallel()
	tests := map[string]integrations.Severity{
		"Critical": integrations.SeverityCritical, "High": integrations.SeverityHigh, "HIGH": integrations.SeverityHigh,
		"Medium": integrations.SeverityMedium, " medium ": integrations.SeverityMedium, "Low": integrations.SeverityLow,
		"LOW": integrations.SeverityLow, "Informational": integrations.SeverityInfo, "info": integrations.SeverityInfo,
		"": integrations.SeverityHigh, "Severe": integrations.SeverityHigh,
	}
	for word, want := range tests {
		if got := DefaultSeverity(word); got != want {
			t.Errorf("DefaultSeverity(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestParseAlertsShapes(t *testing.T) {
	t.Parallel()
	one := `{"guid":"AAAA1","displayName":"evil.exe","detectionTypes":["Credential theft"],"severity":"Medium",
	        "creationTime":"1700000000000","machines":[{"displayName":"osk-pc-17","pylumId":"PYLUM_1","isolated":"true"}],
	        "users":[{"displayName":"ACME\\taro"}],"rootCauseElementHashes":"d41d8cd98f00b204e9800998ecf8427e, not-a-hash"}`
	tests := []struct {
		name string
		body string
		ids  []string
	}{
		{"one MalOp object", one, []string{"AAAA1"}},
		{"bare array", "[" + one + "]", []string{"AAAA1"}},
		{"inbox", `{"malops":[` + one + `]}`, []string{"AAAA1"}},
		{"mmng", `{"data":{"totalHits":1,"data":[` + one + `]},"status":"SUCCESS"}`, []string{"AAAA1"}},
		{"empty inbox", `{"malops":[]}`, nil},
		{"empty mmng", `{"data":{"data":[]},"status":"SUCCESS"}`, nil},
		{"empty unified", `{"data":{"resultIdToElementDataMap":{}},"status":"SUCCESS"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			alerts, err := ParseAlerts([]byte(tt.body), nil)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, a := range alerts {
				ids = append(ids, a.ID)
				want := integrations.Alert{
					ID: "AAAA1", Detection: "Credential theft: evil.exe", Severity: integrations.SeverityMedium,
					ObservedAt: time.UnixMilli(1700000000000).UTC(), VendorSeverity: "Medium",
				}
				if a.Detection != want.Detection || a.Severity != want.Severity || !a.ObservedAt.Equal(want.ObservedAt) {
					t.Errorf("alert = %+v", a)
				}
				if len(a.Hosts) != 1 || a.Hosts[0] != (integrations.Host{Name: "osk-pc-17", ID: "PYLUM_1"}) {
					t.Errorf("hosts = %+v", a.Hosts)
				}
				if len(a.Indicators) != 1 || a.Indicators[0].Type != "md5" {
					t.Errorf("indicators = %+v, want the one md5", a.Indicators)
				}
				if !strings.Contains(a.Description, "isolated machines: osk-pc-17") {
					t.Errorf("description = %q", a.Description)
				}
			}
			if strings.Join(ids, ",") != strings.Join(tt.ids, ",") {
				t.Errorf("ids = %v, want %v", ids, tt.ids)
			}
		})
	}
}

func TestParseAlertsRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want string
	}{
		{"empty", "  ", "empty body"},
		{"not JSON", "<html>login</html>", "not JSON"},
		{"unknown object", `{"sensors":[]}`, "unrecognized body"},
		{"data without MalOps", `{"data":{"totalResults":3}}`, "neither data"},
		{"malops not a list", `{"malops":{"guid":"x"}}`, "malops is not a list"},
		{"no guid", `{"malops":[{"displayName":"a.exe","machines":[{"displayName":"pc1"}]}]}`, "malops[0]: guid is required"},
		{"no machine", `{"malops":[{"guid":"G1","displayName":"a.exe","machines":[]}]}`, "malops[0]: no machine with a name"},
		{"machine without name", `[{"guid":"G1","displayName":"a.exe","machines":[{"guid":"m1"}]}]`, "[0]: no machine with a name"},
		{"no detection", `[{"guid":"G1","machines":[{"displayName":"pc1"}]}]`, "[0]: no detection name"},
		{"severity not a word", `[{"guid":"G1","displayName":"a","severity":{"x":1},"machines":[{"displayName":"pc1"}]}]`, "severity"},
		{"time not a time", `[{"guid":"G1","displayName":"a","creationTime":"yesterday","machines":[{"displayName":"pc1"}]}]`, "creationTime"},
		{"time out of range", `[{"guid":"G1","displayName":"a","creationTime":99999999999999999,"machines":[{"displayName":"pc1"}]}]`, "creationTime"},
		{"second of two bad", `[{"guid":"G1","displayName":"a","machines":[{"displayName":"pc1"}]},{"guid":"G2"}]`, "[1]:"},
		{"process, not MalOp", string(fixture(t, "malop_processes_raw_response.json")), "not a MalOp"},
		{"machine, not MalOp", string(fixture(t, "get_pylum_id_raw_response.json")), "not a MalOp"},
		{"sensors", string(fixture(t, "get_sensor_id_raw_response.json")), "unrecognized body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			alerts, err := ParseAlerts([]byte(tt.body), nil)
			if err == nil {
				t.Fatalf("no error; alerts = %+v", alerts)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func FuzzParseAlerts(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		if filepath.Base(file) == "fetch_machine_details_raw_response.json" {
			continue // 134 kB of sensors: slows every fuzz iteration, teaches nothing a MalOp does not
		}
		f.Add(fixture(f, filepath.Base(file)))
	}
	f.Add([]byte(`{"guid":"G","displayName":"a","machines":[{"displayName":" "}],"creationTime":-1}`))
	f.Add([]byte(`{"data":{"resultIdToElementDataMap":{"k":{"simpleValues":{"detectionType":{"values":[" "]}},"elementValues":{"affectedMachines":{"elementValues":null}}}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		alerts, err := ParseAlerts(body, nil)
		if err != nil {
			return
		}
		for _, a := range alerts {
			if err := a.Validate(); err != nil {
				t.Fatalf("ParseAlerts returned an invalid alert: %v\n%+v", err, a)
			}
			if _, err := json.Marshal(a); err != nil {
				t.Fatalf("alert does not encode: %v", err)
			}
		}
	})
}
