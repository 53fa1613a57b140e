package server

import (
	"fmt"
	"strings"

	"xsoc/workflows/api"
)

// Charts are drawn on the server as SVG: the page needs no script and no asset from
// elsewhere, prints as it shows, and works where the SOC has no internet. The
// geometry is computed here; the template only writes it out.

// svgChart is one chart: its size, and the shapes and words in it.
type svgChart struct {
	Title  string
	Width  int
	Height int
	Rects  []svgRect
	Texts  []svgText
	Lines  []svgLine
}

type svgRect struct {
	X, Y, W, H float64
	Class      string
	// Title is shown when the pointer rests on the shape.
	Title string
}

type svgText struct {
	X, Y   float64
	Anchor string
	Class  string
	Text   string
}

type svgLine struct {
	Points string
	Class  string
}

// barItem is one bar of a horizontal bar chart.
type barItem struct {
	Label string
	Value float64
	Shown string
	Class string
}

const (
	chartWidth   = 640
	barHeight    = 22
	barGap       = 6
	labelWidth   = 220
	valueWidth   = 70
	chartPadding = 4
)

// horizontalBars draws one bar per item, scaled to the largest value.
func horizontalBars(title string, items []barItem) svgChart {
	chart := svgChart{Title: title, Width: chartWidth, Height: chartPadding*2 + len(items)*(barHeight+barGap)}
	largest := 0.0
	for _, item := range items {
		largest = max(largest, item.Value)
	}
	span := float64(chartWidth - labelWidth - valueWidth)
	for i, item := range items {
		y := float64(chartPadding + i*(barHeight+barGap))
		w := 0.0
		if largest > 0 {
			w = span * item.Value / largest
		}
		// A zero still shows a sliver, so that the row reads as "none", not "missing".
		w = max(w, 1)
		chart.Texts = append(chart.Texts, svgText{X: labelWidth - 8, Y: y + barHeight*0.7, Anchor: "end", Class: "label", Text: item.Label})
		chart.Rects = append(chart.Rects, svgRect{X: labelWidth, Y: y, W: w, H: barHeight, Class: item.Class, Title: item.Label + ": " + item.Shown})
		chart.Texts = append(chart.Texts, svgText{X: labelWidth + w + 6, Y: y + barHeight*0.7, Anchor: "start", Class: "value", Text: item.Shown})
	}
	return chart
}

// openChart draws a customer's (or every customer's) open incidents by SLA state.
func openChart(lang string, counts map[string]int) svgChart {
	var items []barItem
	for _, state := range slaStates[:3] {
		items = append(items, barItem{Label: text(lang, "s."+state), Value: float64(counts[state]), Shown: fmt.Sprint(counts[state]), Class: "sla-" + state})
	}
	return horizontalBars(text(lang, "open"), items)
}

// funnelChart draws the month's funnel.
func funnelChart(lang string, f api.Funnel) svgChart {
	var items []barItem
	for i, step := range funnelSteps(f) {
		items = append(items, barItem{Label: text(lang, step.Key), Value: float64(step.Value), Shown: fmt.Sprint(step.Value), Class: fmt.Sprintf("funnel funnel-%d", i)})
	}
	return horizontalBars(text(lang, "funnel"), items)
}

// trendChart draws one duration over the trend's months: the median as bars, the
// 90th percentile as a line over them, the axis in the largest unit that fits.
func trendChart(lang, duration string, trend []api.MonthPerformance) svgChart {
	const (
		height = 180
		top    = 16
		bottom = 26
		left   = 64
		right  = 12
	)
	chart := svgChart{Title: text(lang, "d."+duration), Width: chartWidth, Height: height}
	largest := 0.0
	for _, m := range trend {
		q := m.Durations[duration]
		largest = max(largest, q.P90Seconds, q.MedianSeconds)
	}
	plot := float64(height - top - bottom)
	scale := func(seconds float64) float64 {
		if largest == 0 {
			return 0
		}
		return plot * seconds / largest
	}
	base := float64(height - bottom)
	chart.Lines = append(chart.Lines, svgLine{Points: fmt.Sprintf("%d,%.1f %d,%.1f", left, base, chartWidth-right, base), Class: "axis"})
	chart.Texts = append(chart.Texts,
		svgText{X: left - 6, Y: top + 4, Anchor: "end", Class: "value", Text: humanDuration(lang, largest)},
		svgText{X: left - 6, Y: base, Anchor: "end", Class: "value", Text: "0"})
	if len(trend) == 0 {
		return chart
	}
	slot := float64(chartWidth-left-right) / float64(len(trend))
	var p90 []string
	for i, m := range trend {
		q := m.Durations[duration]
		x := float64(left) + slot*float64(i)
		h := scale(q.MedianSeconds)
		label := m.Month
		if q.Count == 0 {
			label += " (" + text(lang, "none") + ")"
		}
		chart.Rects = append(chart.Rects, svgRect{X: x + slot*0.2, Y: base - h, W: slot * 0.6, H: h, Class: "median",
			Title: fmt.Sprintf("%s %s %s / %s %s (n=%d)", m.Month, text(lang, "median"), humanDuration(lang, q.MedianSeconds),
				text(lang, "p90"), humanDuration(lang, q.P90Seconds), q.Count)})
		chart.Texts = append(chart.Texts, svgText{X: x + slot/2, Y: height - 8, Anchor: "middle", Class: "label", Text: label})
		if q.Count > 0 {
			p90 = append(p90, fmt.Sprintf("%.1f,%.1f", x+slot/2, base-scale(q.P90Seconds)))
			chart.Rects = append(chart.Rects, svgRect{X: x + slot/2 - 3, Y: base - scale(q.P90Seconds) - 3, W: 6, H: 6, Class: "p90-dot",
				Title: text(lang, "p90") + " " + humanDuration(lang, q.P90Seconds)})
		}
	}
	if len(p90) > 1 {
		chart.Lines = append(chart.Lines, svgLine{Points: strings.Join(p90, " "), Class: "p90"})
	}
	return chart
}
