// Package integrations holds what every vendor and notifier package shares: the
// normalized alert, the one Severity scale, the Platform capabilities the incident
// workflow relies on, and the error shape that tells Temporal what to retry.
package integrations

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Severity is xsoc's one scale for all vendors, highest first:
// emergency > critical > high > medium > low > info.
type Severity string

const (
	SeverityEmergency Severity = "emergency"
	SeverityCritical  Severity = "critical"
	SeverityHigh      Severity = "high"
	SeverityMedium    Severity = "medium"
	SeverityLow       Severity = "low"
	SeverityInfo      Severity = "info"
)

// Severities lists the scale from the highest to the lowest.
var Severities = []Severity{SeverityEmergency, SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo}

// Rank orders Severities: emergency is 5, info is 0, anything unknown is -1.
func (s Severity) Rank() int {
	for i, known := range Severities {
		if s == known {
			return len(Severities) - 1 - i
		}
	}
	return -1
}

// Valid tells whether s is on the scale.
func (s Severity) Valid() bool { return s.Rank() >= 0 }

// ParseSeverity accepts a Severity name in any case.
func ParseSeverity(name string) (Severity, error) {
	s := Severity(strings.ToLower(strings.TrimSpace(name)))
	if !s.Valid() {
		return "", fmt.Errorf("unknown severity %q (want one of emergency, critical, high, medium, low, info)", name)
	}
	return s, nil
}

// Host is one machine an alert is about. ID is the vendor's own handle for it
// (Cybereason pylumId, WithSecure device id), which containment needs.
type Host struct {
	Name string `json:"name"`
	IP   string `json:"ip,omitempty"`
	ID   string `json:"id,omitempty"`
	// Vendor is the platform the host is on, set where an incident gathers hosts of
	// several platforms (a campaign): containment goes through each host's own vendor.
	Vendor string `json:"vendor,omitempty"`
}

// IndicatorTypes are the indicator kinds the normalized alert carries.
var IndicatorTypes = []string{"url", "domain", "ip", "md5", "sha1", "sha256"}

// Indicator is one observable of an alert (a URL to block, a hash to look up).
type Indicator struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Alert is one vendor detection, normalized. Every vendor parser produces it and the
// generic intake takes it as it is.
type Alert struct {
	ID          string          `json:"id"`
	Detection   string          `json:"detection"`
	Severity    Severity        `json:"severity"`
	ObservedAt  time.Time       `json:"observed_at,omitzero"`
	Hosts       []Host          `json:"hosts"`
	Users       []string        `json:"users,omitempty"`
	Indicators  []Indicator     `json:"indicators,omitempty"`
	Description string          `json:"description,omitempty"`
	Raw         json.RawMessage `json:"raw,omitempty"`
	// VendorSeverity is the vendor's own word for the Severity, kept so that a
	// customer's mapping override can be applied and audited.
	VendorSeverity string `json:"vendor_severity,omitempty"`
}

// Validate names every required field that is missing or malformed.
func (a Alert) Validate() error {
	var problems []string
	if strings.TrimSpace(a.ID) == "" {
		problems = append(problems, "id is required")
	}
	if strings.TrimSpace(a.Detection) == "" {
		problems = append(problems, "detection is required")
	}
	if a.Severity == "" {
		problems = append(problems, "severity is required")
	} else if !a.Severity.Valid() {
		problems = append(problems, fmt.Sprintf("severity %q is not one of emergency, critical, high, medium, low, info", a.Severity))
	}
	if len(a.Hosts) == 0 {
		problems = append(problems, "at least one host is required")
	}
	for i, h := range a.Hosts {
		if strings.TrimSpace(h.Name) == "" && strings.TrimSpace(h.IP) == "" {
			problems = append(problems, fmt.Sprintf("hosts[%d] needs a name or an ip", i))
		}
	}
	for i, ind := range a.Indicators {
		if !validIndicatorType(ind.Type) {
			problems = append(problems, fmt.Sprintf("indicators[%d].type %q is not one of %s", i, ind.Type, strings.Join(IndicatorTypes, ", ")))
		}
		if strings.TrimSpace(ind.Value) == "" {
			problems = append(problems, fmt.Sprintf("indicators[%d].value is required", i))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid alert: %s", strings.Join(problems, "; "))
	}
	return nil
}

func validIndicatorType(t string) bool {
	for _, known := range IndicatorTypes {
		if t == known {
			return true
		}
	}
	return false
}

// HostNames lists the alert's host names (the IP where a host has no name).
func (a Alert) HostNames() []string {
	names := make([]string, 0, len(a.Hosts))
	for _, h := range a.Hosts {
		names = append(names, h.Label())
	}
	return names
}

// Label is how people see the host: its name, or its IP when the vendor gave no name.
func (h Host) Label() string {
	if h.Name != "" {
		return h.Name
	}
	return h.IP
}
