package zscaler

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"xsoc/integrations"
)

// Vendor is the platform name in the customers file, the intake path and workflow ids.
const Vendor = "zscaler"

// ParseFeed parses one Cloud NSS feed HTTP POST body of ZIA web-log events (JSON output
// type). The body may be a JSON array of events, a single event, or events one after
// another (newline-delimited, which is how NSS batches; commas between them are
// tolerated), and each event may be bare or wrapped as {"sourcetype":"zscalernss-web",
// "event":{...}}.
//
// Field names are those of Zscaler's "NSS feed output format: web logs" (recordid,
// login, cip, sip, url, host, action, urlcat, threatname, threatseverity, riskscore,
// bamd5, devicehostname, ...), also under the names the vendor-published Splunk/Datadog
// feed formats give them (event_id, user, ClientIP, serverip, hostname, urlcategory,
// threatcategory, pagerisk, ...) and the Sentinel CEF-style ones (externalId, suser,
// src, dst, request, dhost, act, csN with csNLabel). Values may be strings even for
// numbers, "None"/"NA" mean absent, and the e-prefixed (hex-encoded) and b64-prefixed
// variants are decoded.
//
// An event is a threat when it names a threat (threatname), carries a malware category
// (malwarecat other than benign/sandbox submission), or was blocked for a security URL
// category (malware, phishing, botnet, spyware, command and control, ... or a URL class
// or super category of security risk). Each threat becomes one alert keyed by its
// recordid; every other event is counted in clean and dropped. A threat event without
// recordid, or without any host (devicehostname, cip), fails the whole body, since
// the NSS will send it again and no half of a batch may be started.
func ParseFeed(body []byte, severityMap map[string]string) (alerts []integrations.Alert, clean int, err error) {
	events, err := splitFeed(body)
	if err != nil {
		return nil, 0, err
	}
	for i, ev := range events {
		alert, threat, err := ev.alert(severityMap)
		if err != nil {
			return nil, 0, fmt.Errorf("zscaler NSS feed: events[%d]: %w", i, err)
		}
		if !threat {
			clean++
			continue
		}
		alerts = append(alerts, alert)
	}
	return alerts, clean, nil
}

// DefaultSeverity maps Zscaler's threat severity to xsoc's scale. ZIA rates threats by
// the Page Risk Index (riskscore 0-100) and names the bands in threatseverity:
//
//	Critical (90-100) -> critical
//	High     (75-89)  -> high
//	Medium   (46-74)  -> medium
//	Low      (1-45)   -> low
//	None (0), empty or unknown -> medium
//
// A riskscore number is accepted in place of the band name. A threat event that ZIA did
// not rate is still a detected threat (a threat name or a blocked malware category), so
// it lands in the middle of the scale: seen and mailed, but it wakes nobody up. Emergency
// is never a default: only an analyst's escalation or a customer override gives it.
func DefaultSeverity(vendorSeverity string) integrations.Severity {
	word := strings.ToLower(firstWord(vendorSeverity))
	if score, err := strconv.Atoi(word); err == nil {
		word = strings.ToLower(riskBand(score))
	}
	switch word {
	case "critical":
		return integrations.SeverityCritical
	case "high":
		return integrations.SeverityHigh
	case "medium":
		return integrations.SeverityMedium
	case "low":
		return integrations.SeverityLow
	}
	return integrations.SeverityMedium
}

// riskBand names a Page Risk Index score the way threatseverity does.
func riskBand(score int) string {
	switch {
	case score >= 90:
		return "Critical"
	case score >= 75:
		return "High"
	case score >= 46:
		return "Medium"
	case score >= 1:
		return "Low"
	}
	return "None"
}

// severityFor applies the customer's override (keys compared without regard to case),
// then the default mapping.
func severityFor(vendorSeverity string, overrides map[string]string) (integrations.Severity, error) {
	for key, ours := range overrides {
		if strings.EqualFold(strings.TrimSpace(key), vendorSeverity) {
			sev, err := integrations.ParseSeverity(ours)
			if err != nil {
				return "", fmt.Errorf("severity_map[%q]: %w", key, err)
			}
			return sev, nil
		}
	}
	return DefaultSeverity(vendorSeverity), nil
}

