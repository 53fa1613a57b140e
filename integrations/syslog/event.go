// Package syslog reads the events network products (firewalls, UTMs, proxies, NDR
// sensors) send over syslog — ArcSight's Common Event Format (CEF) and QRadar's Log
// Event Extended Format (LEEF 1.0 and 2.0) — and turns them into xsoc's normalized
// alert as each customer's syslog source says (severity map, which fields name the
// host, which identify the event). The syslog transport itself (framing, RFC 5424 and
// RFC 3164 headers) is the listener's business: this package starts from the message
// text, "CEF:0|…" or "LEEF:2.0|…".
package syslog

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Vendor is the vendor name of every syslog event in incident ids and search
// attributes: incident/{customer}/syslog/{event id}.
const Vendor = "syslog"

// Format is how a source writes its events.
type Format string

// The formats a syslog source may send.
const (
	CEF  Format = "cef"
	LEEF Format = "leef"
)

// Formats lists the formats a source may name.
var Formats = []Format{CEF, LEEF}

// ParseFormat accepts a format name in any case.
func ParseFormat(name string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(name)))
	switch f {
	case CEF, LEEF:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want cef or leef)", name)
}

// Event is one CEF or LEEF event as its sender wrote it, escapes undone.
type Event struct {
	Format Format `json:"format"`
	// Version is CEF's "0" or "1", LEEF's "1.0" or "2.0".
	Version        string `json:"version"`
	Vendor         string `json:"vendor"`
	Product        string `json:"product"`
	ProductVersion string `json:"product_version"`
	// Signature is CEF's Device Event Class ID, LEEF's EventID: what kind of event
	// this is (an IPS signature, a log id), not which occurrence.
	Signature string `json:"signature"`
	// Name is CEF's Name; LEEF has none, and it is the EventID there.
	Name string `json:"name"`
	// Severity is as the sender wrote it: CEF's header (0–10, or Low … Very-High), LEEF's
	// sev attribute (1–10), empty when LEEF has none.
	Severity string `json:"severity,omitempty"`
	// Fields are CEF's extension or LEEF's attributes, by key. CEF keys written by
	// their full names (sourceAddress) are stored under the short ones (src).
	Fields map[string]string `json:"fields"`
	// Delimiter is the LEEF attribute delimiter the event used.
	Delimiter string `json:"delimiter,omitempty"`
}

// Header names that id_from, detection_from and the events filter may use beside the
// event's own keys.
const (
	HeaderName      = "name"
	HeaderSignature = "signature"
	HeaderVendor    = "vendor"
	HeaderProduct   = "product"
)

// Get answers a field of the event, or one of its header fields by the names above
// (which win over an extension key of the same name); "" when absent.
func (e Event) Get(key string) string {
	switch key {
	case HeaderName:
		return e.Name
	case HeaderSignature:
		return e.Signature
	case HeaderVendor:
		return e.Vendor
	case HeaderProduct:
		return e.Product
	}
	return e.Fields[key]
}

// JSON is the event as an alert's raw payload keeps it.
func (e Event) JSON() json.RawMessage {
	data, err := json.Marshal(e)
	if err != nil { // a struct of strings always encodes
		panic(err)
	}
	return data
}

// Parse reads the event in text as format. The event may follow a prefix (some
// senders put a tag or a hostname before "CEF:"); what precedes it is not part of it.
func Parse(format Format, text string) (Event, error) {
	switch format {
	case CEF:
		return ParseCEF(text)
	case LEEF:
		return ParseLEEF(text)
	}
	return Event{}, fmt.Errorf("unknown format %q", format)
}

// fromMarker answers text from marker ("CEF:", "LEEF:") on, and whether it holds one.
func fromMarker(text, marker string) (string, bool) {
	i := strings.Index(text, marker)
	if i < 0 {
		return "", false
	}
	return text[i+len(marker):], true
}

// splitHeader reads n header fields, each ending at a '|' that is not escaped, and
// answers them with the rest of the text after the n-th '|'. In the header `\|` is a
// pipe and `\\` a backslash (CEF; LEEF senders do the same); any other backslash is
// kept as written. When lastOptional is set the n-th field may end the text without
// a '|' (an event with no extension).
func splitHeader(s string, n int, lastOptional bool) ([]string, string, error) {
	fields := make([]string, 0, n)
	var field strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '|' || s[i+1] == '\\'):
			field.WriteByte(s[i+1])
			i++
		case c == '|':
			fields = append(fields, field.String())
			field.Reset()
			if len(fields) == n {
				return fields, s[i+1:], nil
			}
		default:
			field.WriteByte(c)
		}
	}
	if lastOptional && len(fields) == n-1 {
		return append(fields, field.String()), "", nil
	}
	return nil, "", fmt.Errorf("the header has %d of its %d '|'-separated fields", len(fields), n)
}
