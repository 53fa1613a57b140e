package syslog

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"xsoc/integrations"
)

// samples reads the events of a testdata file: its lines that are not comments.
func samples(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // read only
	var lines []string
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if line := scanner.Text(); line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		t.Fatalf("%s holds no event", file)
	}
	return lines
}

func source(format Format, edit func(*Source)) Source {
	s := Source{Name: "test", Format: format, Severity: DefaultSeverity}
	if edit != nil {
		edit(&s)
	}
	return s
}

// The vendors' published events, through a source as docs/platforms.md configures each
// vendor, become the alerts an analyst expects.
func TestVendorSamplesBecomeAlerts(t *testing.T) {
	panDetection := func(s *Source) { s.DetectionFrom = []string{"cat", HeaderName}; s.HostsFrom = []string{"src", "dst"} }
	cases := []struct {
		file   string
		line   int
		source Source
		want   integrations.Alert
		id     string // "" for a hash of the event
	}{
		{file: "fortigate-ips.log", source: source(CEF, nil), want: integrations.Alert{
			Detection: "utm:ips signature reset", Severity: integrations.SeverityHigh, VendorSeverity: "7",
			ObservedAt: time.Date(2018, 12, 27, 19, 28, 7, 0, time.UTC),
			Hosts:      []integrations.Host{{IP: "172.16.200.55"}, {IP: "10.1.100.11"}},
			Indicators: []integrations.Indicator{{Type: "url", Value: "/virus/eicar.com"}, {Type: "ip", Value: "172.16.200.55"}, {Type: "ip", Value: "10.1.100.11"}},
		}},
		{file: "fortigate-login-failed.log", source: source(CEF, func(s *Source) { s.HostsFrom = []string{"src"} }), want: integrations.Alert{
			Detection: "event:system login failed", Severity: integrations.SeverityHigh, VendorSeverity: "7",
			ObservedAt: time.Date(2018, 12, 27, 19, 15, 40, 0, time.UTC),
			Hosts:      []integrations.Host{{IP: "172.16.200.254"}}, Users: []string{"admin1"},
			Indicators: []integrations.Indicator{{Type: "ip", Value: "172.16.200.254"}, {Type: "ip", Value: "172.16.200.1"}},
		}},
		{file: "fortigate-traffic-5.6.log", source: source(CEF, nil), want: integrations.Alert{
			Detection: "traffic:forward close", Severity: integrations.SeverityLow, VendorSeverity: "3",
			Hosts:      []integrations.Host{{IP: "192.168.70.184"}, {IP: "192.168.1.183"}},
			Indicators: []integrations.Indicator{{Type: "ip", Value: "192.168.1.183"}, {Type: "ip", Value: "192.168.70.184"}},
		}},
		{file: "fortianalyzer-virus.log", source: source(CEF, func(s *Source) { s.HostsFrom = []string{"dvchost"} }), want: integrations.Alert{
			Detection: "virus utm monitored", Severity: integrations.SeverityMedium, VendorSeverity: "5",
			ObservedAt: time.Date(2022, 12, 8, 17, 0, 55, 0, time.UTC),
			Hosts:      []integrations.Host{{Name: "Alza-kvm41"}},
			Indicators: []integrations.Indicator{{Type: "ip", Value: "1.1.1.1"}, {Type: "ip", Value: "2.2.2.2"}},
		}},
		{file: "paloalto-threat.log", source: source(CEF, panDetection), id: "007051000123456-THREAT-7359061", want: integrations.Alert{
			Detection: "Virus/Win32.WGeneric.cbbw(2157441)", Severity: integrations.SeverityMedium, VendorSeverity: "4",
			ObservedAt: time.Date(2026, 3, 1, 9, 12, 44, 0, time.UTC),
			Hosts:      []integrations.Host{{IP: "10.20.1.15"}, {IP: "198.51.100.23"}}, Users: []string{`acme\taro`},
			Indicators: []integrations.Indicator{
				{Type: "url", Value: "http://malware.example.net/dl/invoice.exe"}, {Type: "domain", Value: "malware.example.net"},
				{Type: "sha256", Value: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"},
				{Type: "ip", Value: "10.20.1.15"}, {Type: "ip", Value: "198.51.100.23"}},
		}},
		{file: "paloalto-threat.leef", source: source(LEEF, func(s *Source) {
			s.IDFrom = []string{"DeviceSN", "cat", "SequenceNo"}
			s.HostsFrom = []string{"src", "dst"}
		}), id: "007051000123456-THREAT-7359061", want: integrations.Alert{
			Detection: "Virus/Win32.WGeneric.cbbw(2157441)", Severity: integrations.SeverityMedium,
			Hosts: []integrations.Host{{IP: "10.20.1.15"}, {IP: "198.51.100.23"}}, Users: []string{`acme\taro`},
			Indicators: []integrations.Indicator{
				{Type: "sha256", Value: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"},
				{Type: "ip", Value: "10.20.1.15"}, {Type: "ip", Value: "198.51.100.23"}},
		}},
		{file: "qradar-guide.leef", line: 1, source: source(LEEF, nil), want: integrations.Alert{
			Detection: "41", Severity: integrations.SeverityMedium, VendorSeverity: "5",
			Hosts: []integrations.Host{{IP: "172.50.123.1"}, {IP: "192.0.2.0"}}, Users: []string{"joe.black"},
			Indicators: []integrations.Indicator{{Type: "ip", Value: "192.0.2.0"}, {Type: "ip", Value: "172.50.123.1"}},
		}},
		{file: "cef-spec-escapes.log", source: source(CEF, func(s *Source) {
			s.Severity = mustSeverityMap(map[string]string{"10": "emergency"}).Over(DefaultSeverity)
		}),
			want: integrations.Alert{
				Detection: "worm successfully stopped", Severity: integrations.SeverityEmergency, VendorSeverity: "10",
				Hosts:      []integrations.Host{{IP: "2.1.2.2"}, {IP: "10.0.0.1"}},
				Indicators: []integrations.Indicator{{Type: "ip", Value: "10.0.0.1"}, {Type: "ip", Value: "2.1.2.2"}},
			}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			text := samples(t, c.file)[c.line]
			e, err := Parse(c.source.Format, text)
			if err != nil {
				t.Fatal(err)
			}
			alert, err := c.source.Alert(e, Origin{Hostname: "relay01", Address: "192.0.2.99"})
			if err != nil {
				t.Fatal(err)
			}
			if c.id != "" && alert.ID != c.id {
				t.Errorf("id %q, want %q", alert.ID, c.id)
			}
			if c.id == "" && !strings.HasPrefix(alert.ID, string(c.source.Format)+"-") {
				t.Errorf("id %q, want a hash of the event", alert.ID)
			}
			got := alert
			got.ID, got.Description, got.Raw = "", "", nil
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("alert\n got %+v\nwant %+v", got, c.want)
			}
			if !strings.Contains(alert.Description, e.Vendor) || !strings.Contains(string(alert.Raw), `"source":"test"`) {
				t.Errorf("description %q and raw %s: want the vendor and the source", alert.Description, alert.Raw)
			}
		})
	}
}

