package syslog

import (
	"strconv"
	"strings"
	"time"
)

// observedAt answers when the event happened, from its own time fields (zero when it
// has none that read): never the syslog header's time, which a re-sent event changes.
func observedAt(e Event) time.Time {
	for _, key := range timeKeys {
		layout := ""
		if key == "devTime" {
			layout = javaLayout(e.Get("devTimeFormat"))
		}
		if t, ok := parseEventTime(e.Get(key), layout, time.Now()); ok {
			return t.UTC()
		}
	}
	return time.Time{}
}

// eventLayouts are the forms CEF's specification lists for its time fields (and LEEF's
// devTime without devTimeFormat), the zone and the milliseconds being optional.
var eventLayouts = []string{
	"Jan 2 2006 15:04:05.000", "Jan 2 2006 15:04:05", "Jan 2 15:04:05.000", "Jan 2 15:04:05",
	time.RFC3339Nano, "2006-01-02 15:04:05",
}

// zoneOffsets are the zone abbreviations senders write after a time, in seconds east
// of UTC. An abbreviation not listed makes the time unreadable rather than wrong.
var zoneOffsets = map[string]int{
	"UTC": 0, "GMT": 0, "Z": 0, "JST": 9 * 3600, "KST": 9 * 3600, "SGT": 8 * 3600, "HKT": 8 * 3600,
	"CET": 3600, "CEST": 2 * 3600, "EET": 2 * 3600, "EEST": 3 * 3600, "BST": 3600, "IST": 19800,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
}

// parseEventTime reads a time field: seconds, milliseconds, microseconds or
// nanoseconds since the epoch, or a date in layout (a devTimeFormat) or in one of
// eventLayouts, in UTC unless a zone follows. A date without a year is in the year
// that does not put it more than a day after now.
func parseEventTime(value, layout string, now time.Time) (time.Time, bool) {
	value = strings.Join(strings.Fields(value), " ")
	if value == "" {
		return time.Time{}, false
	}
	if isDigits(value) {
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		switch digits := len(value); {
		case digits <= 11:
			return time.Unix(n, 0), true
		case digits <= 14:
			return time.UnixMilli(n), true
		case digits <= 17:
			return time.UnixMicro(n), true
		default:
			return time.Unix(0, n), true
		}
	}
	if layout != "" {
		if t, err := time.Parse(layout, value); err == nil {
			return withYear(t, now), true
		}
	}
	text, zone := value, time.UTC
	if i := strings.LastIndexByte(value, ' '); i > 0 {
		if loc, ok := parseZone(value[i+1:]); ok {
			text, zone = value[:i], loc
		}
	}
	for _, l := range eventLayouts {
		if t, err := time.ParseInLocation(l, text, zone); err == nil {
			return withYear(t, now), true
		}
	}
	return time.Time{}, false
}

// parseZone reads a zone written after a time: an abbreviation of zoneOffsets or an
// offset (+0900, -05:00).
func parseZone(s string) (*time.Location, bool) {
	if offset, ok := zoneOffsets[strings.ToUpper(s)]; ok {
		return time.FixedZone(strings.ToUpper(s), offset), true
	}
	for _, layout := range []string{"-0700", "-07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Location(), true
		}
	}
	return nil, false
}

func withYear(t time.Time, now time.Time) time.Time {
	if t.Year() != 0 {
		return t
	}
	t = t.AddDate(now.Year(), 0, 0)
	if t.After(now.Add(24 * time.Hour)) {
		t = t.AddDate(-1, 0, 0)
	}
	return t
}

// javaLayouts translate the Java SimpleDateFormat letters LEEF's devTimeFormat uses
// into Go's layout, longest first.
var javaLayouts = []struct{ java, golang string }{
	{"yyyy", "2006"}, {"yy", "06"}, {"MMMM", "January"}, {"MMM", "Jan"}, {"MM", "01"}, {"M", "1"},
	{"dd", "02"}, {"d", "2"}, {"HH", "15"}, {"hh", "03"}, {"h", "3"}, {"mm", "04"}, {"ss", "05"},
	{"SSS", "000"}, {"EEEE", "Monday"}, {"EEE", "Mon"}, {"a", "PM"}, {"XXX", "Z07:00"}, {"X", "Z0700"},
	{"Z", "-0700"}, {"zzz", "MST"}, {"z", "MST"},
}

// javaLayout answers devTimeFormat as a Go layout ("" when it holds letters Go cannot
// read).
func javaLayout(format string) string {
	var b strings.Builder
	for i := 0; i < len(format); {
		c := format[i]
		switch {
		case c == '\'':
			end := strings.IndexByte(format[i+1:], '\'')
			if end < 0 {
				return ""
			}
			b.WriteString(format[i+1 : i+1+end])
			i += end + 2
			continue
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			matched := false
			for _, l := range javaLayouts {
				if strings.HasPrefix(format[i:], l.java) {
					b.WriteString(l.golang)
					i += len(l.java)
					matched = true
					break
				}
			}
			if !matched {
				return ""
			}
			continue
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}