func firstWord(s string) string {
	if fields := strings.Fields(s); len(fields) > 0 {
		return fields[0]
	}
	return ""
}

// nssEvent is one feed event: its scalar fields with lower-cased keys and text values,
// and the element exactly as it came (compacted), kept as the alert's raw payload.
type nssEvent struct {
	fields map[string]string
	raw    json.RawMessage
}

// splitFeed cuts the body into events, whatever the framing.
func splitFeed(body []byte) ([]nssEvent, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, errors.New("zscaler NSS feed: body is empty (want web-log events in the NSS JSON output type)")
	}
	if trimmed[0] != '{' && trimmed[0] != '[' {
		return nil, fmt.Errorf("zscaler NSS feed: body is not JSON (it starts with %q); want web-log events in the NSS JSON output type", preview(trimmed))
	}
	var events []nssEvent
	rest, offset := body, 0
	for {
		skipped := len(rest) - len(bytes.TrimLeft(rest, " \t\r\n,"))
		rest, offset = rest[skipped:], offset+skipped
		if len(rest) == 0 {
			break
		}
		dec := json.NewDecoder(bytes.NewReader(rest))
		dec.UseNumber()
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, fmt.Errorf("zscaler NSS feed: body is not valid JSON near byte %d: %s", offset+syntaxOffset(err), err)
		}
		consumed := int(dec.InputOffset())
		rest, offset = rest[consumed:], offset+consumed
		switch value[0] {
		case '[':
			var elements []json.RawMessage
			if err := json.Unmarshal(value, &elements); err != nil {
				return nil, fmt.Errorf("zscaler NSS feed: array near byte %d: %w", offset, err)
			}
			for _, el := range elements {
				ev, err := decodeEvent(el)
				if err != nil {
					return nil, fmt.Errorf("zscaler NSS feed: events[%d]: %w", len(events), err)
				}
				events = append(events, ev)
			}
		default:
			ev, err := decodeEvent(value)
			if err != nil {
				return nil, fmt.Errorf("zscaler NSS feed: events[%d]: %w", len(events), err)
			}
			events = append(events, ev)
		}
	}
	return events, nil
}

func syntaxOffset(err error) int {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return int(syn.Offset)
	}
	return 0
}

func preview(b []byte) string {
	const n = 20
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// decodeEvent reads one element: a bare event or a {"sourcetype", "event"} wrapper.
func decodeEvent(element json.RawMessage) (nssEvent, error) {
	outer, err := decodeObject(element)
	if err != nil {
		return nssEvent{}, err
	}
	fields := map[string]string{}
	var inner map[string]any
	for key, value := range outer {
		if strings.EqualFold(key, "event") {
			switch v := value.(type) {
			case map[string]any:
				inner = v
				continue
			case string:
				// Some collectors forward the event as an escaped JSON string.
				if obj, err := decodeObject(json.RawMessage(v)); err == nil {
					inner = obj
					continue
				}
				return nssEvent{}, errors.New(`"event" is text, not a JSON object: configure the NSS feed output type as JSON`)
			}
		}
		addField(fields, key, value)
	}
	// The inner event's fields win over the wrapper's (sourcetype and the like).
	for key, value := range inner {
		addField(fields, key, value)
	}
	resolveLabels(fields)
	var compact bytes.Buffer
	if err := json.Compact(&compact, element); err != nil {
		return nssEvent{}, err
	}
	return nssEvent{fields: fields, raw: json.RawMessage(compact.Bytes())}, nil
}

func decodeObject(data json.RawMessage) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, fmt.Errorf("is not a JSON object (starts with %q)", preview(bytes.TrimSpace(data)))
	}
	return obj, nil
}

// addField keeps scalar values as text; numbers keep every digit (record ids exceed
// float64 precision).
func addField(fields map[string]string, key string, value any) {
	var text string
	switch v := value.(type) {
	case string:
		text = v
	case json.Number:
		text = v.String()
	case bool:
		text = strconv.FormatBool(v)
	default:
		return
	}
	fields[strings.ToLower(key)] = text
}

