package syslog

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"xsoc/integrations"
)

// Source is what shapes one syslog source's events into alerts and says which become
// incidents: a customers file's syslog_sources entry, read.
type Source struct {
	Name   string
	Format Format
	// Severity maps the sender's severity; it reads DefaultSeverity for what the
	// source's own entries leave out.
	Severity SeverityMap
	// MinSeverity: an event mapped below it is counted, not an incident ("" none).
	MinSeverity integrations.Severity
	// Events: when set, only an event whose detection, name, signature or cat matches
	// one of these globs becomes an incident.
	Events []string
	// HostsFrom are the keys that name the hosts an event is about, in the order they
	// are listed in the alert: the first is the incident's host.
	HostsFrom []string
	// IDFrom are the keys whose values, joined, identify one event: a re-sent event
	// has the same and is a re-delivery. Empty: the vendor's known keys, else a hash
	// of the whole event.
	IDFrom []string
	// DetectionFrom are the keys the detection name is read from, the first present.
	DetectionFrom []string
}

// Defaults of a source that leaves them out.
var (
	DefaultHostsFrom     = []string{"dhost", "dst", "shost", "src"}
	DefaultDetectionFrom = []string{HeaderName, HeaderSignature}
)

// hostPairs are the keys that name one machine together: its name and its address.
// A host read from one key takes the other's value too.
var hostPairs = map[string]string{
	"dhost": "dst", "dst": "dhost", "shost": "src", "src": "shost", "dvchost": "dvc", "dvc": "dvchost",
	"identHostName": "identSrc", "identSrc": "identHostName",
}

// deviceHostKeys name the reporting device: the host of an event that names no other
// (a firewall's own admin-login or configuration event).
var deviceHostKeys = []string{"dvchost", "dvc"}

// vendorIDKeys identify one event of a vendor's own CEF format, where they do: Palo
// Alto Networks' PAN-OS sends deviceExternalId=$serial and externalId=$seqno, a 64-bit
// sequence number with its own number space per log type (the header's Name, $type).
// FortiGate's externalId is the session id, which many events share: its events, like
// those of any vendor not listed, are identified by a hash of the whole event.
var vendorIDKeys = map[string][]string{
	"cef/palo alto networks": {"deviceExternalId", HeaderName, "externalId"},
}

// Keys read for what every alert carries, in either format.
var (
	userKeys = []string{"suser", "duser", "usrName"}
	urlKeys  = []string{"request", "url", "URL"}
	hashKeys = []string{"fileHash", "FileHash", "oldFileHash"}
	ipKeys   = []string{"src", "dst"}
	// timeKeys say when the event happened: CEF's rt (receipt time), end and start,
	// LEEF's devTime, FortiGate's own eventtime.
	timeKeys = []string{"rt", "end", "start", "devTime", "FTNTFGTeventtime"}
)

// Origin is where an event came from, as the listener saw it.
type Origin struct {
	// Hostname is the syslog header's HOSTNAME.
	Hostname string `json:"hostname,omitempty"`
	// Address is the sender's IP address.
	Address string `json:"address,omitempty"`
	Source  string `json:"source,omitempty"`
}

// ErrNoHost is an event that names no host at all: nothing to open an incident on.
var ErrNoHost = errors.New("the event names no host")

// Alert normalizes one event of the source. Only the event itself, never the syslog
// header or the time it arrived, goes into its id, time and hosts, so that the same
// event sent again is the same alert.
func (s Source) Alert(e Event, origin Origin) (integrations.Alert, error) {
	origin.Source = s.Name
	alert := integrations.Alert{
		ID:             s.eventID(e),
		Detection:      firstOf(e, s.DetectionFrom, DefaultDetectionFrom),
		VendorSeverity: e.Severity,
		ObservedAt:     observedAt(e),
		Hosts:          s.hosts(e, origin),
		Users:          values(e, userKeys),
		Indicators:     indicators(e),
		Description:    description(e),
		Raw:            raw(e, origin),
	}
	severity, ok := s.Severity.Lookup(e.Severity)
	if !ok {
		severity, _ = DefaultSeverity.Lookup(e.Severity)
	}
	alert.Severity = severity
	if len(alert.Hosts) == 0 {
		return alert, ErrNoHost
	}
	if err := alert.Validate(); err != nil {
		return alert, err
	}
	return alert, nil
}

// Ignored says why an alert of the source does not become an incident ("" when it
// does): below_min_severity or not_in_events.
func (s Source) Ignored(alert integrations.Alert, e Event) string {
	if s.MinSeverity != "" && alert.Severity.Rank() < s.MinSeverity.Rank() {
		return "below_min_severity"
	}
	if len(s.Events) == 0 {
		return ""
	}
	for _, pattern := range s.Events {
		for _, value := range []string{alert.Detection, e.Name, e.Signature, e.Fields["cat"]} {
			if value != "" && integrations.GlobMatch(pattern, value) {
				return ""
			}
		}
	}
	return "not_in_events"
}

// eventID answers the event's id: the values of the id keys when the event has every
// one of them, else a hash of the event.
func (s Source) eventID(e Event) string {
	keys := s.IDFrom
	if len(keys) == 0 {
		keys = vendorIDKeys[string(e.Format)+"/"+strings.ToLower(strings.TrimSpace(e.Vendor))]
	}
	if len(keys) > 0 {
		parts := make([]string, 0, len(keys))
		for _, key := range keys {
			if v := strings.TrimSpace(e.Get(key)); v != "" {
				parts = append(parts, v)
			}
		}
		if len(parts) == len(keys) {
			if id := strings.Join(parts, "-"); len(id) <= maxIDLength && safeID(id) {
				return id
			}
		}
	}
	sum := sha256.Sum256(e.JSON())
	return string(e.Format) + "-" + hex.EncodeToString(sum[:16])
}

