package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Threat is one event of a simulated NSS batch. An event without ThreatName is clean
// web traffic, allowed by policy, which the intake must count and drop.
type Threat struct {
	RecordID   string `json:"recordid"`   // NSS record id; generated when empty
	Host       string `json:"host"`       // devicehostname of the user's machine
	User       string `json:"user"`       // login, e.g. taro@acme.example
	URL        string `json:"url"`        // the destination, with or without http(s)://
	ThreatName string `json:"threatname"` // e.g. "HTML.Phishing.Gen"; empty for a clean event
	Severity   string `json:"severity"`   // Critical, High, Medium or Low; High when empty
	MD5        string `json:"md5,omitempty"`
}

// recordBase makes record ids look like NSS's 19-digit ones.
const recordBase = 7_300_000_000_000_000_000

// FeedBatch builds the body a Cloud NSS feed for web logs would POST for these events:
// one {"sourcetype":"zscalernss-web","event":{...}} per line, with the NSS web-log field
// names and every value written as a string, as the feed output format's "%d{...}"
// placeholders inside quotes produce. Each threat's URL is also classified for urlLookup
// and its file given a sandbox verdict, as the ZIA cloud would know them.
func (s *Server) FeedBatch(events ...Threat) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	var out bytes.Buffer
	for _, t := range events {
		s.recordSeq++
		id := t.RecordID
		if id == "" {
			id = strconv.FormatInt(recordBase+s.recordSeq, 10)
		}
		host := orDefault(t.Host, "pc-0001")
		user := orDefault(t.User, "user@example.com")
		target := stripScheme(orDefault(t.URL, "www.example.com/"))
		destination := hostOf(target)
		ev := map[string]string{
			"recordid":       id,
			"time":           now.Format("Mon Jan 2 15:04:05 2006"),
			"tz":             "GMT",
			"epochtime":      strconv.FormatInt(now.Unix(), 10),
			"login":          user,
			"dept":           "General Group",
			"location":       "Road Warrior",
			"cip":            privateIP(host),
			"cintip":         publicIP("client:" + host),
			"url":            target,
			"host":           destination,
			"reqmethod":      "GET",
			"proto":          "HTTPS",
			"ua":             "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
			"devicehostname": host,
			"devicename":     strings.ToUpper(host),
			"deviceowner":    strings.SplitN(user, "@", 2)[0],
			"devicetype":     "Zscaler Client Connector",
			"bamd5":          "None",
		}
		if t.ThreatName == "" {
			cleanEvent(ev, destination)
		} else {
			s.threatEvent(ev, t, destination)
		}
		line, _ := json.Marshal(map[string]any{"sourcetype": "zscalernss-web", "event": ev})
		out.Write(line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

func cleanEvent(ev map[string]string, destination string) {
	for k, v := range map[string]string{
		"action": "Allowed", "reason": "Allowed", "respcode": "200",
		"sip":    publicIP("server:" + destination),
		"urlcat": "Professional Services", "urlsupercat": "Business and Economy", "urlclass": "Business Use",
		"threatname": "None", "threatseverity": "None", "riskscore": "0",
		"malwarecat": "None", "malwareclass": "None", "ruletype": "None", "rulelabel": "None",
	} {
		ev[k] = v
	}
}

// threatEvent fills a blocked threat the way ZIA logs one, and teaches the simulated
// cloud about its URL and file.
func (s *Server) threatEvent(ev map[string]string, t Threat, destination string) {
	severity := capitalize(orDefault(t.Severity, "High"))
	kind := threatKind(t.ThreatName)
	for k, v := range map[string]string{
		"action": "Blocked", "respcode": "403",
		// NSS writes 0.0.0.0 as the server IP of a blocked request.
		"sip":        "0.0.0.0",
		"threatname": t.ThreatName, "threatseverity": severity, "riskscore": strconv.Itoa(riskScore(severity)),
		"urlcat": kind.urlcat, "urlsupercat": "Security", "urlclass": "Security Risk",
		"malwarecat": kind.malwarecat, "malwareclass": kind.malwareclass,
		"reason": kind.reason, "ruletype": "Malware Protection", "rulelabel": "Default Malware Protection",
	} {
		ev[k] = v
	}
	s.lookups[destination] = Classification{
		Classifications: []string{"MISCELLANEOUS_OR_UNKNOWN"},
		SecurityAlerts:  []string{kind.lookupAlert},
	}
	if md5 := strings.ToLower(t.MD5); md5 != "" {
		ev["bamd5"] = md5
		ev["filetype"] = "Windows Executables"
		ev["filename"] = "invoice.exe"
		s.reports[md5] = sandboxReport(md5, t.ThreatName, riskScore(severity))
	}
}

type kindOfThreat struct {
	urlcat, malwarecat, malwareclass, reason, lookupAlert string
}

func threatKind(name string) kindOfThreat {
	lower := strings.ToLower(name)
	switch {
	case strings.Contains(lower, "phish"):
		return kindOfThreat{"Phishing", "Phishing", "Phishing", "Destination contains potential phishing content", "PHISHING"}
	case strings.Contains(lower, "botnet") || strings.Contains(lower, "callback") || strings.Contains(lower, "c2"):
		return kindOfThreat{"Botnet Callback", "Botnet Callback", "Botnet", "Botnet Callback Blocked", "BOTNET"}
	}
	return kindOfThreat{"Malicious Content", "Trojan", "Virus", "Virus/Spyware/Malware Blocked", "MALWARE_SITE"}
}

// riskScore picks a Page Risk Index inside the band ZIA names the severity by.
func riskScore(severity string) int {
	switch strings.ToLower(severity) {
	case "critical":
		return 95
	case "high":
		return 80
	case "medium":
		return 60
	case "low":
		return 30
	}
	return 0
}

// sandboxReport writes a full report in the shape ZIA's sandbox answers.
func sandboxReport(md5, malware string, score int) json.RawMessage {
	report := map[string]any{"Full Details": map[string]any{
		"Classification": map[string]any{"Category": "MALWARE_BOTNET", "DetectedMalware": malware, "Score": score, "Type": "MALICIOUS"},
		"FileProperties": map[string]any{"FileType": "EXE", "FileSize": 182272, "MD5": md5, "DigitalCerificate": "", "Issuer": "", "RootCA": ""},
		"Summary":        map[string]any{"Category": "EXECS", "FileType": "EXE", "Status": "COMPLETED", "Duration": 412033},
		"Networking": []map[string]any{{
			"Risk": "HIGH", "Signature": "Connects to a known command and control server", "SignatureSources": []string{},
		}},
	}}
	out, _ := json.Marshal(report)
	return out
}

func stripScheme(u string) string {
	lower := strings.ToLower(u)
	for _, scheme := range []string{"https://", "http://"} {
		if strings.HasPrefix(lower, scheme) {
			return u[len(scheme):]
		}
	}
	return u
}

func orDefault(v, fallback string) string {
	if strings.TrimSpace(v) == "" {
		return fallback
	}
	return v
}

func capitalize(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func hash(s string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return h.Sum32()
}

// privateIP gives a host a stable address in 10.0.0.0/8.
func privateIP(host string) string {
	h := hash(host)
	return fmt.Sprintf("10.%d.%d.%d", h>>16&0xff, h>>8&0xff, h&0xfe|1)
}

// publicIP gives a name a stable address in the documentation range 203.0.113.0/24.
func publicIP(name string) string {
	return fmt.Sprintf("203.0.113.%d", hash(name)%253+1)
}
