package syslogd

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net/netip"
	"testing"

	"xsoc/config"
)

func TestTheMostPreciseSourceTakesTheSender(t *testing.T) {
	file := `customers:
  - id: acme
    services: [detect]
    webhook_secret_env: S
    response: {policy: hybrid}
    syslog_sources:
      - {name: campus, from: ["10.0.0.0/8"], format: cef}
      - {name: dc, from: ["10.1.0.0/16"], format: cef}
      - {name: relay-fw, from: ["10.1.2.3"], hostname: fw01, format: cef}
      - {name: pa, tls_subject: "CN=pa01.acme.example", format: cef}
      - {name: pa-dc, tls_subject: "CN=pa01.acme.example", from: ["10.1.0.0/16"], format: cef}
  - id: globex
    services: [detect]
    webhook_secret_env: S
    response: {policy: hybrid}
    syslog_sources:
      - {name: relay-ndr, from: ["10.1.2.3"], hostname: ndr01, format: leef}
`
	customers, err := config.ParseCustomers("c.yaml", []byte(file), func(string) (string, bool) { return "x", true })
	if err != nil {
		t.Fatal(err)
	}
	rs := newRoutes(customers)
	var subject pkix.Name
	subject.FillFromRDNSequence(new((pkix.Name{CommonName: "pa01.acme.example"}).ToRDNSequence()))
	certificate := &x509.Certificate{Subject: subject}
	cases := []struct {
		address     string
		certificate *x509.Certificate
		hostname    string
		want        string
	}{
		{"10.9.9.9", nil, "x", "campus"},
		{"10.1.9.9", nil, "x", "dc"},
		{"10.1.2.3", nil, "FW01", "relay-fw"},
		{"10.1.2.3", nil, "ndr01", "relay-ndr"},
		{"10.1.2.3", nil, "other", "dc"},
		{"::ffff:10.1.2.3", nil, "other", "dc"},
		{"192.0.2.1", certificate, "x", "pa"},
		{"10.1.9.9", certificate, "x", "pa-dc"},
		{"192.0.2.1", nil, "x", ""},
	}
	for _, c := range cases {
		r := rs.find(sender{address: netip.MustParseAddr(c.address), certificate: c.certificate}, c.hostname)
		got := ""
		if r != nil {
			got = r.source.Name
		}
		if got != c.want {
			t.Errorf("%s (certificate %v) hostname %s: source %q, want %q", c.address, c.certificate != nil, c.hostname, got, c.want)
		}
	}
	if r := rs.authenticated(sender{address: netip.MustParseAddr("10.1.2.3")}); r == nil || r.source.Name != "dc" {
		t.Errorf("a message without a hostname from a relay counts against %v, want dc (no hostname)", r)
	}
}
