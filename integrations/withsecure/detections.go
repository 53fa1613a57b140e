package withsecure

import (
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strings"

	"xsoc/integrations"
)

// detection is one of an incident's detections (GET /incidents/v1/detections): what
// happened on which device, by which process and user.
type detection struct {
	DetectionID      string          `json:"detectionId"`
	IncidentID       string          `json:"incidentId"`
	DeviceID         string          `json:"deviceId"`
	Name             string          `json:"name"`
	Description      string          `json:"description"`
	Severity         string          `json:"severity"`
	RiskLevel        string          `json:"riskLevel"`
	DetectionClass   string          `json:"detectionClass"`
	CreatedTimestamp string          `json:"createdTimestamp"`
	ExeName          string          `json:"exeName"`
	ExePath          string          `json:"exePath"`
	ExeHash          string          `json:"exeHash"`
	Cmdl             string          `json:"cmdl"`
	PID              json.Number     `json:"pid"`
	Username         string          `json:"username"`
	Privileges       string          `json:"privileges"`
	ActivityContext  json.RawMessage `json:"activityContext"`
}

// context reads the detection's activity context leniently: it is free-form per
// detection type, and a shape we do not know must not cost us the detection.
func (d detection) context() []map[string]any {
	var entries []map[string]any
	if len(d.ActivityContext) == 0 || json.Unmarshal(d.ActivityContext, &entries) != nil {
		return nil
	}
	return entries
}

// users are the accounts the detection names: the process owner and any logon seen.
func (d detection) users() []string {
	users := addStrings(nil, d.Username)
	for _, entry := range d.context() {
		if name, ok := entry["logonUsername"].(string); ok {
			users = addStrings(users, name)
		}
	}
	return users
}

// indicators are what could be looked up or blocked: the executable's hash and the
// remote addresses of logons.
func (d detection) indicators() []integrations.Indicator {
	var out []integrations.Indicator
	if ind, ok := hashIndicator(d.ExeHash); ok {
		out = append(out, ind)
	}
	for _, entry := range d.context() {
		addr, _ := entry["sourceAddress"].(string)
		ip := net.ParseIP(strings.TrimSpace(addr))
		if ip == nil || ip.IsLoopback() || ip.IsUnspecified() {
			continue
		}
		out = addIndicator(out, integrations.Indicator{Type: "ip", Value: ip.String()})
	}
	return out
}

// process is the executable as an analyst would search for it.
func (d detection) process() string {
	exe := strings.TrimSpace(d.ExeName)
	if path := strings.TrimRight(strings.TrimSpace(d.ExePath), `\/`); path != "" && exe != "" {
		exe = path + `\` + exe
	}
	var parts []string
	if exe != "" {
		parts = append(parts, exe)
	}
	if pid := d.PID.String(); pid != "" {
		parts = append(parts, "pid "+pid)
	}
	if cmd := strings.TrimSpace(d.Cmdl); cmd != "" {
		parts = append(parts, "cmd: "+cmd)
	}
	return strings.Join(parts, ", ")
}

// deviceInfo is what we learned of a device from GET /devices/v1/devices.
type deviceInfo struct {
	ID                       string `json:"id"`
	Name                     string `json:"name"`
	IPAddresses              string `json:"ipAddresses"`
	State                    string `json:"state"`
	Online                   bool   `json:"online"`
	ProtectionStatusOverview string `json:"protectionStatusOverview"`
}

// isolatedStatus is the protectionStatusOverview WithSecure shows for a device cut off
// from the network; it outranks every other overview status.
const isolatedStatus = "isolated"

func (d deviceInfo) isolated() bool {
	return strings.EqualFold(d.ProtectionStatusOverview, isolatedStatus)
}

func (d deviceInfo) host() (integrations.Host, bool) {
	return deviceRef{ID: d.ID, Name: d.Name, IPAddresses: d.IPAddresses}.host()
}

// evidence is an incident's detections together with the devices they name.
type evidence struct {
	detections []detection
	devices    map[string]deviceInfo
	// unknownDevices are device ids the detections name that the devices API no longer
	// knows (removed from the organization).
	unknownDevices []string
}

func (e evidence) hosts() []integrations.Host {
	var hosts []integrations.Host
	for _, d := range e.detections {
		if dev, ok := e.devices[d.DeviceID]; ok {
			if h, ok := dev.host(); ok {
				hosts = addHost(hosts, h)
			}
		}
	}
	return hosts
}

// enrich adds what the detections tell to an alert: hosts, users and indicators.
func (e evidence) enrich(alert *integrations.Alert) {
	for _, h := range e.hosts() {
		alert.Hosts = addHost(alert.Hosts, h)
	}
	for _, d := range e.detections {
		alert.Users = addStrings(alert.Users, d.users()...)
		for _, ind := range d.indicators() {
			alert.Indicators = addIndicator(alert.Indicators, ind)
		}
	}
}

// findings summarizes the detections for the analyst.
func (e evidence) findings(alert integrations.Alert) integrations.Findings {
	f := integrations.Findings{Hosts: e.hosts()}
	names := map[string]int{}
	for _, d := range e.detections {
		f.Users = addStrings(f.Users, d.users()...)
		for _, ind := range d.indicators() {
			f.Indicators = addIndicator(f.Indicators, ind)
		}
		if p := d.process(); p != "" {
			f.Processes = addStrings(f.Processes, p)
		}
		names[orNone(d.Name)]++
		f.Details = append(f.Details, e.detail(d))
	}
	for _, id := range e.unknownDevices {
		f.Details = append(f.Details, fmt.Sprintf("device %s named by the detections is not in WithSecure's device list any more", id))
	}
	if len(e.detections) == 0 {
		f.Summary = fmt.Sprintf("WithSecure has no detections for incident %s", alert.ID)
		return f
	}
	var labels []string
	for name, n := range names {
		if n > 1 {
			name = fmt.Sprintf("%s ×%d", name, n)
		}
		labels = append(labels, name)
	}
	sort.Strings(labels)
	hostNames := make([]string, 0, len(f.Hosts))
	for _, h := range f.Hosts {
		hostNames = append(hostNames, h.Label())
	}
	f.Summary = fmt.Sprintf("%d detection(s) on %s: %s", len(e.detections), orNone(strings.Join(hostNames, ", ")), strings.Join(labels, ", "))
	return f
}

func (e evidence) detail(d detection) string {
	where := d.DeviceID
	if dev, ok := e.devices[d.DeviceID]; ok && dev.Name != "" {
		where = dev.Name
	}
	line := fmt.Sprintf("%s %s (%s) on %s", d.CreatedTimestamp, orNone(d.Name), orNone(firstNonEmpty(d.RiskLevel, d.Severity)), orNone(where))
	if p := d.process(); p != "" {
		line += ": " + p
	}
	if users := d.users(); len(users) > 0 {
		line += "; user " + strings.Join(users, ", ")
	}
	if desc := strings.TrimSpace(d.Description); desc != "" {
		line += "; " + desc
	}
	return strings.TrimSpace(line)
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