// resolveLabels turns CEF custom fields (cs5 with cs5Label "threatname") into the NSS
// field they carry, unless that field is already present.
func resolveLabels(fields map[string]string) {
	carried := map[string]string{}
	for key, value := range fields {
		label, ok := fields[key+"label"]
		if !ok || !cefCustomField(key) {
			continue
		}
		if name := strings.ToLower(strings.TrimSpace(label)); name != "" {
			carried[name] = value
		}
	}
	for name, value := range carried {
		if _, exists := fields[name]; !exists {
			fields[name] = value
		}
	}
}

func cefCustomField(key string) bool {
	for _, prefix := range []string{"cs", "cn", "cfp", "flexstring", "flexnumber", "flexdate", "c6a"} {
		if rest, ok := strings.CutPrefix(key, prefix); ok && rest != "" && rest[0] >= '0' && rest[0] <= '9' {
			return true
		}
	}
	return false
}

// aliases lists, per NSS web-log field, the keys it appears under in the NSS native
// format and the vendor-published Splunk/Datadog and Sentinel feed formats.
var aliases = map[string][]string{
	"recordid":       {"recordid", "event_id", "externalid"},
	"epochtime":      {"epochtime"},
	"time":           {"time", "datetime", "timegenerated"},
	"login":          {"login", "elogin", "b64login", "user", "suser"},
	"dept":           {"dept", "edepartment", "department", "departmentname", "b64dept"},
	"location":       {"location", "elocation", "b64location"},
	"cip":            {"cip", "clientip", "src"},
	"cintip":         {"cintip", "clientpublicip", "sourcetranslatedaddress", "cpubip"},
	"sip":            {"sip", "serverip", "dst"},
	"url":            {"url", "eurl", "b64url", "request"},
	"host":           {"host", "ehost", "b64host", "hostname", "dhost"},
	"action":         {"action", "act"},
	"reason":         {"reason"},
	"reqmethod":      {"reqmethod", "requestmethod"},
	"urlcat":         {"urlcat", "urlcategory", "b64urlcat"},
	"urlsupercat":    {"urlsupercat", "urlsupercategory"},
	"urlclass":       {"urlclass"},
	"threatname":     {"threatname", "ethreatname", "b64threatname"},
	"threatseverity": {"threatseverity"},
	"riskscore":      {"riskscore", "pagerisk"},
	"malwarecat":     {"malwarecat", "threatcategory"},
	"malwareclass":   {"malwareclass", "threatclass"},
	"bamd5":          {"bamd5", "md5hash"},
	"sha256":         {"sha256"},
	"filename":       {"filename", "efilename", "b64filename"},
	"filetype":       {"filetype"},
	"ruletype":       {"ruletype"},
	"rulelabel":      {"rulelabel", "erulelabel", "b64rulelabel"},
	"devicehostname": {"devicehostname", "edevicehostname"},
	"devicename":     {"devicename", "edevicename"},
	"deviceowner":    {"deviceowner"},
	"ua":             {"ua", "eua", "useragent", "b64ua", "requestclientapplication"},
}

// keepEncoded are fields whose %XX escapes are part of the value: a URL stays as
// Zscaler wrote it, so that it can be looked up and blocked exactly.
var keepEncoded = map[string]bool{"url": true}

// get answers the first meaningful value of an NSS field under any of its names,
// decoded from its b64 or hex (%XX) encoding.
func (e nssEvent) get(field string) string {
	names, ok := aliases[field]
	if !ok {
		names = []string{field}
	}
	for _, name := range names {
		raw, ok := e.fields[name]
		if !ok {
			continue
		}
		value := raw
		if strings.HasPrefix(name, "b64") {
			decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(raw))
			if err != nil {
				continue
			}
			value = string(decoded)
		}
		if !keepEncoded[field] && strings.Contains(value, "%") {
			if unescaped, err := url.PathUnescape(value); err == nil {
				value = unescaped
			}
		}
		if value = strings.TrimSpace(value); meaningful(value) {
			return value
		}
	}
	return ""
}

