package syslog

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseLEEF reads one LEEF event, as IBM's "Log Event Extended Format (LEEF)" guide
// specifies versions 1.0 and 2.0:
//
//	LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value…
//	LEEF:2.0|Vendor|Product|Version|EventID|DelimiterCharacter|key=value<delim>key=value…
//
// LEEF 2.0's delimiter is one character ("^") or its hex value ("x5E", "0x5E", "x09");
// left out or empty, it is a tab, as in LEEF 1.0. An attribute is split at its first
// '=' (a value may hold more of them, as URLs do). A delimiter escaped with a
// backslash is part of the value; a piece without '=' is a delimiter the sender left
// unescaped in a value, and joins the value before it.
func ParseLEEF(text string) (Event, error) {
	rest, ok := fromMarker(text, "LEEF:")
	if !ok {
		return Event{}, errors.New(`not LEEF: no "LEEF:" in the message`)
	}
	header, attributes, err := splitHeader(strings.TrimLeft(rest, " "), 5, false)
	if err != nil {
		return Event{}, fmt.Errorf("LEEF: %w (Version|Vendor|Product|Version|EventID|)", err)
	}
	e := Event{Format: LEEF, Version: strings.TrimSpace(header[0]), Vendor: header[1], Product: header[2],
		ProductVersion: header[3], Signature: header[4], Name: header[4]}
	delimiter := "\t"
	switch e.Version {
	case "1.0", "1":
	case "2.0", "2":
		if spec, remainder, found := strings.Cut(attributes, "|"); found && !strings.Contains(spec, "=") {
			if delimiter, err = leefDelimiter(spec); err != nil {
				return Event{}, err
			}
			attributes = remainder
		}
	default:
		return Event{}, fmt.Errorf("LEEF: version %q is not 1.0 or 2.0", header[0])
	}
	if strings.TrimSpace(e.Signature) == "" {
		return Event{}, errors.New("LEEF: the event has no EventID")
	}
	e.Delimiter = delimiter
	e.Fields = parseAttributes(attributes, delimiter)
	e.Severity = strings.TrimSpace(e.Fields["sev"])
	return e, nil
}

// leefDelimiter reads LEEF 2.0's DelimiterCharacter field.
func leefDelimiter(spec string) (string, error) {
	if spec == "" {
		return "\t", nil
	}
	if utf8.RuneCountInString(spec) == 1 {
		if spec == "=" || spec == `\` {
			return "", fmt.Errorf("LEEF 2.0: %q cannot delimit attributes", spec)
		}
		return spec, nil
	}
	lower := strings.ToLower(spec)
	hex, found := strings.CutPrefix(lower, "0x")
	if !found {
		hex, found = strings.CutPrefix(lower, "x")
	}
	if !found || hex == "" || len(hex) > 4 {
		return "", fmt.Errorf("LEEF 2.0: delimiter %q is neither one character nor a hex value (x09, 0x5E)", spec)
	}
	code, err := strconv.ParseUint(hex, 16, 32)
	r := rune(code) //nolint:gosec // G115: at most four hex digits, 0xFFFF at most
	if err != nil || r == 0 || r == '=' || r == '\\' || !utf8.ValidRune(r) {
		return "", fmt.Errorf("LEEF 2.0: delimiter %q is not a usable character", spec)
	}
	return string(r), nil
}

// parseAttributes reads LEEF's key=value attributes separated by delimiter.
func parseAttributes(s, delimiter string) map[string]string {
	fields := map[string]string{}
	last := ""
	for _, piece := range splitUnescaped(s, delimiter) {
		if strings.TrimSpace(piece) == "" {
			continue // a delimiter ending the attributes, or two in a row
		}
		key, value, found := strings.Cut(piece, "=")
		key = strings.TrimSpace(key)
		if !found || key == "" || strings.ContainsAny(key, " \t") {
			if last != "" {
				fields[last] += delimiter + piece
			}
			continue
		}
		fields[key] = value
		last = key
	}
	// A value the sender ended with a line break (the syslog trailer) or spaces keeps
	// none of them.
	if last != "" {
		fields[last] = strings.TrimRight(fields[last], " \r\n")
	}
	return fields
}

// splitUnescaped splits s at each delimiter that no backslash escapes, and drops that
// backslash from the pieces.
func splitUnescaped(s, delimiter string) []string {
	var pieces []string
	var piece strings.Builder
	for i := 0; i < len(s); {
		switch {
		case s[i] == '\\' && strings.HasPrefix(s[i+1:], delimiter):
			piece.WriteString(delimiter)
			i += 1 + len(delimiter)
		case strings.HasPrefix(s[i:], delimiter):
			pieces = append(pieces, piece.String())
			piece.Reset()
			i += len(delimiter)
		default:
			piece.WriteByte(s[i])
			i++
		}
	}
	return append(pieces, piece.String())
}