// maxIDLength bounds an id taken from the event: workflow ids are the index.
const maxIDLength = 160

// safeID tells whether id is fit for a workflow id as it is: no spaces, slashes or
// text of the event, only what serials and sequence numbers are made of.
func safeID(id string) bool {
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:@-", r)) {
			return false
		}
	}
	return true
}

// hosts reads the hosts the source's keys name, in their order, pairing a name with
// its address; failing that, the reporting device, the syslog hostname or the sender.
func (s Source) hosts(e Event, origin Origin) []integrations.Host {
	keys := s.HostsFrom
	if len(keys) == 0 {
		keys = DefaultHostsFrom
	}
	hosts := hostsFrom(e, keys)
	if len(hosts) == 0 {
		hosts = hostsFrom(e, deviceHostKeys)
	}
	if len(hosts) == 0 {
		for _, fallback := range []string{origin.Hostname, origin.Address} {
			if fallback = strings.TrimSpace(fallback); fallback != "" && fallback != "-" {
				var h integrations.Host
				setHost(&h, fallback)
				return []integrations.Host{h}
			}
		}
	}
	return hosts
}

func hostsFrom(e Event, keys []string) []integrations.Host {
	var hosts []integrations.Host
	used := map[string]bool{}
	for _, key := range keys {
		if used[key] {
			continue
		}
		used[key] = true
		value := strings.TrimSpace(e.Get(key))
		if value == "" {
			continue
		}
		var h integrations.Host
		setHost(&h, value)
		// The partner joins when it fills the other half (a name to an address): two
		// addresses (FortiGate's dhost is the HTTP host) are two hosts.
		if partner := hostPairs[key]; partner != "" && !used[partner] {
			if v := strings.TrimSpace(e.Get(partner)); v != "" && isAddress(v) == (h.IP == "") {
				setHost(&h, v)
				used[partner] = true
			}
		}
		if !sameHostListed(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// setHost puts an address in the host's IP and anything else in its name.
func setHost(h *integrations.Host, value string) {
	if addr, err := netip.ParseAddr(value); err == nil {
		if h.IP == "" {
			h.IP = addr.String()
		}
		return
	}
	if h.Name == "" {
		h.Name = value
	}
}

func isAddress(value string) bool {
	_, err := netip.ParseAddr(value)
	return err == nil
}

func sameHostListed(hosts []integrations.Host, h integrations.Host) bool {
	for _, listed := range hosts {
		if listed.Label() == h.Label() || h.IP != "" && listed.IP == h.IP && (h.Name == "" || listed.Name == "") {
			return true
		}
	}
	return false
}

// indicators reads the URL (and its domain), the file hash and the IP addresses.
func indicators(e Event) []integrations.Indicator {
	var list []integrations.Indicator
	add := func(kind, value string) {
		for _, listed := range list {
			if listed.Type == kind && listed.Value == value {
				return
			}
		}
		list = append(list, integrations.Indicator{Type: kind, Value: value})
	}
	for _, value := range values(e, urlKeys) {
		add("url", value)
		if domain := urlDomain(value); domain != "" {
			add("domain", domain)
		}
	}
	for _, value := range values(e, hashKeys) {
		if kind := hashType(value); kind != "" {
			add(kind, strings.ToLower(value))
		}
	}
	for _, value := range values(e, ipKeys) {
		if addr, err := netip.ParseAddr(value); err == nil {
			add("ip", addr.String())
		}
	}
	return list
}

// urlDomain answers the host name of an absolute URL ("" for a path or an IP address).
func urlDomain(value string) string {
	u, err := url.Parse(value)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	if _, err := netip.ParseAddr(u.Hostname()); err == nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// hashType tells a hash's kind by its length: MD5, SHA-1 or SHA-256 in hex.
func hashType(value string) string {
	if _, err := hex.DecodeString(value); err != nil {
		return ""
	}
	switch len(value) {
	case 32:
		return "md5"
	case 40:
		return "sha1"
	case 64:
		return "sha256"
	}
	return ""
}

// values answers the non-empty values of keys, each once.
func values(e Event, keys []string) []string {
	var list []string
	for _, key := range keys {
		v := strings.TrimSpace(e.Get(key))
		if v == "" || v == "-" {
			continue
		}
		duplicate := false
		for _, listed := range list {
			duplicate = duplicate || listed == v
		}
		if !duplicate {
			list = append(list, v)
		}
	}
	return list
}

// firstOf answers the first non-empty value of keys (of fallback when keys is empty).
func firstOf(e Event, keys, fallback []string) string {
	if len(keys) == 0 {
		keys = fallback
	}
	for _, key := range keys {
		if v := strings.TrimSpace(e.Get(key)); v != "" {
			return v
		}
	}
	return ""
}

// description is what an analyst reads first: who reported what, what it did about
// it, and the event's own message.
func description(e Event) string {
	parts := []string{strings.TrimSpace(fmt.Sprintf("%s %s %s: %s", e.Vendor, e.Product, e.ProductVersion, firstOf(e, nil, DefaultDetectionFrom)))}
	if action := e.Get("act"); action != "" {
		parts = append(parts, "action "+action)
	}
	if msg := e.Get("msg"); msg != "" {
		parts = append(parts, msg)
	}
	return integrations.Truncate(strings.Join(parts, "; "), 1000)
}

func raw(e Event, origin Origin) json.RawMessage {
	data, err := json.Marshal(struct {
		Event  Event  `json:"event"`
		Syslog Origin `json:"syslog"`
	}{e, origin})
	if err != nil { // strings only
		panic(err)
	}
	return data
}