// meaningful is false for the placeholders NSS writes for "no value".
func meaningful(v string) bool {
	switch strings.ToLower(v) {
	case "", "none", "na", "n/a", "null", "-", "unknown":
		return false
	}
	return true
}

// alert turns the event into an alert when it carries a threat.
func (e nssEvent) alert(severityMap map[string]string) (integrations.Alert, bool, error) {
	detection, threat := e.detection()
	if !threat {
		return integrations.Alert{}, false, nil
	}
	id := e.get("recordid")
	if id == "" {
		return integrations.Alert{}, true, fmt.Errorf("threat %q has no recordid: the NSS feed output format must include %%d{recordid} (also read as event_id or externalId)", detection)
	}
	host, ok := e.host()
	if !ok {
		return integrations.Alert{}, true, fmt.Errorf("threat %q (recordid %s) names no host: want devicehostname or a client IP (cip)", detection, id)
	}
	vendorSeverity := e.vendorSeverity()
	severity, err := severityFor(vendorSeverity, severityMap)
	if err != nil {
		return integrations.Alert{}, true, fmt.Errorf("recordid %s: %w", id, err)
	}
	alert := integrations.Alert{
		ID:             id,
		Detection:      detection,
		Severity:       severity,
		VendorSeverity: vendorSeverity,
		ObservedAt:     e.observedAt(),
		Hosts:          []integrations.Host{host},
		Indicators:     e.indicators(),
		Description:    e.description(),
		Raw:            e.raw,
	}
	if user := e.get("login"); user != "" {
		alert.Users = []string{user}
	}
	return alert, true, nil
}

// detection names the threat, or says why the event is not one.
func (e nssEvent) detection() (string, bool) {
	if name := e.get("threatname"); name != "" {
		return name, true
	}
	if category := e.get("malwarecat"); malwareCategory(category) {
		return category, true
	}
	if !blocked(e.get("action")) {
		return "", false
	}
	// The most specific category names the detection, even when it was the class or
	// super category that marked the block as a security one.
	categories := []string{e.get("urlcat"), e.get("urlsupercat"), e.get("urlclass"), e.get("reason")}
	for _, category := range categories {
		if securityCategory(category) {
			for _, name := range categories {
				if name != "" {
					return name, true
				}
			}
		}
	}
	return "", false
}

func blocked(action string) bool {
	return strings.HasPrefix(strings.ToLower(action), "block")
}

// malwareCategory is true for a malwarecat naming malware: not the benign verdicts or
// the mere submission of a file to the Sandbox.
func malwareCategory(category string) bool {
	lower := strings.ToLower(category)
	if lower == "" {
		return false
	}
	for _, harmless := range []string{"benign", "submitted", "sent for analysis", "clean"} {
		if strings.Contains(lower, harmless) {
			return false
		}
	}
	return true
}

// securityWords mark ZIA URL categories, classes and super categories that are about
// threats rather than acceptable use (shopping, social media, ...).
var securityWords = []string{
	"malware", "malicious", "phish", "botnet", "spyware", "adware", "callback",
	"command and control", "command & control", "c&c", "exploit", "cryptomining",
	"crypto mining", "ransomware", "trojan", "virus", "cross-site scripting",
	"suspicious", "security risk", "advanced security",
}

func securityCategory(category string) bool {
	lower := strings.ToLower(category)
	if lower == "" {
		return false
	}
	if lower == "security" {
		return true
	}
	for _, word := range securityWords {
		if strings.Contains(lower, word) {
			return true
		}
	}
	return false
}

// vendorSeverity is threatseverity, else the band of riskscore, else "None".
func (e nssEvent) vendorSeverity() string {
	if sev := firstWord(e.get("threatseverity")); sev != "" {
		return sev
	}
	if score, err := strconv.Atoi(e.get("riskscore")); err == nil {
		return riskBand(score)
	}
	return "None"
}

