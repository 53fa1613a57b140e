package withsecure

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"xsoc/integrations"
)

// DefaultSeverity maps a WithSecure risk level (the incident's riskLevel, or its
// severity, or an EDR security event's risk) onto xsoc's scale. WithSecure's top
// level, severe, is our critical: emergency is for a person to raise. A word we do
// not know is treated as high, because paging too loudly for a new vendor level is
// cheaper than sleeping through it.
func DefaultSeverity(vendorSeverity string) integrations.Severity {
	switch strings.ToLower(strings.TrimSpace(vendorSeverity)) {
	case "info", "informational":
		return integrations.SeverityInfo
	case "low":
		return integrations.SeverityLow
	case "medium", "moderate", "warning":
		return integrations.SeverityMedium
	case "high":
		return integrations.SeverityHigh
	case "severe", "critical":
		return integrations.SeverityCritical
	}
	return integrations.SeverityHigh
}

// ParseAlerts turns a native WithSecure body into normalized alerts, one per incident,
// keyed by the incident's incidentId. It takes an incidents list ({"items": [...]},
// as GET /incidents/v1/incidents answers), a single incident, a body holding incidents
// ({"incidents": [...]} or {"incident": {...}}), or a security-events page whose EDR
// events announce incidents (engine "edr", details.incidentId); events of other
// engines in such a page are not incidents and are dropped.
//
// The Incidents API does not list an incident's devices, so a pushed incident must
// carry them ("devices": [{"name", "id"}] or "device") or be rejected: an alert
// without a host cannot be contained. The poller reads hosts from the incident's
// detections instead. Either every incident in the body parses or the whole body is
// refused, so that nothing is half-started.
func ParseAlerts(body []byte, severityMap map[string]string) ([]integrations.Alert, error) {
	items, err := bodyItems(body)
	if err != nil {
		return nil, err
	}
	var (
		alerts  []integrations.Alert
		index   = map[string]int{}
		dropped []string
	)
	for i, item := range items {
		alert, skip, err := parseItem(item, severityMap)
		if err != nil {
			return nil, fmt.Errorf("withsecure: item %d: %w", i, err)
		}
		if skip != "" {
			dropped = append(dropped, skip)
			continue
		}
		if err := alert.Validate(); err != nil {
			return nil, fmt.Errorf("withsecure: incident %s: %w", alert.ID, err)
		}
		if at, seen := index[alert.ID]; seen {
			mergeAlert(&alerts[at], alert)
			continue
		}
		index[alert.ID] = len(alerts)
		alerts = append(alerts, alert)
	}
	if len(alerts) == 0 {
		if len(dropped) > 0 {
			return nil, fmt.Errorf("withsecure: no incident in body: %d security events, none from engine edr (engines: %s)",
				len(dropped), strings.Join(uniqueStrings(dropped), ", "))
		}
		return nil, fmt.Errorf("withsecure: no incident in body: the list is empty")
	}
	return alerts, nil
}

// bodyItems finds the incident-like objects in a body of any accepted shape.
func bodyItems(body []byte) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("withsecure: empty body")
	}
	if trimmed[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, fmt.Errorf("withsecure: body is not a JSON array of incidents: %w", err)
		}
		return items, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return nil, fmt.Errorf("withsecure: body is not a JSON object: %w", err)
	}
	for _, key := range []string{"items", "incidents"} {
		if raw, ok := fields[key]; ok {
			var items []json.RawMessage
			if err := json.Unmarshal(raw, &items); err != nil {
				return nil, fmt.Errorf("withsecure: %q is not a list: %w", key, err)
			}
			return items, nil
		}
	}
	if raw, ok := fields["incident"]; ok {
		return []json.RawMessage{raw}, nil
	}
	if _, ok := fields["incidentId"]; ok {
		return []json.RawMessage{trimmed}, nil
	}
	if _, ok := fields["engine"]; ok {
		return []json.RawMessage{trimmed}, nil
	}
	return nil, fmt.Errorf(`withsecure: unrecognized body: want an incidents list {"items": [...]}, an incident with "incidentId", or a body holding "incidents"`)
}

