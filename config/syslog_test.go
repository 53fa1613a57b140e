package config

import (
	"crypto/x509/pkix"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"xsoc/integrations"
	"xsoc/integrations/syslog"
)

const syslogCustomers = `customers:
  - id: acme
    services: [detect]
    webhook_secret_env: S
    response: {policy: hybrid}
    syslog_sources:
      - {name: hq-fortigate, from: ["10.20.0.1/32", 10.21.0.7], format: cef,
         min_severity: medium, events: ["*intrusion*", "*virus*"],
         severity: {"0-3": low, "4-6": medium, "7-8": high, "9-10": critical},
         hosts_from: [dst, src]}
      - {name: dc-paloalto, tls_subject: "CN=pa01.acme.example, O=ACME", format: CEF,
         detection_from: [cat, name], id_from: [deviceExternalId, name, externalId]}
  - id: globex
    services: [detect]
    webhook_secret_env: S
    response: {policy: hybrid}
    syslog_sources:
      - {name: relay-a, from: ["192.0.2.0/24"], hostname: ndr-a, format: leef}
      - {name: relay-b, from: ["192.0.2.0/24"], hostname: ndr-b, format: leef}
`

func TestSyslogSourcesLoad(t *testing.T) {
	customers, err := ParseCustomers("c.yaml", []byte(syslogCustomers), env("S"))
	if err != nil {
		t.Fatal(err)
	}
	acme, _ := customers.Customer("acme")
	fortigate, paloalto := acme.SyslogSources[0], acme.SyslogSources[1]
	want := []netip.Prefix{netip.MustParsePrefix("10.20.0.1/32"), netip.MustParsePrefix("10.21.0.7/32")}
	if got := fortigate.Networks(); !slices.Equal(got, want) {
		t.Errorf("networks %v, want %v", got, want)
	}
	mapping := fortigate.Mapping()
	if mapping.Format != syslog.CEF || mapping.MinSeverity != integrations.SeverityMedium || !slices.Equal(mapping.HostsFrom, []string{"dst", "src"}) {
		t.Errorf("mapping %+v", mapping)
	}
	if severity, _ := mapping.Severity.Lookup("Very-High"); severity != integrations.SeverityCritical {
		t.Errorf("a word the source does not map reads the default map: %s", severity)
	}
	if got := paloalto.Mapping(); got.Format != syslog.CEF || !slices.Equal(got.DetectionFrom, []string{"cat", "name"}) {
		t.Errorf("mapping %+v", got)
	}
	if got := paloalto.Subject().String(); got != "CN=pa01.acme.example,O=ACME" {
		t.Errorf("subject %q", got)
	}
}

func TestSyslogSourceProblemsAreAllNamed(t *testing.T) {
	file := `customers:
  - id: acme
    services: [detect]
    webhook_secret_env: S
    response: {policy: hybrid}
    syslog_sources:
      - {hostname: fw01, format: cef}
      - {name: a, from: ["10.0.0.1/24", "fw01.acme.example"], format: json}
      - {name: b, tls_subject: "fw01.acme.example", format: leef, min_severity: urgent}
      - {name: c, from: [10.0.0.9], format: cef, severity: {"0-5": low, "5-9": high, "9+": medium, "7": urgent}}
      - {name: c, from: [10.0.0.10], format: cef, hosts_from: [dst, ""], events: [""]}
      - {name: d, from: [10.0.0.11]}
  - id: globex
    services: [detect]
    webhook_secret_env: S
    response: {policy: hybrid}
    syslog_sources:
      - {name: fw, from: [10.0.0.9/32], format: cef}
`
	requireProblems(t, problemsOf(t, file, env("S")), 15,
		`line 7: customer "acme": syslog_sources[0].hostname: only routes: pair it with from: or tls_subject:`,
		`line 7: customer "acme": syslog_sources[0].name: required`,
		`syslog_sources[1].from[0]: "10.0.0.1/24" has host bits set: did you mean 10.0.0.0/24?`,
		`syslog_sources[1].from[1]: "fw01.acme.example" is not an address or a CIDR`,
		`syslog_sources[1].format: unknown format "json"`,
		`syslog_sources[2].tls_subject: "fw01.acme.example": want attributes such as CN=`,
		`syslog_sources[2].min_severity: unknown severity "urgent"`,
		`syslog_sources[3].severity.5-9: overlaps 0-5`,
		`syslog_sources[3].severity.9+: "9+" is not a number`,
		`syslog_sources[3].severity.7: unknown severity "urgent"`,
		`syslog_sources[4].name: duplicate source name (also syslog_sources[3])`,
		`syslog_sources[4].hosts_from[1]: "" is not an event key`,
		`syslog_sources[4].events[0]: an empty pattern matches nothing`,
		`syslog_sources[5].format: required: cef or leef`,
		`line 18: customer "globex": syslog_sources[0].from: takes the same senders as customer "acme" syslog_sources[3] (c): from 10.0.0.9/32; tell them apart with hostname: or narrow from:`,
	)
}

