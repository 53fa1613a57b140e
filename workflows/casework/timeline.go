package casework

import (
	"fmt"
	"strings"
	"time"

	"xsoc/integrations"
	"xsoc/workflows/api"
)

// Facts builds an Entry's Args from name/value pairs.
func Facts(pairs ...string) map[string]string {
	if len(pairs) == 0 {
		return nil
	}
	args := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		args[pairs[i]] = pairs[i+1]
	}
	return args
}

// NewEntry is one line of a timeline: what happened, when, by whom, with its facts.
func NewEntry(at time.Time, kind, by string, args map[string]string, format string, a ...any) api.Entry {
	return api.Entry{At: at, Kind: kind, By: by, Text: fmt.Sprintf(format, a...), Args: args}
}

// NoteSuffix is a decision's note as the end of a timeline line.
func NoteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return ": " + note
}

// JoinHosts lists hosts for a timeline line.
func JoinHosts(hosts []string) string { return strings.Join(hosts, ", ") }

// IndicatorList lists indicators for a timeline line ("domain evil.example, ip 10.0.0.1").
func IndicatorList(indicators []integrations.Indicator) string {
	values := make([]string, 0, len(indicators))
	for _, ind := range indicators {
		values = append(values, fmt.Sprintf("%s %s", ind.Type, ind.Value))
	}
	return strings.Join(values, ", ")
}

// DescribePage names whom a page went to, for the timeline.
func DescribePage(p api.Page) string {
	if p.Name != "" {
		return fmt.Sprintf("%s (%s)", p.Name, p.Address)
	}
	return p.Address
}