// parseItem reads one element: an incident, or a security event. skip names the engine
// of a security event that is not an EDR incident event.
func parseItem(raw json.RawMessage, severityMap map[string]string) (alert integrations.Alert, skip string, err error) {
	var probe struct {
		Engine      *string `json:"engine"`
		DetectionID *string `json:"detectionId"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return alert, "", fmt.Errorf("not a JSON object: %w", err)
	}
	switch {
	case probe.Engine != nil:
		if !strings.EqualFold(*probe.Engine, "edr") {
			engine := *probe.Engine
			if engine == "" {
				engine = "(none)"
			}
			return alert, engine, nil
		}
		alert, err = parseEDREvent(raw, severityMap)
		return alert, "", err
	case probe.DetectionID != nil:
		return alert, "", fmt.Errorf("detection %q is not an incident: post the incident it belongs to (incidentId), not its detections", *probe.DetectionID)
	}
	inc, err := decodeIncident(raw)
	if err != nil {
		return alert, "", err
	}
	alert, err = inc.alert(raw, severityMap)
	if err != nil {
		return alert, "", err
	}
	if len(alert.Hosts) == 0 {
		return alert, "", fmt.Errorf("incident %s has no host: devices[].name is missing (the Incidents API does not list devices; include them, or let xsoc poll the incident to read them from its detections)", alert.ID)
	}
	return alert, "", nil
}

// incident is what xsoc reads of a WithSecure Elements incident (Broad Context Detection).
type incident struct {
	IncidentID               string          `json:"incidentId"`
	IncidentPublicID         string          `json:"incidentPublicId"`
	OrganizationID           string          `json:"organizationId"`
	Name                     string          `json:"name"`
	Description              string          `json:"description"`
	Status                   string          `json:"status"`
	Resolution               string          `json:"resolution"`
	Severity                 string          `json:"severity"`
	RiskLevel                string          `json:"riskLevel"`
	RiskScore                json.RawMessage `json:"riskScore"`
	Categories               stringList      `json:"categories"`
	Sources                  stringList      `json:"sources"`
	CreatedTimestamp         string          `json:"createdTimestamp"`
	UpdatedTimestamp         string          `json:"updatedTimestamp"`
	InitialReceivedTimestamp string          `json:"initialReceivedTimestamp"`
	// Devices, Device and Users are not part of the Incidents API's answer. Bodies
	// pushed to us by forwarders (and the simulator's control API) carry them so that
	// the incident can be acted on without asking the vendor.
	Devices []deviceRef `json:"devices"`
	Device  *deviceRef  `json:"device"`
	Users   stringList  `json:"users"`
}

// deviceRef is a device as incidents and security events name it.
type deviceRef struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	IPAddress   string `json:"ipAddress"`
	IPAddresses string `json:"ipAddresses"`
}

func decodeIncident(raw json.RawMessage) (incident, error) {
	var inc incident
	if err := json.Unmarshal(raw, &inc); err != nil {
		return inc, fmt.Errorf("not a WithSecure incident: %w", err)
	}
	return inc, nil
}

// vendorSeverity is the incident's own word for how bad it is: riskLevel is what the
// Elements portal shows and filters by; severity is the older field.
func (inc incident) vendorSeverity() string {
	if s := strings.TrimSpace(inc.RiskLevel); s != "" {
		return s
	}
	return strings.TrimSpace(inc.Severity)
}

// alert builds the normalized alert without insisting on a host: the poller adds hosts
// from the detections before validating.
func (inc incident) alert(raw json.RawMessage, severityMap map[string]string) (integrations.Alert, error) {
	id := strings.TrimSpace(inc.IncidentID)
	if id == "" {
		return integrations.Alert{}, fmt.Errorf("incidentId is missing")
	}
	vendorSev := inc.vendorSeverity()
	severity, err := resolveSeverity(vendorSev, severityMap)
	if err != nil {
		return integrations.Alert{}, fmt.Errorf("incident %s: %w", id, err)
	}
	detection := strings.TrimSpace(inc.Name)
	if detection == "" && len(inc.Categories) > 0 {
		detection = strings.Join(inc.Categories, ", ")
	}
	if detection == "" {
		return integrations.Alert{}, fmt.Errorf("incident %s: name is missing (and no categories to name it by)", id)
	}
	alert := integrations.Alert{
		ID:             id,
		Detection:      detection,
		Severity:       severity,
		ObservedAt:     firstTime(inc.InitialReceivedTimestamp, inc.CreatedTimestamp, inc.UpdatedTimestamp),
		Description:    inc.describe(),
		Raw:            compactJSON(raw),
		VendorSeverity: vendorSev,
	}
	devices := inc.Devices
	if inc.Device != nil {
		devices = append(devices, *inc.Device)
	}
	for _, d := range devices {
		if h, ok := d.host(); ok {
			alert.Hosts = addHost(alert.Hosts, h)
		}
	}
	alert.Users = addStrings(alert.Users, inc.Users...)
	return alert, nil
}

// describe is the one line an analyst reads before opening the Elements portal.
func (inc incident) describe() string {
	var parts []string
	if d := strings.TrimSpace(inc.Description); d != "" {
		parts = append(parts, d)
	}
	label := "WithSecure incident"
	if inc.IncidentPublicID != "" {
		label += " " + inc.IncidentPublicID
	}
	var facts []string
	if len(inc.Categories) > 0 {
		facts = append(facts, "categories "+strings.Join(inc.Categories, ", "))
	}
	if score := strings.TrimSpace(string(inc.RiskScore)); score != "" && score != "null" {
		facts = append(facts, "risk score "+score)
	}
	if inc.Status != "" {
		facts = append(facts, "status "+inc.Status)
	}
	if len(inc.Sources) > 0 {
		facts = append(facts, "source "+strings.Join(inc.Sources, ", "))
	}
	if len(facts) > 0 {
		label += " (" + strings.Join(facts, "; ") + ")"
	}
	return strings.Join(append(parts, label), " — ")
}

// edrEvent is a security event of engine "edr", which WithSecure raises when an
// incident is created, updated, merged or closed.
type edrEvent struct {
	Engine          string    `json:"engine"`
	Action          string    `json:"action"`
	Severity        string    `json:"severity"`
	ServerTimestamp string    `json:"serverTimestamp"`
	ClientTimestamp string    `json:"clientTimestamp"`
	Device          deviceRef `json:"device"`
	UserName        string    `json:"userName"`
	Details         struct {
		IncidentID                string     `json:"incidentId"`
		IncidentPublicID          string     `json:"incidentPublicId"`
		Risk                      string     `json:"risk"`
		Categories                stringList `json:"categories"`
		Resolution                string     `json:"resolution"`
		UserSam                   string     `json:"userSam"`
		InitialDetectionTimestamp string     `json:"initialDetectionTimestamp"`
	} `json:"details"`
}

func parseEDREvent(raw json.RawMessage, severityMap map[string]string) (integrations.Alert, error) {
	var ev edrEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return integrations.Alert{}, fmt.Errorf("not a WithSecure EDR security event: %w", err)
	}
	id := strings.TrimSpace(ev.Details.IncidentID)
	if id == "" {
		return integrations.Alert{}, fmt.Errorf("EDR security event has no details.incidentId")
	}
	vendorSev := strings.TrimSpace(ev.Details.Risk)
	if vendorSev == "" {
		vendorSev = strings.TrimSpace(ev.Severity)
	}
	severity, err := resolveSeverity(vendorSev, severityMap)
	if err != nil {
		return integrations.Alert{}, fmt.Errorf("incident %s: %w", id, err)
	}
	detection := "WithSecure EDR incident"
	if ev.Details.IncidentPublicID != "" {
		detection += " " + ev.Details.IncidentPublicID
	}
	if len(ev.Details.Categories) > 0 {
		detection += ": " + strings.Join(ev.Details.Categories, ", ")
	}
	alert := integrations.Alert{
		ID:             id,
		Detection:      detection,
		Severity:       severity,
		ObservedAt:     firstTime(epochMillis(ev.Details.InitialDetectionTimestamp), ev.ClientTimestamp, ev.ServerTimestamp),
		Description:    fmt.Sprintf("WithSecure EDR security event: incident %s, resolution %s", orNone(ev.Action), orNone(ev.Details.Resolution)),
		Raw:            compactJSON(raw),
		VendorSeverity: vendorSev,
	}
	h, ok := ev.Device.host()
	if !ok {
		return integrations.Alert{}, fmt.Errorf("incident %s has no host: device.name is missing", id)
	}
	alert.Hosts = []integrations.Host{h}
	alert.Users = addStrings(nil, ev.Details.UserSam, ev.UserName)
	return alert, nil
}

// resolveSeverity applies the customer's override (keys in any case) before our default.
func resolveSeverity(vendorSeverity string, severityMap map[string]string) (integrations.Severity, error) {
	if vendorSeverity == "" {
		return "", fmt.Errorf("riskLevel (or severity) is missing")
	}
	for key, ours := range severityMap {
		if strings.EqualFold(strings.TrimSpace(key), vendorSeverity) {
			s, err := integrations.ParseSeverity(ours)
			if err != nil {
				return "", fmt.Errorf("severity_map[%q]: %w", key, err)
			}
			return s, nil
		}
	}
	return DefaultSeverity(vendorSeverity), nil
}

// host turns a device reference into a Host; a device known only by its id is no host
// a person can recognize, so it does not count.
func (d deviceRef) host() (integrations.Host, bool) {
	h := integrations.Host{
		Name: strings.TrimSpace(d.Name),
		ID:   strings.TrimSpace(d.ID),
		IP:   firstIP(d.IPAddress, d.IPAddresses),
	}
	return h, h.Name != "" || h.IP != ""
}

// firstIP picks the first address of WithSecure's comma-separated "a.b.c.d/nn" lists.
func firstIP(values ...string) string {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if addr, _, ok := strings.Cut(part, "/"); ok {
				part = addr
			}
			if ip := net.ParseIP(part); ip != nil {
				return ip.String()
			}
		}
	}
	return ""
}

// mergeAlert folds a later copy of the same incident into the first: the union of
// hosts, users and indicators, at the higher Severity.
func mergeAlert(into *integrations.Alert, other integrations.Alert) {
	for _, h := range other.Hosts {
		into.Hosts = addHost(into.Hosts, h)
	}
	into.Users = addStrings(into.Users, other.Users...)
	for _, ind := range other.Indicators {
		into.Indicators = addIndicator(into.Indicators, ind)
	}
	if other.Severity.Rank() > into.Severity.Rank() {
		into.Severity = other.Severity
		into.VendorSeverity = other.VendorSeverity
	}
}

func addHost(hosts []integrations.Host, h integrations.Host) []integrations.Host {
	for i, known := range hosts {
		sameID := h.ID != "" && strings.EqualFold(known.ID, h.ID)
		sameName := h.Name != "" && strings.EqualFold(known.Name, h.Name)
		if sameID || sameName {
			if known.ID == "" {
				hosts[i].ID = h.ID
			}
			if known.Name == "" {
				hosts[i].Name = h.Name
			}
			if known.IP == "" {
				hosts[i].IP = h.IP
			}
			return hosts
		}
	}
	return append(hosts, h)
}

func addStrings(list []string, values ...string) []string {
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		dup := false
		for _, known := range list {
			if strings.EqualFold(known, v) {
				dup = true
				break
			}
		}
		if !dup {
			list = append(list, v)
		}
	}
	return list
}

func addIndicator(list []integrations.Indicator, ind integrations.Indicator) []integrations.Indicator {
	for _, known := range list {
		if known.Type == ind.Type && strings.EqualFold(known.Value, ind.Value) {
			return list
		}
	}
	return append(list, ind)
}

// hashIndicator classifies a file hash by its length; WithSecure's exeHash is SHA-1 on
// current clients, but a value that is neither MD5, SHA-1 nor SHA-256 is not usable as
// an indicator.
func hashIndicator(value string) (integrations.Indicator, bool) {
	value = strings.ToLower(strings.TrimSpace(value))
	for _, r := range value {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return integrations.Indicator{}, false
		}
	}
	switch len(value) {
	case 32:
		return integrations.Indicator{Type: "md5", Value: value}, true
	case 40:
		return integrations.Indicator{Type: "sha1", Value: value}, true
	case 64:
		return integrations.Indicator{Type: "sha256", Value: value}, true
	}
	return integrations.Indicator{}, false
}

// stringList reads a JSON list of strings, or a single string (security events carry
// categories as one comma-separated string).
type stringList []string

func (l *stringList) UnmarshalJSON(data []byte) error {
	var many []string
	if err := json.Unmarshal(data, &many); err == nil {
		*l = many
		return nil
	}
	var one *string
	if err := json.Unmarshal(data, &one); err != nil {
		return fmt.Errorf("want a string or a list of strings, got %s", integrations.Truncate(string(data), 40))
	}
	*l = nil
	if one != nil {
		for _, part := range strings.Split(*one, ",") {
			if part = strings.TrimSpace(part); part != "" {
				*l = append(*l, part)
			}
		}
	}
	return nil
}

// parseTime reads the RFC 3339 timestamps the Elements API writes.
func parseTime(value string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(value))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func firstTime(values ...string) time.Time {
	for _, v := range values {
		if t, ok := parseTime(v); ok {
			return t
		}
	}
	return time.Time{}
}

// epochMillis turns the millisecond epoch strings of security-event details into RFC 3339.
func epochMillis(value string) string {
	ms, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err != nil || ms <= 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
}

func compactJSON(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return append(json.RawMessage(nil), raw...)
	}
	return buf.Bytes()
}

func uniqueStrings(values []string) []string {
	out := addStrings(nil, values...)
	sort.Strings(out)
	return out
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "none"
	}
	return s
}
