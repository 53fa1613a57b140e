package config

import (
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"xsoc/integrations"
	"xsoc/integrations/syslog"
)

// SyslogSource is a network product of the customer (a firewall, a proxy, an NDR
// sensor) that sends its events over syslog, in CEF or LEEF. The sender is known by
// its address (From) or its TLS client certificate (TLSSubject), which authenticate
// it; Hostname, the syslog header's, only tells apart sources that share those (a
// relay forwarding several devices) and never stands alone.
type SyslogSource struct {
	Name string `yaml:"name" json:"name"`
	// From are the sender's addresses: CIDRs, or single addresses.
	From []string `yaml:"from" json:"from,omitempty"`
	// TLSSubject is the subject of the sender's client certificate, verified against
	// XSOC_SYSLOG_CLIENT_CA ("CN=fw01.acme.example" or more attributes, RFC 4514):
	// every attribute given must be the certificate's.
	TLSSubject string `yaml:"tls_subject" json:"tls_subject,omitempty"`
	Hostname   string `yaml:"hostname" json:"hostname,omitempty"`
	Format     string `yaml:"format" json:"format"`
	// MinSeverity: events mapped below it are counted, not incidents.
	MinSeverity string `yaml:"min_severity" json:"min_severity,omitempty"`
	// Events are globs (*) on the event's name: only the events that match become
	// incidents (all when empty).
	Events []string `yaml:"events" json:"events,omitempty"`
	// Severity maps the sender's severity ("0-3": low, "Very-High": critical,
	// unknown: …) over the format's default map.
	Severity map[string]string `yaml:"severity" json:"severity,omitempty"`
	// HostsFrom are the event keys that name the hosts, the first being the
	// incident's host (default dhost, dst, shost, src).
	HostsFrom []string `yaml:"hosts_from" json:"hosts_from,omitempty"`
	// IDFrom are the event keys that identify one event (default: the vendor's known
	// keys, else a hash of the event).
	IDFrom []string `yaml:"id_from" json:"id_from,omitempty"`
	// DetectionFrom are the event keys the detection name is read from, the first
	// present (default name, then signature).
	DetectionFrom []string `yaml:"detection_from" json:"detection_from,omitempty"`
}

// Networks are the source's From as prefixes (a single address is a /32 or /128).
// The file was validated at load: what does not read is left out.
func (s SyslogSource) Networks() []netip.Prefix {
	var prefixes []netip.Prefix
	for _, from := range s.From {
		if p, err := parseNetwork(from); err == nil {
			prefixes = append(prefixes, p)
		}
	}
	return prefixes
}

// Subject is the source's TLSSubject, read (nil when it has none).
func (s SyslogSource) Subject() DistinguishedName {
	dn, _ := ParseDistinguishedName(s.TLSSubject)
	return dn
}

// Mapping is the source as the syslog package shapes its events.
func (s SyslogSource) Mapping() syslog.Source {
	format, _ := syslog.ParseFormat(s.Format)
	severity, _ := syslog.ParseSeverityMap(s.Severity)
	minimum, _ := integrations.ParseSeverity(s.MinSeverity)
	return syslog.Source{
		Name: s.Name, Format: format, Severity: severity.Over(syslog.DefaultSeverity), MinSeverity: minimum,
		Events: s.Events, HostsFrom: s.HostsFrom, IDFrom: s.IDFrom, DetectionFrom: s.DetectionFrom,
	}
}

func parseNetwork(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		if p != p.Masked() {
			return p, fmt.Errorf("%q has host bits set: did you mean %s?", s, p.Masked())
		}
		return p, nil
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or a CIDR (10.20.0.1, 10.20.0.0/24)", s)
	}
	return netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()), nil
}

