package zscaler

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"xsoc/integrations"
	"xsoc/integrations/zscaler/sim"
)

// fixtures holds the recorded responses and the hand-written NSS bodies (see its README).
const fixtures = "testdata"

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseFeedTestdata(t *testing.T) {
	t.Parallel()
	type want struct {
		id, detection, host, hostIP, user string
		severity                          integrations.Severity
		vendorSeverity                    string
		indicators                        []integrations.Indicator
		observedAt                        time.Time
	}
	cases := []struct {
		file   string
		clean  int
		alerts []want
	}{
		{
			file:  "nss_web_batch.ndjson",
			clean: 2,
			alerts: []want{
				{
					id: "7301822104987152385", detection: "HTML.Phishing.Gen", host: "osk-pc-17", hostIP: "10.1.2.3",
					user: "taro.yamada@acme.example", severity: integrations.SeverityCritical, vendorSeverity: "Critical",
					indicators: []integrations.Indicator{
						{Type: "url", Value: "login-microsoftonline.evil.example/common/oauth2/authorize?client_id=1"},
						{Type: "domain", Value: "login-microsoftonline.evil.example"},
					},
					observedAt: time.Date(2026, 11, 27, 3, 12, 0, 0, time.UTC),
				},
				{
					id: "7301822104987152391", detection: "Win32.Trojan.Emotet", host: "fs-tokyo-01", hostIP: "10.8.0.44",
					user: "hanako.sato@acme.example", severity: integrations.SeverityHigh, vendorSeverity: "High",
					indicators: []integrations.Indicator{
						{Type: "url", Value: "cdn.bad-updates.example/pkg/invoice_2026-11.exe"},
						{Type: "domain", Value: "cdn.bad-updates.example"},
						{Type: "md5", Value: "afcb861561f7416c5e852001d31f8921"},
					},
					observedAt: time.Date(2026, 11, 27, 3, 14, 9, 0, time.UTC),
				},
				{
					// Blocked for its category, no threat name, no Client Connector: the client IP is the host.
					id: "7301822104987152399", detection: "Botnet Callback", hostIP: "10.20.30.40",
					user: "guest-wifi@acme.example", severity: integrations.SeverityMedium, vendorSeverity: "None",
					indicators: []integrations.Indicator{
						{Type: "url", Value: "c2.botnet-relay.example:443"},
						{Type: "domain", Value: "c2.botnet-relay.example"},
						{Type: "ip", Value: "192.0.2.66"},
					},
					observedAt: time.Date(2026, 11, 27, 3, 15, 30, 0, time.UTC),
				},
			},
		},
		{
			file:  "nss_web_array.json",
			clean: 1,
			alerts: []want{{
				id: "7301822104987153001", detection: "Sandbox Malware", host: "osk-pc-17", hostIP: "10.1.2.3",
				user: `ACME\taro`, severity: integrations.SeverityMedium, vendorSeverity: "Medium",
				indicators: []integrations.Indicator{
					{Type: "url", Value: "downloads.evil.example/tools/mimi%20katz.zip"},
					{Type: "domain", Value: "downloads.evil.example"},
					{Type: "ip", Value: "192.0.2.80"},
					{Type: "md5", Value: "196a3d797bfee07fe4596b69f4ce1141"},
					{Type: "sha256", Value: "81ec78bc8298568bb5ea66d3c2972b670d0f7459b6cdbbcaacce90ab417ab15c"},
				},
				observedAt: time.Date(2026, 11, 27, 3, 20, 0, 0, time.UTC),
			}},
		},
		{
			file:  "nss_web_splunk.json",
			clean: 0,
			alerts: []want{{
				id: "7301822104987154010", detection: "Win32.Spyware.Agent", host: "erp-db01", hostIP: "10.8.0.91",
				user: "svc-erp@acme.example", severity: integrations.SeverityHigh, vendorSeverity: "High",
				indicators: []integrations.Indicator{
					{Type: "url", Value: "telemetry.spy-collector.example/api/v2/beacon"},
					{Type: "domain", Value: "telemetry.spy-collector.example"},
				},
				observedAt: time.Date(2026, 11, 27, 3, 30, 15, 0, time.UTC),
			}},
		},
		{
			file:  "nss_web_sentinel.json",
			clean: 1,
			alerts: []want{{
				id: "7301822104987155020", detection: "JS.Exploit.Kit", hostIP: "10.3.9.14",
				user: "kenji.ito@acme.example", severity: integrations.SeverityMedium, vendorSeverity: "Medium",
				indicators: []integrations.Indicator{
					{Type: "url", Value: "exploit-kit.example/landing.js"},
					{Type: "domain", Value: "exploit-kit.example"},
				},
				observedAt: time.Date(2026, 11, 27, 3, 40, 2, 0, time.UTC),
			}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			alerts, clean, err := ParseFeed(readFile(t, filepath.Join(fixtures, tc.file)), nil)
			if err != nil {
				t.Fatal(err)
			}
			if clean != tc.clean || len(alerts) != len(tc.alerts) {
				t.Fatalf("got %d alerts and %d clean, want %d and %d", len(alerts), clean, len(tc.alerts), tc.clean)
			}
			for i, w := range tc.alerts {
				a := alerts[i]
				if err := a.Validate(); err != nil {
					t.Errorf("alert %s: %v", a.ID, err)
				}
				got := want{id: a.ID, detection: a.Detection, host: a.Hosts[0].Name, hostIP: a.Hosts[0].IP,
					severity: a.Severity, vendorSeverity: a.VendorSeverity, indicators: a.Indicators, observedAt: a.ObservedAt}
				if len(a.Users) == 1 {
					got.user = a.Users[0]
				}
				if got.id != w.id || got.detection != w.detection || got.host != w.host || got.hostIP != w.hostIP ||
					got.user != w.user || got.severity != w.severity || got.vendorSeverity != w.vendorSeverity ||
					!got.observedAt.Equal(w.observedAt) || !slices.Equal(got.indicators, w.indicators) {
					t.Errorf("alert %d:\n got %+v\nwant %+v", i, got, w)
				}
				if !json.Valid(a.Raw) || !bytes.Contains(a.Raw, []byte(a.ID)) {
					t.Errorf("alert %s: raw is not the event: %s", a.ID, a.Raw)
				}
				if !strings.HasPrefix(a.Description, "Zscaler web log: ") {
					t.Errorf("alert %s: description %q", a.ID, a.Description)
				}
			}
		})
	}
}

