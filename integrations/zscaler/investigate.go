package zscaler

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"xsoc/integrations"
)

// lookupBatch is the most URLs ZIA's urlLookup takes in one request.
const lookupBatch = 100

// maxSandboxReports bounds the sandbox calls of one investigation: the report API is
// rate limited per second, and an NSS event carries one file hash.
const maxSandboxReports = 5

// Investigate asks ZIA what it knows about the alert's indicators: the URL categories
// and security alerts of its URLs, domains and IPs (POST /urlLookup) and the Sandbox
// verdict of its file hashes (GET /sandbox/report/{md5}). Flagged indicators, and the
// hashes the sandbox adds, come back in Findings.Indicators.
func (c *Client) Investigate(ctx context.Context, alert integrations.Alert) (integrations.Findings, error) {
	findings := integrations.Findings{Hosts: alert.Hosts, Users: alert.Users}
	var lookups []string
	var md5s []string
	seen := map[string]bool{}
	for _, ind := range alert.Indicators {
		switch ind.Type {
		case "url", "domain", "ip":
			value := stripScheme(strings.TrimSpace(ind.Value))
			if value != "" && !seen[value] {
				seen[value] = true
				lookups = append(lookups, value)
			}
		case "md5":
			value := strings.ToLower(strings.TrimSpace(ind.Value))
			if isHex(value, 32) && !seen[value] && len(md5s) < maxSandboxReports {
				seen[value] = true
				md5s = append(md5s, value)
			}
		}
	}
	if len(lookups) == 0 && len(md5s) == 0 {
		findings.Summary = "Zscaler: the alert has no url, domain, ip or md5 indicator to look up"
		return findings, nil
	}
	var summary []string
	if len(lookups) > 0 {
		flagged, err := c.lookUpURLs(ctx, lookups, &findings)
		if err != nil {
			return findings, err
		}
		if len(flagged) > 0 {
			summary = append(summary, fmt.Sprintf("%d of %d looked-up indicators carry a security alert (%s)",
				len(flagged), len(lookups), strings.Join(flagged, "; ")))
		} else {
			summary = append(summary, fmt.Sprintf("none of %d looked-up indicators carries a security alert", len(lookups)))
		}
	}
	for _, md5 := range md5s {
		verdict, err := c.sandboxReport(ctx, md5, &findings)
		if err != nil {
			return findings, err
		}
		summary = append(summary, verdict)
	}
	findings.Summary = "Zscaler: " + strings.Join(summary, "; ")
	return findings, nil
}

type urlClassification struct {
	URL                   string   `json:"url"`
	Classifications       []string `json:"urlClassifications"`
	SecurityAlertCategory []string `json:"urlClassificationsWithSecurityAlert"`
}

// lookUpURLs classifies the URLs and answers the ones ZIA flags, as "url: ALERT".
func (c *Client) lookUpURLs(ctx context.Context, urls []string, findings *integrations.Findings) ([]string, error) {
	var flagged []string
	for start := 0; start < len(urls); start += lookupBatch {
		batch := urls[start:min(start+lookupBatch, len(urls))]
		var answer []urlClassification
		if err := c.call(ctx, "url lookup", http.MethodPost, "/urlLookup", batch, &answer); err != nil {
			return nil, err
		}
		for _, a := range answer {
			line := fmt.Sprintf("%s: categories %s", a.URL, orNone(a.Classifications))
			if len(a.SecurityAlertCategory) > 0 {
				alertText := strings.Join(a.SecurityAlertCategory, ", ")
				line += "; security alert " + alertText
				flagged = append(flagged, a.URL+": "+alertText)
				findings.Indicators = append(findings.Indicators, integrations.Indicator{Type: lookupKind(a.URL), Value: a.URL})
			}
			findings.Details = append(findings.Details, "URL lookup "+line)
		}
	}
	return flagged, nil
}

// lookupKind says whether a looked-up value is an IP, a bare domain or a URL.
func lookupKind(value string) string {
	host := hostOnly(value)
	if host == "" || strings.TrimSuffix(strings.ToLower(value), "/") != host {
		return "url"
	}
	if net.ParseIP(host) != nil {
		return "ip"
	}
	return "domain"
}

func orNone(values []string) string {
	if len(values) == 0 {
		return "none"
	}
	return strings.Join(values, ", ")
}