// Sources may share a sender when the hostname tells them apart or one is narrower;
// the same subject or network with the same hostname is refused.
func TestSyslogSourcesSharingSenders(t *testing.T) {
	cases := []struct {
		name    string
		a, b    SyslogSource
		refused bool
	}{
		{"same network", SyslogSource{From: []string{"10.0.0.0/24"}}, SyslogSource{From: []string{"10.0.0.0/24"}}, true},
		{"same address written two ways", SyslogSource{From: []string{"10.0.0.5"}}, SyslogSource{From: []string{"10.0.0.5/32"}}, true},
		{"a narrower network", SyslogSource{From: []string{"10.0.0.0/16"}}, SyslogSource{From: []string{"10.0.0.0/24"}}, false},
		{"hostnames tell apart", SyslogSource{From: []string{"10.0.0.5"}, Hostname: "fw-a"}, SyslogSource{From: []string{"10.0.0.5"}, Hostname: "fw-b"}, false},
		{"same hostname", SyslogSource{From: []string{"10.0.0.5"}, Hostname: "FW-A"}, SyslogSource{From: []string{"10.0.0.5"}, Hostname: "fw-a"}, true},
		{"same subject in another order", SyslogSource{TLSSubject: "CN=fw,O=ACME"}, SyslogSource{TLSSubject: "O=ACME, CN=fw"}, true},
		{"a subject and an address", SyslogSource{TLSSubject: "CN=fw"}, SyslogSource{From: []string{"10.0.0.5"}}, false},
		{"a subject with an address", SyslogSource{TLSSubject: "CN=fw", From: []string{"10.0.0.5"}}, SyslogSource{TLSSubject: "CN=fw"}, false},
	}
	for _, c := range cases {
		if got := sameSenders(c.a, c.b) != ""; got != c.refused {
			t.Errorf("%s: shared %v, want %v", c.name, got, c.refused)
		}
	}
}

func TestDistinguishedNames(t *testing.T) {
	subject := func(n pkix.Name) pkix.Name {
		var filled pkix.Name
		filled.FillFromRDNSequence(new(n.ToRDNSequence()))
		return filled
	}
	cert := subject(pkix.Name{CommonName: "fw01.acme.example", Organization: []string{"ACME, Inc."}, OrganizationalUnit: []string{"NetOps", "SOC"}, Country: []string{"JP"}})
	cases := []struct {
		dn    string
		match bool
	}{
		{"CN=fw01.acme.example", true},
		{"cn=FW01.ACME.EXAMPLE", true},
		{`CN=fw01.acme.example,O=ACME\, Inc.,C=JP`, true},
		{`CN=fw01.acme.example,O=ACME\2C Inc.`, true},
		{"/C=JP/O=ACME, Inc./CN=fw01.acme.example", true},
		{"CN=fw01.acme.example+OU=SOC", true},
		{"CN=fw01.acme.example,OU=Sales", false},
		{"CN=fw02.acme.example", false},
		{"CN=fw01.acme.example,O=ACME", false},
	}
	for _, c := range cases {
		dn, err := ParseDistinguishedName(c.dn)
		if err != nil {
			t.Fatalf("%q: %v", c.dn, err)
		}
		if got := dn.MatchedBy(cert); got != c.match {
			t.Errorf("%q matches %v, want %v", c.dn, got, c.match)
		}
	}
	if DistinguishedName(nil).MatchedBy(cert) {
		t.Error("no subject matches a certificate")
	}
	for _, bad := range []string{"fw01", "XX=fw01", "CN=", `CN=fw\`} {
		if _, err := ParseDistinguishedName(bad); err == nil {
			t.Errorf("%q read", bad)
		}
	}
}

// The syslog_sources example of docs/platforms.md is a valid customers file.
func TestTheDocumentedSyslogExampleLoads(t *testing.T) {
	doc, err := os.ReadFile("../docs/platforms.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, found := strings.Cut(string(doc), "```yaml\n    syslog_sources:\n")
	block, _, closed := strings.Cut(rest, "```")
	if !found || !closed {
		t.Fatal("docs/platforms.md has no syslog_sources example")
	}
	file := `customers:
  - id: acme
    services: [detect]
    webhook_secret_env: S
    response: {policy: hybrid}
    syslog_sources:
` + block
	customers, err := ParseCustomers("docs/platforms.md", []byte(file), env("S"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(customers.Customers[0].SyslogSources); n != 2 {
		t.Errorf("%d sources, want the FortiGate and the Palo Alto", n)
	}
}