func (s SyslogSource) validate(add addProblem) {
	if strings.TrimSpace(s.Name) == "" {
		add("name", "required: the source's name, in metrics and logs")
	} else if !validID(s.Name) {
		add("name", "%q may hold only lower-case letters, digits, '-' and '_'", s.Name)
	}
	if len(s.From) == 0 && s.TLSSubject == "" {
		if s.Hostname != "" {
			add("hostname", "only routes: pair it with from: or tls_subject:, which authenticate the sender")
		} else {
			add("from", "required, or tls_subject: who the sender is")
		}
	}
	for i, from := range s.From {
		if _, err := parseNetwork(from); err != nil {
			add(fmt.Sprintf("from[%d]", i), "%v", err)
		}
	}
	if s.TLSSubject != "" {
		if _, err := ParseDistinguishedName(s.TLSSubject); err != nil {
			add("tls_subject", "%v", err)
		}
	}
	if strings.ContainsAny(s.Hostname, " \t*") {
		add("hostname", "%q: want the syslog hostname as the sender writes it (no spaces or patterns)", s.Hostname)
	}
	if s.Format == "" {
		add("format", "required: cef or leef")
	} else if _, err := syslog.ParseFormat(s.Format); err != nil {
		add("format", "%v", err)
	}
	if s.MinSeverity != "" {
		if _, err := integrations.ParseSeverity(s.MinSeverity); err != nil {
			add("min_severity", "%v", err)
		}
	}
	for i, pattern := range s.Events {
		if strings.TrimSpace(pattern) == "" {
			add(fmt.Sprintf("events[%d]", i), "an empty pattern matches nothing")
		}
	}
	_, problems := syslog.ParseSeverityMap(s.Severity)
	for _, p := range problems {
		add("severity."+p.Key, "%v", p.Err)
	}
	for _, keys := range []struct {
		field string
		list  []string
	}{{"hosts_from", s.HostsFrom}, {"id_from", s.IDFrom}, {"detection_from", s.DetectionFrom}} {
		for i, key := range keys.list {
			if strings.TrimSpace(key) == "" || strings.ContainsAny(key, " =|") {
				add(fmt.Sprintf("%s[%d]", keys.field, i), "%q is not an event key", key)
			}
		}
	}
}

// validateSyslogSources checks what only the whole file tells: source names within a
// customer, and senders that two sources would both take with nothing to tell them
// apart (an event must belong to one customer, never to whichever is listed first).
func validateSyslogSources(customers []Customer, found *report) {
	type listed struct {
		customer, index int
		source          SyslogSource
	}
	var all []listed
	for i, c := range customers {
		names := map[string]int{}
		for j, s := range c.SyslogSources {
			if first, dup := names[s.Name]; dup && s.Name != "" {
				found.at(fmt.Sprintf("customers[%d].syslog_sources[%d]", i, j))("name", "duplicate source name (also syslog_sources[%d])", first)
			} else {
				names[s.Name] = j
			}
			all = append(all, listed{i, j, s})
		}
	}
	for b := range all {
		for a := range b {
			shared := sameSenders(all[a].source, all[b].source)
			if shared == "" {
				continue
			}
			first := all[a]
			found.at(fmt.Sprintf("customers[%d].syslog_sources[%d]", all[b].customer, all[b].index))("from",
				"takes the same senders as %s syslog_sources[%d] (%s): %s; tell them apart with hostname: or narrow from:",
				customerLabel(first.customer, customers[first.customer].ID), first.index, first.source.Name, shared)
		}
	}
}

// sameSenders describes the senders two sources both take with the same precision
// ("" when there are none): the same hostname (or none), the same certificate subject
// (or none) and the same network (or none).
func sameSenders(a, b SyslogSource) string {
	if !strings.EqualFold(a.Hostname, b.Hostname) {
		return ""
	}
	subjectA, subjectB := a.Subject(), b.Subject()
	if !subjectA.Equal(subjectB) {
		return ""
	}
	var described []string
	if len(subjectA) > 0 {
		described = append(described, "tls_subject "+subjectA.String())
	}
	networksA, networksB := a.Networks(), b.Networks()
	if len(networksA) > 0 || len(networksB) > 0 {
		common := ""
		for _, p := range networksA {
			if slices.Contains(networksB, p) {
				common = p.String()
				break
			}
		}
		if common == "" {
			return ""
		}
		described = append(described, "from "+common)
	}
	if a.Hostname != "" {
		described = append(described, "hostname "+a.Hostname)
	}
	return strings.Join(described, ", ")
}