func TestParseFeedFraming(t *testing.T) {
	t.Parallel()
	event := `{"recordid":"1001","threatname":"EICAR Test File","devicehostname":"pc-1","url":"eicar.example/eicar.com","threatseverity":"Low"}`
	wrapped := `{"sourcetype":"zscalernss-web","event":` + event + `}`
	cases := map[string]string{
		"single bare event":        event,
		"single wrapped event":     wrapped,
		"array of bare events":     "[" + event + "]",
		"array of wrapped events":  "[" + wrapped + "]",
		"newline-delimited, CRLF":  wrapped + "\r\n" + `{"recordid":"1002","action":"Allowed","cip":"10.0.0.1"}` + "\r\n",
		"concatenated with commas": wrapped + ",\n" + `{"recordid":"1002","action":"Allowed"}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			alerts, _, err := ParseFeed([]byte(body), nil)
			if err != nil {
				t.Fatalf("%v\nbody: %s", err, body)
			}
			if len(alerts) != 1 || alerts[0].ID != "1001" || alerts[0].Detection != "EICAR Test File" || alerts[0].Severity != integrations.SeverityLow {
				t.Fatalf("got %+v", alerts)
			}
		})
	}
}

func TestParseFeedEscapedStringEvent(t *testing.T) {
	t.Parallel()
	inner, _ := json.Marshal(`{"recordid":"1001","threatname":"EICAR Test File","cip":"10.0.0.9"}`)
	alerts, _, err := ParseFeed([]byte(`{"sourcetype":"zscalernss-web","event":`+string(inner)+`}`), nil)
	if err != nil || len(alerts) != 1 || alerts[0].Hosts[0].IP != "10.0.0.9" {
		t.Fatalf("alerts %+v, err %v", alerts, err)
	}
}

func TestParseFeedRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, wantInError string
	}{
		{"empty body", "  \n", "body is empty"},
		{"syslog text", "<13>Nov 27 03:12:00 zscaler-nss: action=Blocked", "not JSON"},
		{"tab separated", "Fri Nov 27 03:12:00 2026\tBlocked\tevil.example", "not JSON"},
		{"broken JSON", `{"recordid":"1","threatname":`, "not valid JSON"},
		{"array of numbers", `[1,2]`, "events[0]"},
		{"threat without recordid", `{"threatname":"Win32.Trojan.Emotet","devicehostname":"pc-1"}`, "recordid"},
		{"threat with recordid None", `{"recordid":"None","threatname":"Win32.Trojan.Emotet","cip":"10.0.0.1"}`, "recordid"},
		{"threat without host", `{"recordid":"5","threatname":"Win32.Trojan.Emotet","devicehostname":"None","cip":"None"}`, "devicehostname"},
		{"event as plain text", `{"sourcetype":"zscalernss-web","event":"Blocked evil.example"}`, "JSON object"},
		{"second event bad", `{"recordid":"1","action":"Allowed"}` + "\n" + `{"threatname":"X","cip":"10.0.0.1"}`, "events[1]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			alerts, clean, err := ParseFeed([]byte(tc.body), nil)
			if err == nil {
				t.Fatalf("accepted: %d alerts, %d clean", len(alerts), clean)
			}
			if !strings.Contains(err.Error(), tc.wantInError) {
				t.Fatalf("error %q does not say %q", err, tc.wantInError)
			}
			if alerts != nil || clean != 0 {
				t.Fatalf("a rejected body still answered %d alerts, %d clean", len(alerts), clean)
			}
		})
	}
}

func TestParseFeedThreatRules(t *testing.T) {
	t.Parallel()
	base := `"recordid":"9","cip":"10.0.0.1",`
	cases := []struct {
		name, fields, detection string
	}{
		{"threat name", `"threatname":"EICAR Test File","action":"Allowed"`, "EICAR Test File"},
		{"malware category while allowed", `"threatname":"None","malwarecat":"Adware","action":"Allowed"`, "Adware"},
		{"blocked phishing category", `"action":"Blocked","urlcat":"Phishing"`, "Phishing"},
		{"blocked, class says security risk", `"action":"Blocked","urlcat":"Newly Registered Domains","urlclass":"Advanced Security Risk"`, "Newly Registered Domains"},
		{"blocked for malware reason", `"action":"Blocked","reason":"Virus/Spyware/Malware Blocked"`, "Virus/Spyware/Malware Blocked"},
		{"allowed phishing category is traffic", `"action":"Allowed","urlcat":"Phishing"`, ""},
		{"blocked shopping is policy", `"action":"Blocked","urlcat":"Online Shopping","urlclass":"Productivity Loss"`, ""},
		{"benign sandbox verdict", `"action":"Allowed","malwarecat":"Sandbox Benign"`, ""},
		{"sent to sandbox", `"action":"Allowed","malwarecat":"Submitted to Sandbox"`, ""},
		{"anonymizer is privacy, not threat", `"action":"Blocked","urlcat":"Anonymizer","urlclass":"Privacy Risk"`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			alerts, clean, err := ParseFeed([]byte("{"+base+tc.fields+"}"), nil)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.detection == "" && (clean != 1 || len(alerts) != 0):
				t.Fatalf("want a clean event, got %+v", alerts)
			case tc.detection != "" && (len(alerts) != 1 || alerts[0].Detection != tc.detection):
				t.Fatalf("want detection %q, got %+v (clean %d)", tc.detection, alerts, clean)
			}
		})
	}
}

func TestDefaultSeverity(t *testing.T) {
	t.Parallel()
	cases := map[string]integrations.Severity{
		"Critical": integrations.SeverityCritical, "CRITICAL": integrations.SeverityCritical,
		"Critical (90-100)": integrations.SeverityCritical,
		"High":              integrations.SeverityHigh, "medium": integrations.SeverityMedium, "Low": integrations.SeverityLow,
		"None": integrations.SeverityMedium, "": integrations.SeverityMedium, "whatever": integrations.SeverityMedium,
		"95": integrations.SeverityCritical, "90": integrations.SeverityCritical, "89": integrations.SeverityHigh,
		"75": integrations.SeverityHigh, "74": integrations.SeverityMedium, "46": integrations.SeverityMedium,
		"45": integrations.SeverityLow, "1": integrations.SeverityLow, "0": integrations.SeverityMedium,
	}
	for vendor, want := range cases {
		if got := DefaultSeverity(vendor); got != want {
			t.Errorf("DefaultSeverity(%q) = %s, want %s", vendor, got, want)
		}
	}
}

func TestParseFeedSeverityOverride(t *testing.T) {
	t.Parallel()
	body := []byte(`{"recordid":"1","threatname":"X","cip":"10.0.0.1","threatseverity":"Critical"}
{"recordid":"2","threatname":"Y","cip":"10.0.0.1","riskscore":"30"}
{"recordid":"3","threatname":"Z","cip":"10.0.0.1","threatseverity":"None"}`)
	overrides := map[string]string{"CRITICAL": "emergency", "low": "Info", "none": "high"}
	alerts, _, err := ParseFeed(body, overrides)
	if err != nil {
		t.Fatal(err)
	}
	got := []integrations.Severity{alerts[0].Severity, alerts[1].Severity, alerts[2].Severity}
	want := []integrations.Severity{integrations.SeverityEmergency, integrations.SeverityInfo, integrations.SeverityHigh}
	if !slices.Equal(got, want) {
		t.Fatalf("severities %v, want %v", got, want)
	}
	if alerts[1].VendorSeverity != "Low" {
		t.Fatalf("riskscore 30 is vendor severity %q, want Low", alerts[1].VendorSeverity)
	}
	_, _, err = ParseFeed(body, map[string]string{"critical": "apocalyptic"})
	if err == nil || !strings.Contains(err.Error(), "severity_map") {
		t.Fatalf("a bad override gave %v", err)
	}
}

func TestParseFeedKeepsRecordIDDigits(t *testing.T) {
	t.Parallel()
	alerts, _, err := ParseFeed([]byte(`[{"recordid":9223372036854775807,"threatname":"X","cip":"10.0.0.1"}]`), nil)
	if err != nil || alerts[0].ID != "9223372036854775807" {
		t.Fatalf("alerts %+v, err %v", alerts, err)
	}
}

// The simulator's feed is what the demo posts to the intake: it must parse into one
// alert per threat, keyed by the given or generated record id.
func TestParseFeedFromSimulator(t *testing.T) {
	t.Parallel()
	s := sim.New("abcdefghijkl", "admin@acme.example", "secret")
	body := s.FeedBatch(
		sim.Threat{RecordID: "42", Host: "osk-pc-17", User: "taro@acme.example", URL: "https://evil.example/login", ThreatName: "HTML.Phishing.Gen", Severity: "critical"},
		sim.Threat{Host: "osk-pc-18", URL: "www.example.com/"},
		sim.Threat{Host: "fs-01", URL: "dl.bad.example/x.exe", ThreatName: "Win32.Trojan.Emotet", MD5: "AFCB861561F7416C5E852001D31F8921"},
	)
	alerts, clean, err := ParseFeed(body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if clean != 1 || len(alerts) != 2 {
		t.Fatalf("%d alerts, %d clean", len(alerts), clean)
	}
	first, second := alerts[0], alerts[1]
	if first.ID != "42" || first.Severity != integrations.SeverityCritical || first.Hosts[0].Name != "osk-pc-17" ||
		first.Users[0] != "taro@acme.example" || first.Indicators[0] != (integrations.Indicator{Type: "url", Value: "evil.example/login"}) {
		t.Errorf("first alert %+v", first)
	}
	if len(second.ID) != 19 || second.Severity != integrations.SeverityHigh ||
		!slices.Contains(second.Indicators, integrations.Indicator{Type: "md5", Value: "afcb861561f7416c5e852001d31f8921"}) {
		t.Errorf("second alert %+v", second)
	}
	for _, a := range alerts {
		if err := a.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func FuzzParseAlerts(f *testing.F) {
	for _, dir := range []string{fixtures} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.json*"))
		for _, path := range paths {
			f.Add(readFile(f, path))
		}
	}
	f.Add(sim.New("abcdefghijkl", "u", "p").FeedBatch(sim.Threat{ThreatName: "T", MD5: "afcb861561f7416c5e852001d31f8921"}, sim.Threat{}))
	f.Add([]byte(`{"recordid":"1","threatname":"%20","cip":"10.0.0.1"}`))
	f.Add([]byte(`{"cs1":"x","cs1Label":"recordid","cs2":"T","cs2Label":"threatname","src":"10.0.0.1"}`))
	f.Add([]byte(`{"b64threatname":"VGVzdA==","recordid":"1","edevicehostname":"%09"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		alerts, clean, err := ParseFeed(body, map[string]string{"critical": "emergency"})
		if err != nil {
			if alerts != nil || clean != 0 {
				t.Fatalf("error %v with %d alerts, %d clean", err, len(alerts), clean)
			}
			return
		}
		for _, a := range alerts {
			if err := a.Validate(); err != nil {
				t.Fatalf("alert %+v: %v", a, err)
			}
			if !json.Valid(a.Raw) {
				t.Fatalf("raw is not JSON: %q", a.Raw)
			}
		}
	})
}