// sandboxDetails is the part of a sandbox report the summary uses. ZIA answers
// {"Full Details": {...}} for a known file and {"Full Details": "md5 is unknown ..."}
// for one it never analysed.
type sandboxDetails struct {
	Classification struct {
		Type            string    `json:"Type"`
		Category        string    `json:"Category"`
		DetectedMalware string    `json:"DetectedMalware"`
		Score           looseText `json:"Score"`
	} `json:"Classification"`
	FileProperties struct {
		FileType looseText `json:"FileType"`
		SHA1     string    `json:"SHA1"`
		SHA256   string    `json:"Sha256"`
	} `json:"FileProperties"`
}

// signature is one finding of a sandbox report section (Persistence, SecurityBypass, ...).
type signature struct {
	Risk      string `json:"Risk"`
	Signature string `json:"Signature"`
}

// looseText takes a JSON string or number as text.
type looseText string

func (t *looseText) UnmarshalJSON(data []byte) error {
	var s string
	if json.Unmarshal(data, &s) == nil {
		*t = looseText(s)
		return nil
	}
	*t = looseText(strings.Trim(string(data), `"`))
	return nil
}

// sandboxReport reads the full report of one file and answers its verdict line.
func (c *Client) sandboxReport(ctx context.Context, md5 string, findings *integrations.Findings) (string, error) {
	var report map[string]json.RawMessage
	path := "/sandbox/report/" + url.PathEscape(md5) + "?details=full"
	if err := c.call(ctx, "sandbox report "+md5, http.MethodGet, path, nil, &report); err != nil {
		return "", err
	}
	body, ok := report["Full Details"]
	if !ok {
		body = report["Summary"]
	}
	var message string
	if json.Unmarshal(body, &message) == nil || len(body) == 0 {
		if message == "" {
			message = "no report"
		}
		findings.Details = append(findings.Details, fmt.Sprintf("sandbox %s: %s", md5, message))
		return fmt.Sprintf("sandbox has no verdict for %s", md5), nil
	}
	var details sandboxDetails
	if err := json.Unmarshal(body, &details); err != nil {
		return "", &integrations.VendorError{Vendor: Vendor, Operation: "sandbox report " + md5, StatusCode: http.StatusOK,
			Message: fmt.Sprintf("report is not the expected JSON: %v", err)}
	}
	cls := details.Classification
	verdict := fmt.Sprintf("sandbox %s: %s", md5, orWord(cls.Type, "UNKNOWN"))
	var facts []string
	for _, fact := range []string{cls.Category, cls.DetectedMalware, scoreText(string(cls.Score)), string(details.FileProperties.FileType)} {
		if meaningful(fact) {
			facts = append(facts, fact)
		}
	}
	if len(facts) > 0 {
		verdict += " (" + strings.Join(facts, ", ") + ")"
	}
	findings.Details = append(findings.Details, verdict)
	findings.Details = append(findings.Details, sandboxSignatures(md5, body)...)
	if t := strings.ToUpper(cls.Type); t == "MALICIOUS" || t == "SUSPICIOUS" {
		findings.Indicators = append(findings.Indicators, integrations.Indicator{Type: "md5", Value: md5})
		if sha := strings.ToLower(details.FileProperties.SHA256); isHex(sha, 64) {
			findings.Indicators = append(findings.Indicators, integrations.Indicator{Type: "sha256", Value: sha})
		}
		if sha := strings.ToLower(details.FileProperties.SHA1); isHex(sha, 40) {
			findings.Indicators = append(findings.Indicators, integrations.Indicator{Type: "sha1", Value: sha})
		}
	}
	return verdict, nil
}

// sandboxSignatures lists the behaviours the sandbox saw, section by section.
func sandboxSignatures(md5 string, body json.RawMessage) []string {
	var sections map[string]json.RawMessage
	if json.Unmarshal(body, &sections) != nil {
		return nil
	}
	var lines []string
	for _, name := range slices.Sorted(maps.Keys(sections)) {
		var sigs []signature
		if json.Unmarshal(sections[name], &sigs) != nil {
			continue
		}
		for _, s := range sigs {
			if s.Signature != "" {
				lines = append(lines, fmt.Sprintf("sandbox %s %s: %s (risk %s)", md5, name, s.Signature, orWord(s.Risk, "unknown")))
			}
		}
	}
	return lines
}

func scoreText(score string) string {
	if score == "" {
		return ""
	}
	return "score " + score
}

func orWord(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
