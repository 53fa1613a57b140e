package syslog

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"xsoc/integrations"
)

// SeverityMap maps a sender's severity to xsoc's scale. Its keys are a number ("7"),
// a range of numbers ("0-3", both ends included) or a word ("Very-High", "unknown",
// any case). The word "unknown" maps an event with no severity, or one that no other
// key covers.
type SeverityMap struct {
	ranges []severityRange
	words  map[string]integrations.Severity // by lower-case word
}

type severityRange struct {
	low, high int
	severity  integrations.Severity
}

// UnknownSeverity is the key that maps an event whose severity nothing else maps.
const UnknownSeverity = "unknown"

// DefaultSeverity is the map a source starts from; its own severity: entries win.
// CEF's severity is 0–10 (ArcSight reads 0–3 as Low, 4–6 Medium, 7–8 High, 9–10
// Very-High) or, since CEF 1.x, those words; LEEF's sev is 1–10 and is read alike.
// An event with no severity is medium: it is triaged, not dropped by a min_severity
// of medium.
var DefaultSeverity = mustSeverityMap(map[string]string{
	"0-3": "low", "4-6": "medium", "7-8": "high", "9-10": "critical",
	"low": "low", "medium": "medium", "high": "high", "very-high": "critical",
	UnknownSeverity: "medium",
})

// KeyError is a problem of one entry of a map in the customers file.
type KeyError struct {
	Key string
	Err error
}

// ParseSeverityMap reads a source's severity: entries, answering every entry that is
// wrong (a key that is no number, range or word; a value off xsoc's scale; ranges that
// overlap).
func ParseSeverityMap(entries map[string]string) (SeverityMap, []KeyError) {
	m := SeverityMap{words: map[string]integrations.Severity{}}
	var problems []KeyError
	keys := make([]string, 0, len(entries))
	for key := range entries {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		severity, err := integrations.ParseSeverity(entries[key])
		if err != nil {
			problems = append(problems, KeyError{key, err})
			continue
		}
		low, high, isRange, err := parseSeverityKey(key)
		switch {
		case err != nil:
			problems = append(problems, KeyError{key, err})
		case isRange:
			m.ranges = append(m.ranges, severityRange{low, high, severity})
		default:
			m.words[strings.ToLower(strings.TrimSpace(key))] = severity
		}
	}
	slices.SortFunc(m.ranges, func(a, b severityRange) int { return cmp.Compare(a.low, b.low) })
	for i := 1; i < len(m.ranges); i++ {
		if previous, r := m.ranges[i-1], m.ranges[i]; r.low <= previous.high {
			problems = append(problems, KeyError{rangeKey(r), fmt.Errorf("overlaps %s", rangeKey(previous))})
		}
	}
	return m, problems
}

// parseSeverityKey reads a key: a number or a range of numbers, else a word.
func parseSeverityKey(key string) (low, high int, isRange bool, err error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return 0, 0, false, fmt.Errorf("an empty key maps nothing")
	}
	first, second, dashed := strings.Cut(key, "-")
	low, errLow := strconv.Atoi(strings.TrimSpace(first))
	if errLow != nil {
		// A word (Very-High has a dash too); it must not look like a broken number.
		for _, r := range key {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == ' ') {
				return 0, 0, false, fmt.Errorf("%q is not a number, a range such as 0-3, or a word such as Very-High", key)
			}
		}
		return 0, 0, false, nil
	}
	high = low
	if dashed {
		if high, err = strconv.Atoi(strings.TrimSpace(second)); err != nil {
			return 0, 0, false, fmt.Errorf("%q is not a range such as 0-3", key)
		}
	}
	if low < 0 || high < low {
		return 0, 0, false, fmt.Errorf("%q: want a range from low to high, such as 0-3", key)
	}
	return low, high, true, nil
}

func rangeKey(r severityRange) string {
	if r.low == r.high {
		return strconv.Itoa(r.low)
	}
	return fmt.Sprintf("%d-%d", r.low, r.high)
}

func mustSeverityMap(entries map[string]string) SeverityMap {
	m, problems := ParseSeverityMap(entries)
	if len(problems) > 0 {
		panic(fmt.Sprintf("severity map: %v", problems))
	}
	return m
}

// Lookup maps a sender's severity, answering false when this map has no entry for
// it (not even unknown).
func (m SeverityMap) Lookup(vendor string) (integrations.Severity, bool) {
	vendor = strings.TrimSpace(vendor)
	if n, err := strconv.Atoi(vendor); err == nil {
		for _, r := range m.ranges {
			if n >= r.low && n <= r.high {
				return r.severity, true
			}
		}
	} else if severity, ok := m.words[strings.ToLower(vendor)]; ok && vendor != "" {
		return severity, true
	}
	severity, ok := m.words[UnknownSeverity]
	return severity, ok
}

// Over answers the map that reads m first and then, for what m does not map, base. A
// source's unknown entry applies only once neither map knows the value.
func (m SeverityMap) Over(base SeverityMap) SeverityMap {
	merged := SeverityMap{words: map[string]integrations.Severity{}}
	for word, severity := range base.words {
		merged.words[word] = severity
	}
	for word, severity := range m.words {
		merged.words[word] = severity
	}
	// m's ranges come first, and Lookup takes the first that holds the number.
	merged.ranges = append(slices.Clone(m.ranges), base.ranges...)
	return merged
}