// host is the device (Zscaler Client Connector's devicehostname) with the client IP,
// or the client IP alone for traffic from a location without the connector.
func (e nssEvent) host() (integrations.Host, bool) {
	ip := ""
	for _, field := range []string{"cip", "cintip"} {
		if v := e.get(field); net.ParseIP(v) != nil {
			ip = v
			break
		}
	}
	if name := e.get("devicehostname"); name != "" {
		return integrations.Host{Name: name, IP: ip}, true
	}
	if ip != "" {
		return integrations.Host{IP: ip}, true
	}
	return integrations.Host{}, false
}

// observedAt reads epochtime, else the time field in the layouts NSS feeds use. NSS
// writes times in the feed's configured time zone; GMT (the default) is assumed.
func (e nssEvent) observedAt() time.Time {
	if epoch, err := strconv.ParseInt(e.get("epochtime"), 10, 64); err == nil && epoch > 0 {
		if epoch > 1e12 {
			return time.UnixMilli(epoch).UTC()
		}
		return time.Unix(epoch, 0).UTC()
	}
	text := e.get("time")
	for _, layout := range []string{time.ANSIC, "Mon Jan 2 15:04:05 2006", time.DateTime, "06-01-02 15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, text); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// indicators are what containment can block (url, its domain, the server IP) and what
// the sandbox can look up (file hashes).
func (e nssEvent) indicators() []integrations.Indicator {
	var out []integrations.Indicator
	seen := map[integrations.Indicator]bool{}
	add := func(kind, value string) {
		ind := integrations.Indicator{Type: kind, Value: value}
		if value != "" && !seen[ind] {
			seen[ind] = true
			out = append(out, ind)
		}
	}
	rawURL := stripScheme(e.get("url"))
	add("url", rawURL)
	host := e.get("host")
	if host == "" {
		host = rawURL
	}
	if name := hostOnly(host); name != "" {
		if net.ParseIP(name) != nil {
			add("ip", name)
		} else {
			add("domain", name)
		}
	}
	// NSS writes 0.0.0.0 as the server IP of a blocked request: no server was reached.
	if sip := net.ParseIP(e.get("sip")); sip != nil && !sip.IsUnspecified() {
		add("ip", sip.String())
	}
	if md5 := strings.ToLower(e.get("bamd5")); isHex(md5, 32) {
		add("md5", md5)
	}
	if sha := strings.ToLower(e.get("sha256")); isHex(sha, 64) {
		add("sha256", sha)
	}
	return out
}

// stripScheme drops http:// or https://: NSS URLs are written without it, and ZIA
// lookups and denylists want them that way.
func stripScheme(u string) string {
	lower := strings.ToLower(u)
	for _, scheme := range []string{"https://", "http://"} {
		if strings.HasPrefix(lower, scheme) {
			return u[len(scheme):]
		}
	}
	return u
}

// hostOnly is the host name of a scheme-less URL or host[:port], lower-cased; empty when
// it does not look like a host.
func hostOnly(s string) string {
	s = stripScheme(s)
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	s = strings.TrimSuffix(strings.ToLower(strings.Trim(s, "[]")), ".")
	if s == "" || strings.ContainsAny(s, " \t\r\n@%\\\"") {
		return ""
	}
	return s
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// description tells the analyst what Zscaler saw, in one line.
func (e nssEvent) description() string {
	var parts []string
	add := func(format string, fields ...string) {
		values := make([]any, len(fields))
		for i, f := range fields {
			v := e.get(f)
			if v == "" {
				return
			}
			values[i] = v
		}
		parts = append(parts, fmt.Sprintf(format, values...))
	}
	add("%s", "action")
	add("%s", "reqmethod")
	add("%s", "url")
	add("category %s", "urlcat")
	add("reason: %s", "reason")
	add("rule %s", "rulelabel")
	add("policy %s", "ruletype")
	add("malware %s", "malwarecat")
	add("class %s", "malwareclass")
	add("risk score %s", "riskscore")
	add("file %s", "filename")
	add("file type %s", "filetype")
	add("department %s", "dept")
	add("location %s", "location")
	add("device %s", "devicename")
	add("owner %s", "deviceowner")
	if len(parts) == 0 {
		return ""
	}
	return "Zscaler web log: " + strings.Join(parts, "; ")
}