// Every line of every sample parses in its file's format.
func TestEverySampleParses(t *testing.T) {
	files, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		format := CEF
		if strings.HasSuffix(file, ".leef") {
			format = LEEF
		}
		for i, line := range samples(t, filepath.Base(file)) {
			if _, err := Parse(format, line); err != nil {
				t.Errorf("%s, event %d: %v", file, i+1, err)
			}
		}
	}
}

func TestCEFSpecEscapesReachTheAlert(t *testing.T) {
	lines := samples(t, "cef-spec-escapes.log")
	wants := []struct{ detection, action, msg string }{
		{"worm successfully stopped", "", ""},
		{"detected a | in message", "blocked a |", ""},
		{`detected a \ in packet`, `blocked a \`, ""},
		{"detected a = in message", "blocked a =", ""},
		{"detected a threat", "", "Detected a threat.\n No action needed."},
	}
	for i, want := range wants {
		e, err := ParseCEF(lines[i])
		if err != nil {
			t.Fatal(err)
		}
		if e.Name != want.detection || e.Fields["act"] != want.action || e.Fields["msg"] != want.msg {
			t.Errorf("event %d: name %q act %q msg %q, want %q %q %q", i+1, e.Name, e.Fields["act"], e.Fields["msg"], want.detection, want.action, want.msg)
		}
	}
}

// The same event sent again has the same id, whatever syslog header carried it; two
// events that differ in anything have two.
func TestEventIDIsStable(t *testing.T) {
	s := source(CEF, nil)
	text := samples(t, "fortigate-ips.log")[0]
	idOf := func(text string, origin Origin) string {
		e, err := ParseCEF(text)
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.Alert(e, origin)
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	first := idOf(text, Origin{Hostname: "FGT-A-LOG", Address: "10.0.0.1"})
	resent := idOf(strings.Replace(text, "Dec 27 11:28:07", "Dec 27 11:30:00", 1), Origin{Hostname: "other", Address: "10.0.0.2"})
	if first != resent {
		t.Errorf("a re-sent event has id %q, the first %q", resent, first)
	}
	if other := idOf(strings.Replace(text, "externalId=901", "externalId=902", 1), Origin{}); other == first {
		t.Errorf("another event has the same id %q", first)
	}
}

func TestEventIDFromKeys(t *testing.T) {
	e, err := ParseCEF(`CEF:0|v|p|1|100|n|5|src=10.0.0.1 deviceExternalId=FW 1 externalId=42 cs1=a/b`)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		idFrom []string
		want   string
	}{
		{[]string{"externalId"}, "42"},
		{[]string{HeaderSignature, "externalId"}, "100-42"},
		{[]string{"externalId", "missing"}, ""},          // a key the event lacks: a hash
		{[]string{"deviceExternalId", "externalId"}, ""}, // a space: not fit for a workflow id
		{[]string{"cs1"}, ""},                            // a slash
	}
	for _, c := range cases {
		a, err := source(CEF, func(s *Source) { s.IDFrom = c.idFrom }).Alert(e, Origin{})
		if err != nil {
			t.Fatal(err)
		}
		if c.want == "" && !strings.HasPrefix(a.ID, "cef-") || c.want != "" && a.ID != c.want {
			t.Errorf("id_from %v: id %q, want %q", c.idFrom, a.ID, c.want)
		}
	}
}

func TestHostsPairNamesWithAddressesAndFallBack(t *testing.T) {
	cases := []struct {
		name, text string
		hostsFrom  []string
		origin     Origin
		want       []integrations.Host
	}{
		{"name and address of each side", `CEF:0|v|p|1|1|n|5|dhost=db01 dst=10.0.0.5 shost=pc17 src=10.0.0.9`, nil, Origin{},
			[]integrations.Host{{Name: "db01", IP: "10.0.0.5"}, {Name: "pc17", IP: "10.0.0.9"}}},
		{"the order the source gives", `CEF:0|v|p|1|1|n|5|dhost=db01 dst=10.0.0.5 shost=pc17 src=10.0.0.9`, []string{"src", "dhost"}, Origin{},
			[]integrations.Host{{Name: "pc17", IP: "10.0.0.9"}, {Name: "db01", IP: "10.0.0.5"}}},
		{"only the keys it lists", `CEF:0|v|p|1|1|n|5|dhost=db01 dst=10.0.0.5 shost=pc17 src=10.0.0.9`, []string{"shost"}, Origin{},
			[]integrations.Host{{Name: "pc17", IP: "10.0.0.9"}}},
		{"a vendor key", `LEEF:1.0|v|p|1|E|identHostName=pc17` + "\tidentSrc=10.0.0.9", []string{"identHostName"}, Origin{},
			[]integrations.Host{{Name: "pc17", IP: "10.0.0.9"}}},
		{"the reporting device", `CEF:0|v|p|1|1|n|5|dvchost=fw01 dvc=10.0.0.1`, nil, Origin{Hostname: "relay"},
			[]integrations.Host{{Name: "fw01", IP: "10.0.0.1"}}},
		{"the syslog hostname", `CEF:0|v|p|1|1|n|5|act=blocked`, nil, Origin{Hostname: "fw01", Address: "10.0.0.1"},
			[]integrations.Host{{Name: "fw01"}}},
		{"the sender", `CEF:0|v|p|1|1|n|5|act=blocked`, nil, Origin{Hostname: "-", Address: "10.0.0.1"},
			[]integrations.Host{{IP: "10.0.0.1"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			format := CEF
			if strings.HasPrefix(c.text, "LEEF") {
				format = LEEF
			}
			e, err := Parse(format, c.text)
			if err != nil {
				t.Fatal(err)
			}
			a, err := source(format, func(s *Source) { s.HostsFrom = c.hostsFrom }).Alert(e, c.origin)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a.Hosts, c.want) {
				t.Errorf("hosts %+v, want %+v", a.Hosts, c.want)
			}
		})
	}
	e, _ := ParseCEF(`CEF:0|v|p|1|1|n|5|act=blocked`)
	if _, err := source(CEF, nil).Alert(e, Origin{}); err != ErrNoHost {
		t.Errorf("an event with no host from nowhere: %v, want ErrNoHost", err)
	}
}

func TestIndicatorsByKind(t *testing.T) {
	e, err := ParseCEF(`CEF:0|v|p|1|1|n|5|request=https://Evil.Example:8443/x?a=1 fileHash=D41D8CD98F00B204E9800998ECF8427E ` +
		`oldFileHash=da39a3ee5e6b4b0d3255bfef95601890afd80709 src=2001:db8::1 dst=not-an-ip`)
	if err != nil {
		t.Fatal(err)
	}
	got := indicators(e)
	want := []integrations.Indicator{
		{Type: "url", Value: "https://Evil.Example:8443/x?a=1"}, {Type: "domain", Value: "evil.example"},
		{Type: "md5", Value: "d41d8cd98f00b204e9800998ecf8427e"}, {Type: "sha1", Value: "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{Type: "ip", Value: "2001:db8::1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("indicators\n got %+v\nwant %+v", got, want)
	}
	if bad, _ := ParseCEF(`CEF:0|v|p|1|1|n|5|fileHash=1234 src=10.0.0.1`); len(indicators(bad)) != 1 {
		t.Errorf("a hash of no known length is an indicator: %+v", indicators(bad))
	}
}

func TestSourceIgnoresBelowMinSeverityAndOutsideItsEvents(t *testing.T) {
	s := source(CEF, func(s *Source) {
		s.MinSeverity = integrations.SeverityMedium
		s.Events = []string{"*intrusion*", "*virus*", "utm:ips"}
	})
	cases := []struct{ text, want string }{
		{`CEF:0|v|p|1|1|Intrusion attempt|7|src=10.0.0.1`, ""},
		{`CEF:0|v|p|1|1|Intrusion attempt|2|src=10.0.0.1`, "below_min_severity"},
		{`CEF:0|v|p|1|1|port scan|7|src=10.0.0.1`, "not_in_events"},
		{`CEF:0|v|p|1|VIRUS-77|blocked file|7|src=10.0.0.1`, ""}, // the signature matches
		{`CEF:0|v|p|1|1|signature reset|7|cat=utm:ips src=10.0.0.1`, ""},
	}
	for _, c := range cases {
		e, err := ParseCEF(c.text)
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.Alert(e, Origin{})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Ignored(a, e); got != c.want {
			t.Errorf("%s: ignored %q, want %q", c.text, got, c.want)
		}
	}
}

func TestSeverityMapReadsNumbersRangesAndWords(t *testing.T) {
	m, problems := ParseSeverityMap(map[string]string{"0-3": "info", "10": "emergency", "Very-High": "emergency", "unknown": "high"})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	m = m.Over(DefaultSeverity)
	cases := map[string]integrations.Severity{
		"0": "info", "3": "info", "4": "medium", "8": "high", "9": "critical", "10": "emergency",
		"very-high": "emergency", "High": "high", "": "high", "11": "high", "-1": "high", "7.5": "high", "whatever": "high",
	}
	for vendor, want := range cases {
		if got, _ := m.Lookup(vendor); got != want {
			t.Errorf("%q maps to %s, want %s", vendor, got, want)
		}
	}
	if got, _ := DefaultSeverity.Lookup(""); got != integrations.SeverityMedium {
		t.Errorf("no severity maps to %s by default, want medium", got)
	}
}

func TestSeverityMapNamesEveryBadEntry(t *testing.T) {
	_, problems := ParseSeverityMap(map[string]string{
		"0-3": "low", "3-5": "medium", "9-7": "high", "1x": "high", "7": "urgent", "": "low",
	})
	var keys []string
	for _, p := range problems {
		keys = append(keys, p.Key)
	}
	slices.Sort(keys)
	if want := []string{"", "1x", "3-5", "7", "9-7"}; !slices.Equal(keys, want) {
		t.Errorf("problems for %q, want %q: %v", keys, want, problems)
	}
}

func TestEventTimes(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		value, layout string
		want          time.Time
	}{
		{"1545938887", "", time.Date(2018, 12, 27, 19, 28, 7, 0, time.UTC)},
		{"1545938887123", "", time.Date(2018, 12, 27, 19, 28, 7, 123e6, time.UTC)},
		{"1670490056812274807", "", time.Unix(0, 1670490056812274807).UTC()},
		{"Mar 01 2026 09:12:44 GMT", "", time.Date(2026, 3, 1, 9, 12, 44, 0, time.UTC)},
		{"Mar  1 2026 18:12:44.250 JST", "", time.Date(2026, 3, 1, 9, 12, 44, 250e6, time.UTC)},
		{"Mar 1 2026 09:12:44 +0900", "", time.Date(2026, 3, 1, 0, 12, 44, 0, time.UTC)},
		{"Feb 28 23:00:00", "", time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC)},
		{"Dec 31 23:00:00", "", time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC)},
		{"2026-03-01T09:12:44Z", "", time.Date(2026, 3, 1, 9, 12, 44, 0, time.UTC)},
		{"2026/03/01 09:12:44", javaLayout("yyyy/MM/dd HH:mm:ss"), time.Date(2026, 3, 1, 9, 12, 44, 0, time.UTC)},
		{"01.03.2026 at 09:12", javaLayout("dd.MM.yyyy 'at' HH:mm"), time.Date(2026, 3, 1, 9, 12, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		got, ok := parseEventTime(c.value, c.layout, now)
		if !ok || !got.Equal(c.want) {
			t.Errorf("%q: %v %v, want %v", c.value, got.UTC(), ok, c.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "Mar 1 2026 09:12:44 XYZ"} {
		if got, ok := parseEventTime(bad, "", now); ok {
			t.Errorf("%q read as %v", bad, got)
		}
	}
	if javaLayout("yyyy-MM-dd qq") != "" {
		t.Error("a devTimeFormat with letters Go cannot read is read")
	}
}