// DistinguishedName is a certificate subject as the customers file writes it: its
// attributes in order.
type DistinguishedName []DNAttribute

// DNAttribute is one attribute of a subject: its type (CN, O, …, upper case) and value.
type DNAttribute struct{ Type, Value string }

// dnTypes are the attribute types a subject may name, by their OIDs.
var dnTypes = map[string]string{
	"2.5.4.3": "CN", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST",
	"2.5.4.9": "STREET", "2.5.4.5": "SERIALNUMBER", "0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1": "UID", "1.2.840.113549.1.9.1": "EMAILADDRESS",
}

// ParseDistinguishedName reads a subject written as RFC 4514 does
// ("CN=fw01.acme.example,O=ACME,C=JP"; `\,` and `\2C` escape a comma) or as OpenSSL
// prints it ("/C=JP/O=ACME/CN=fw01.acme.example").
func ParseDistinguishedName(s string) (DistinguishedName, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	separator := ","
	if strings.HasPrefix(s, "/") {
		separator, s = "/", s[1:]
	}
	known := make([]string, 0, len(dnTypes))
	for _, name := range dnTypes {
		known = append(known, name)
	}
	slices.Sort(known)
	var dn DistinguishedName
	for _, part := range splitDN(s, separator) {
		kind, value, found := strings.Cut(part, "=")
		kind = strings.ToUpper(strings.TrimSpace(kind))
		if kind == "E" {
			kind = "EMAILADDRESS"
		}
		if !found || !slices.Contains(known, kind) {
			return nil, fmt.Errorf("%q: want attributes such as CN=fw01.acme.example,O=ACME (known: %s)", s, strings.Join(known, ", "))
		}
		value, err := unescapeDN(strings.TrimSpace(value))
		if err != nil || value == "" {
			return nil, fmt.Errorf("%q: attribute %s has no value", s, kind)
		}
		dn = append(dn, DNAttribute{kind, value})
	}
	return dn, nil
}

// splitDN splits at each separator (and RFC 4514's '+') no backslash escapes.
func splitDN(s, separator string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\':
			i++
		case s[i] == separator[0] || separator == "," && s[i] == '+':
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func unescapeDN(v string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' {
			b.WriteByte(v[i])
			continue
		}
		if i+2 < len(v) {
			if decoded, err := hex.DecodeString(v[i+1 : i+3]); err == nil {
				b.Write(decoded)
				i += 2
				continue
			}
		}
		if i+1 == len(v) {
			return "", errors.New("a subject ends with a backslash")
		}
		b.WriteByte(v[i+1])
		i++
	}
	return b.String(), nil
}

// MatchedBy tells whether a certificate's subject has every attribute of dn (values
// compared without regard to case). An empty dn matches no certificate.
func (dn DistinguishedName) MatchedBy(subject pkix.Name) bool {
	if len(dn) == 0 {
		return false
	}
	var have []DNAttribute
	for _, attribute := range subject.Names {
		if kind, ok := dnTypes[attribute.Type.String()]; ok {
			have = append(have, DNAttribute{kind, fmt.Sprint(attribute.Value)})
		}
	}
	for _, want := range dn {
		if !slices.ContainsFunc(have, func(a DNAttribute) bool { return a.Type == want.Type && strings.EqualFold(a.Value, want.Value) }) {
			return false
		}
	}
	return true
}

// Equal tells whether two subjects hold the same attributes, in any order.
func (dn DistinguishedName) Equal(other DistinguishedName) bool {
	return dn.canonical() == other.canonical()
}

func (dn DistinguishedName) canonical() string {
	parts := make([]string, len(dn))
	for i, a := range dn {
		parts[i] = a.Type + "=" + strings.ToLower(a.Value)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func (dn DistinguishedName) String() string {
	parts := make([]string, len(dn))
	for i, a := range dn {
		parts[i] = a.Type + "=" + a.Value
	}
	return strings.Join(parts, ",")
}
