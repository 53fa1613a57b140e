package syslog

import (
	"errors"
	"fmt"
	"strings"
)

// ParseCEF reads one CEF event, as ArcSight's "Implementing ArcSight Common Event
// Format (CEF)" specifies it:
//
//	CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|Extension
//
// In the header a pipe is written `\|` and a backslash `\\`. The extension is
// space-separated key=value pairs; a value runs until the space before the next key
// and may hold spaces; in it `\=` is an equal sign, `\\` a backslash, `\n` and `\r` a
// line break. Pipes need no escape in the extension (`\|` is read as a pipe all the
// same). FortiGate writes "CEF: 0|…", with a space: it is read too.
func ParseCEF(text string) (Event, error) {
	rest, ok := fromMarker(text, "CEF:")
	if !ok {
		return Event{}, errors.New(`not CEF: no "CEF:" in the message`)
	}
	header, extension, err := splitHeader(strings.TrimLeft(rest, " "), 7, true)
	if err != nil {
		return Event{}, fmt.Errorf("CEF: %w (Version|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|)", err)
	}
	e := Event{Format: CEF, Version: strings.TrimSpace(header[0]), Vendor: header[1], Product: header[2],
		ProductVersion: header[3], Signature: header[4], Name: header[5], Severity: strings.TrimSpace(header[6])}
	if !isDigits(e.Version) {
		return Event{}, fmt.Errorf("CEF: version %q is not a number (CEF:0 or CEF:1)", header[0])
	}
	if strings.TrimSpace(e.Name) == "" && strings.TrimSpace(e.Signature) == "" {
		return Event{}, errors.New("CEF: the event has neither a Name nor a Device Event Class ID")
	}
	// A line break ending the text is the sender's trailer: CEF writes one in a value as \n.
	if e.Fields, err = parseExtension(strings.TrimRight(extension, " \r\n")); err != nil {
		return Event{}, fmt.Errorf("CEF extension: %w", err)
	}
	return e, nil
}

// parseExtension reads CEF's key=value pairs.
func parseExtension(s string) (map[string]string, error) {
	fields := map[string]string{}
	i := skipSpaces(s, 0)
	for i < len(s) {
		keyEnd := scanKey(s, i)
		if keyEnd == i || keyEnd >= len(s) || s[keyEnd] != '=' {
			return nil, fmt.Errorf("at byte %d: want key=value, found %q", i, excerpt(s[i:]))
		}
		key := s[i:keyEnd]
		valueStart := keyEnd + 1
		valueEnd, next := scanValue(s, valueStart)
		fields[cefShortKey(key)] = unescapeExtension(strings.TrimRight(s[valueStart:valueEnd], " "))
		i = next
	}
	return fields, nil
}

// scanValue finds where the value starting at start ends: at the last space before
// the next key=, or the end of s. It answers that end and where the next key starts.
func scanValue(s string, start int) (end, next int) {
	for j := start; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++ // the escaped character is part of the value
		case ' ':
			k := skipSpaces(s, j)
			if keyEnd := scanKey(s, k); keyEnd > k && keyEnd < len(s) && s[keyEnd] == '=' {
				return j, k
			}
			j = k - 1
		}
	}
	return len(s), len(s)
}

// scanKey answers the end of the key that may start at i: CEF keys are letters and
// digits, and vendors' own keys add '_', '.', '-', '[' and ']' (FortiAnalyzer's
// "ad.vd").
func scanKey(s string, i int) int {
	for i < len(s) && isKeyByte(s[i]) {
		i++
	}
	return i
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == '-' || c == '[' || c == ']'
}

func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

// unescapeExtension undoes CEF's extension escapes; a backslash before anything else
// is kept, so that a sender that does not escape (a Windows path) loses nothing.
func unescapeExtension(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' || i+1 == len(v) {
			b.WriteByte(v[i])
			continue
		}
		switch v[i+1] {
		case '=', '\\', '|':
			b.WriteByte(v[i+1])
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte('\\')
			b.WriteByte(v[i+1])
		}
		i++
	}
	return b.String()
}

// cefFullNames are the CEF dictionary's full key names whose short names xsoc reads;
// a sender that writes the full name is read as if it wrote the short one.
var cefFullNames = map[string]string{
	"sourceAddress": "src", "destinationAddress": "dst", "deviceAddress": "dvc",
	"sourceHostName": "shost", "destinationHostName": "dhost", "deviceHostName": "dvchost",
	"sourceUserName": "suser", "destinationUserName": "duser",
	"requestUrl": "request", "deviceReceiptTime": "rt", "startTime": "start", "endTime": "end",
	"deviceAction": "act", "deviceEventCategory": "cat", "message": "msg",
}

func cefShortKey(key string) string {
	if short, ok := cefFullNames[key]; ok {
		return short
	}
	return key
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// excerpt is the start of s, for an error message.
func excerpt(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}
