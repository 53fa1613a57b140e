package cybereason

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"

	"xsoc/integrations"
)

// Cybereason answers are loosely typed: the same field is a string in one endpoint and
// a number or boolean in another ("isolated": "false" next to "isolated": false), and
// the visualsearch answers quote every value. These types read what the console sends
// and still refuse what is plainly not the field (an object where a name should be),
// with the field named by encoding/json.

// text is a JSON scalar read as a string; null reads as "".
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*t = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(s)
	case b[0] == '{' || b[0] == '[':
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[string]()}
	default:
		*t = text(b)
	}
	return nil
}

// String trims the value: console fields often carry stray spaces.
func (t text) String() string { return strings.TrimSpace(string(t)) }

// present is the value unless it is one of the console's spellings of "nothing".
func (t text) present() string {
	s := t.String()
	switch strings.ToLower(s) {
	case "none", "null", "n/a":
		return ""
	}
	return s
}

// number is an integer sent as a JSON number or as a quoted string ("1659517940167").
type number int64

func (n *number) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
	}
	switch strings.ToLower(s) {
	case "", "null", "none":
		*n = 0
		return nil
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = number(v)
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= -9e18 && f <= 9e18 {
		*n = number(int64(f))
		return nil
	}
	return &json.UnmarshalTypeError{Value: jsonKind(b) + " " + strconv.Quote(integrations.Truncate(s, 40)), Type: reflect.TypeFor[int64]()}
}

// flexBool is a boolean sent as true/false or as "true"/"false" (sensors do both).
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	raw := string(bytes.TrimSpace(b))
	switch strings.ToLower(strings.Trim(raw, `"`)) {
	case "true", "1", "yes":
		*f = true
	case "false", "0", "no", "", "null", "none":
		*f = false
	default:
		return &json.UnmarshalTypeError{Value: integrations.Truncate(raw, 40), Type: reflect.TypeFor[bool]()}
	}
	return nil
}

// textList is a list of names sent either as a JSON array or as one comma-separated
// string (the inbox sends rootCauseElementHashes as "" or "a1b2…").
type textList []string

func (l *textList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*l = nil
		return nil
	}
	if b[0] == '[' {
		var items []text
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		out := make(textList, 0, len(items))
		for _, item := range items {
			if s := item.present(); s != "" {
				out = append(out, s)
			}
		}
		*l = out
		return nil
	}
	var one text
	if err := one.UnmarshalJSON(b); err != nil {
		return err
	}
	var out textList
	for _, part := range strings.Split(one.String(), ",") {
		if s := text(part).present(); s != "" {
			out = append(out, s)
		}
	}
	*l = out
	return nil
}

// maxMillis is 9999-12-31T23:59:59.999Z: beyond it a time cannot be written as RFC 3339,
// which is how the alert travels on.
const maxMillis = 253402300799999

// millisTime converts a Cybereason epoch-milliseconds value; ok is false for zero
// (the console's "not set") and for values no clock produces.
func millisTime(ms int64) (time.Time, bool) {
	if ms <= 0 || ms > maxMillis {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "empty"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}
