package messages

import (
	"maps"
	"strings"
	"time"

	"xsoc/config"
)

// clock writes times in the reader's zone, with the zone's offset, in the words of
// the reader's language.
type clock struct {
	zone *time.Location
	w    words
	// day is the incident's first day in the reader's zone: timeline lines of that
	// day show only their time.
	day string
}

func (w words) clock(zone string, firstDay time.Time) clock {
	c := clock{zone: config.LoadLocation(zone), w: w}
	if !firstDay.IsZero() {
		c.day = firstDay.In(c.zone).Format(time.DateOnly)
	}
	return c
}

// stamp writes a time in full: "2026-11-27 12:12 JST (+09:00)"; empty for no time.
func (c clock) stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.zone).Format(c.w.stamp)
}

// lineStamp writes a timeline line's time: "12:12:05 +09:00", with the day first
// when the line is not of the incident's first day.
func (c clock) lineStamp(t time.Time) string {
	local := t.In(c.zone)
	if local.Format(time.DateOnly) == c.day {
		return local.Format(c.w.lineTime)
	}
	return local.Format(c.w.lineDay + " " + c.w.lineTime)
}

// lineShape is what a timeline kind needs in Args to be said from them, and the
// Arg that picks its sentence (an action's, a clock's, a tier's) when it has several.
type lineShape struct {
	needs   []string
	variant string
}

// lineShapes covers every kind of LineKinds.
var lineShapes = map[string]lineShape{
	"opened":         {needs: []string{"detection", "hosts"}},
	"state":          {needs: []string{"to"}},
	"action":         {needs: []string{"action", "target"}, variant: "action"},
	"action_failed":  {needs: []string{"action", "target"}, variant: "action"},
	"investigated":   {needs: []string{"summary"}},
	"verdict":        {needs: []string{"verdict"}},
	"escalated":      {needs: []string{"to"}},
	"recommendation": {needs: []string{"action", "hosts"}, variant: "action"},
	"acknowledged":   {needs: []string{"tier"}, variant: "tier"},
	"sla_breach":     {needs: []string{"clock"}, variant: "clock"},
	"joined":         {needs: []string{"alert"}},
	"hosts_added":    {needs: []string{"hosts"}},
	"comment":        {needs: []string{"note"}},
	"suppressed":     {needs: []string{"rule"}},
	"merged":         {needs: []string{"parent"}},
	"closed":         {needs: []string{"state"}},
}

// say writes a timeline line in the reader's language, without its time: from Kind
// and Args when the language has the sentence and the line carries what it needs
// (lines recorded before Args existed carry none), else the line's own Text.
func (c clock) say(l Line) string {
	shape, known := lineShapes[l.Kind]
	if !known {
		return l.Text
	}
	for _, arg := range shape.needs {
		if l.Args[arg] == "" {
			return l.Text
		}
	}
	key := l.Kind
	if shape.variant != "" {
		key += "." + l.Args[shape.variant]
	}
	sentence, ok := c.w.lines[key]
	if !ok {
		return l.Text
	}
	args := map[string]string{"by": l.By}
	maps.Copy(args, l.Args)
	if due, err := time.Parse(time.RFC3339, args["due"]); err == nil {
		args["due"] = c.stamp(due)
	}
	return fill(sentence, args)
}

// timeline writes lines with their times, oldest first as given.
func (c clock) timeline(lines []Line) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		said := c.say(l)
		if !l.At.IsZero() {
			said = c.lineStamp(l.At) + " " + said
		}
		out = append(out, said)
	}
	return out
}

// sayAll writes lines without times, for SMS and speech.
func (c clock) sayAll(lines []Line, separator string) string {
	said := make([]string, 0, len(lines))
	for _, l := range lines {
		said = append(said, c.say(l))
	}
	return strings.Join(said, separator)
}
