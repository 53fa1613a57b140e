package workflows

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"
)

// The managers' figures (SPEC "Managers' view") that the Account keeps from the
// summaries of concluded incidents, so that they outlive the namespace's retention.

// Durations measured from each incident, each from the incident's opening except ingest.
const (
	// DurationIngest: the vendor's detection → the incident opened.
	DurationIngest = "ingest"
	// DurationAck: opened → acknowledged by the triaging tier (MTTA).
	DurationAck = "ack"
	// DurationVerdict: opened → an analyst's verdict.
	DurationVerdict = "verdict"
	// DurationContain: opened → the vendor confirmed the containment.
	DurationContain = "contain"
	// DurationResolve: opened → closed (MTTR).
	DurationResolve = "resolve"
)

// DurationNames lists the durations in the order a page shows them.
var DurationNames = []string{DurationIngest, DurationAck, DurationVerdict, DurationContain, DurationResolve}

// TrendMonths is how many months the performance query answers, the asked one last;
// the Account keeps the duration samples of as many months.
const TrendMonths = 6

// durationSampleLimit bounds the durations kept of one kind in one month. Beyond it the
// Account keeps those of the incidents with the lowest hash of their id: a uniform
// sample that does not depend on the order incidents concluded in.
const durationSampleLimit = 250

// breachListLimit bounds the breaches listed in a month; their count stays exact.
const breachListLimit = 100

// TimeToAckBuckets are the upper bounds, in seconds, of the time-to-acknowledge
// histogram the Account keeps over its whole life (the starter's Prometheus
// histogram). Changing them starts the histogram over in every Account.
var TimeToAckBuckets = []float64{30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400}

// Funnel is where a month's alerts went: in, closed by a suppression rule, merged into
// another incident, handled by the SOC (or the customer's triage), confirmed as true
// positives, and how many of those the customer was paged and phoned for.
type Funnel struct {
	AlertsIn       int `json:"alerts_in"`
	Suppressed     int `json:"suppressed"`
	Merged         int `json:"merged"`
	Handled        int `json:"handled"`
	Confirmed      int `json:"confirmed"`
	CustomerPaged  int `json:"customer_paged"`
	CustomerCalled int `json:"customer_called"`
}

// Breach is one SLA clock an incident breached.
type Breach struct {
	Incident string    `json:"incident"`
	Clock    string    `json:"clock"`
	Severity string    `json:"severity"`
	At       time.Time `json:"at"`
}

// DurationSample is what a month keeps of one duration: how many incidents had it, and
// up to durationSampleLimit of them as [hash of the incident id, milliseconds]. A month
// past the trend keeps only its Quantiles.
type DurationSample struct {
	Count  int        `json:"count"`
	Kept   [][2]int64 `json:"kept,omitempty"`
	Frozen *Quantiles `json:"frozen,omitempty"`
}

// Quantiles sum one duration up over a month: the nearest-rank median and 90th
// percentile of the durations kept (every one when Sampled equals Count).
type Quantiles struct {
	Count         int     `json:"count"`
	Sampled       int     `json:"sampled"`
	MedianSeconds float64 `json:"median_seconds"`
	P90Seconds    float64 `json:"p90_seconds"`
}

// Histogram counts durations in TimeToAckBuckets (cumulative, as Prometheus reads them).
type Histogram struct {
	Buckets    []uint64 `json:"buckets"`
	Count      uint64   `json:"count"`
	SumSeconds float64  `json:"sum_seconds"`
}

// Performance answers the performance query: one month in full and the trend of the
// TrendMonths months ending with it (oldest first, without their breach lists).
type Performance struct {
	Customer string             `json:"customer"`
	Timezone string             `json:"timezone"`
	Month    MonthPerformance   `json:"month"`
	Trend    []MonthPerformance `json:"trend"`
	// TimeToAck is the histogram of every acknowledged incident the Account recorded;
	// BreachTotals the breaches by clock, also over the Account's life.
	TimeToAck    Histogram      `json:"time_to_ack"`
	BreachTotals map[string]int `json:"breach_totals"`
}

// MonthPerformance is one month of a customer as managers see it: the incidents that
// concluded in it (in the customer's zone), from Start to End.
type MonthPerformance struct {
	Month     string                    `json:"month"`
	Start     time.Time                 `json:"start"`
	End       time.Time                 `json:"end"`
	Incidents int                       `json:"incidents"`
	Funnel    Funnel                    `json:"funnel"`
	Durations map[string]Quantiles      `json:"durations"`
	SLA       map[string]map[string]int `json:"sla"`
	// BreachesByClock counts the month's breaches by clock; Breaches lists them (the
	// first breachListLimit).
	BreachesByClock map[string]int `json:"breaches_by_clock"`
	Breaches        []Breach       `json:"breaches,omitempty"`
	// RuleHits counts the alerts each suppression rule closed in the month.
	RuleHits map[string]int `json:"rule_hits"`
}

// recordPerformance adds a concluded incident to its month's managers' figures and to
// the Account's lifetime histogram and breach counts.
func (acc *account) recordPerformance(m *MonthFigures, s IncidentSummary) {
	suppressed := s.State == StateSuppressed && s.Rule != ""
	merged := s.State == StateMerged
	if s.Vendor != CampaignVendor {
		m.Funnel.AlertsIn++
		if !s.DetectedAt.IsZero() {
			m.addDuration(DurationIngest, s.Incident, max(0, s.OpenedAt.Sub(s.DetectedAt)))
		}
	}
	switch {
	case suppressed:
		m.Funnel.Suppressed++
		if m.RuleHits == nil {
			m.RuleHits = map[string]int{}
		}
		m.RuleHits[s.Rule]++
	case merged:
		m.Funnel.Merged++
	default:
		acc.recordHandled(m, s)
	}
	for _, clock := range sortedKeys(s.Clocks) {
		if s.Clocks[clock] != SLABreached {
			continue
		}
		if acc.state.BreachTotals == nil {
			acc.state.BreachTotals = map[string]int{}
		}
		acc.state.BreachTotals[clock]++
		if len(m.Breaches) < breachListLimit {
			m.Breaches = append(m.Breaches, Breach{Incident: s.Incident, Clock: clock, Severity: s.Severity, At: s.BreachedAt[clock]})
		}
	}
}

// recordHandled counts an incident that people worked on, and how long each step took.
func (acc *account) recordHandled(m *MonthFigures, s IncidentSummary) {
	m.Funnel.Handled++
	if s.Verdict == VerdictTruePositive {
		m.Funnel.Confirmed++
	}
	if s.CustomerPaged {
		m.Funnel.CustomerPaged++
	}
	if s.CustomerCalled {
		m.Funnel.CustomerCalled++
	}
	since := func(at time.Time) (time.Duration, bool) {
		if at.IsZero() {
			return 0, false
		}
		return max(0, at.Sub(s.OpenedAt)), true
	}
	if d, ok := since(s.AcknowledgedAt); ok {
		m.addDuration(DurationAck, s.Incident, d)
		acc.state.TimeToAck.observe(d)
	}
	if d, ok := since(s.VerdictAt); ok {
		m.addDuration(DurationVerdict, s.Incident, d)
	}
	if d, ok := since(s.ContainedAt); ok {
		m.addDuration(DurationContain, s.Incident, d)
	}
	if d, ok := since(s.ClosedAt); ok {
		m.addDuration(DurationResolve, s.Incident, d)
	}
}

func (m *MonthFigures) addDuration(name, incident string, d time.Duration) {
	if m.Durations == nil {
		m.Durations = map[string]*DurationSample{}
	}
	sample, ok := m.Durations[name]
	if !ok {
		sample = &DurationSample{}
		m.Durations[name] = sample
	}
	sample.add(incident, d)
}

// add counts a duration and keeps it when its incident's hash is among the lowest.
func (d *DurationSample) add(incident string, duration time.Duration) {
	d.Count++
	if d.Frozen != nil {
		// A month past the trend that still hears of an incident: its figures stay
		// those frozen, but the count is right.
		d.Frozen.Count++
		return
	}
	// SHA-256 rather than a fast hash: ids differ in their last characters only, and
	// FNV's low values follow those characters, which would bias the sample.
	sum := sha256.Sum256([]byte(incident))
	entry := [2]int64{int64(binary.BigEndian.Uint64(sum[:8]) >> 1), duration.Milliseconds()}
	if len(d.Kept) < durationSampleLimit {
		d.Kept = append(d.Kept, entry)
		return
	}
	highest := 0
	for i := range d.Kept {
		if d.Kept[i][0] > d.Kept[highest][0] {
			highest = i
		}
	}
	if entry[0] < d.Kept[highest][0] {
		d.Kept[highest] = entry
	}
}

// quantiles sums the sample up.
func (d *DurationSample) quantiles() Quantiles {
	if d.Frozen != nil {
		return *d.Frozen
	}
	millis := make([]int64, len(d.Kept))
	for i, k := range d.Kept {
		millis[i] = k[1]
	}
	slices.Sort(millis)
	return Quantiles{Count: d.Count, Sampled: len(millis),
		MedianSeconds: seconds(NearestRank(millis, 0.5)), P90Seconds: seconds(NearestRank(millis, 0.9))}
}

// NearestRank is the p-quantile of sorted values by the nearest-rank method: the
// smallest value with at least p of the values at or below it (0 for none).
func NearestRank(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	// The small margin keeps a product like 0.9×10 that lands a hair above 9 at 9.
	rank := int(math.Ceil(p*float64(len(sorted)) - 1e-9))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func seconds(millis int64) float64 { return float64(millis) / 1000 }

func (h *Histogram) observe(d time.Duration) {
	if len(h.Buckets) != len(TimeToAckBuckets) {
		h.Buckets = make([]uint64, len(TimeToAckBuckets))
	}
	s := d.Seconds()
	for i, bound := range TimeToAckBuckets {
		if s <= bound {
			h.Buckets[i]++
		}
	}
	h.Count++
	h.SumSeconds += s
}

// performance answers the performance query for a month ("2026-05").
func (acc *account) performance(month string) (Performance, error) {
	first, err := time.Parse("2006-01", month)
	if err != nil {
		return Performance{}, fmt.Errorf("month %q: want YYYY-MM", month)
	}
	p := Performance{Customer: acc.state.Customer, Timezone: acc.zone.String(), TimeToAck: acc.state.TimeToAck,
		BreachTotals: map[string]int{}}
	if p.TimeToAck.Buckets == nil {
		p.TimeToAck.Buckets = make([]uint64, len(TimeToAckBuckets))
	}
	for _, clock := range sortedKeys(acc.state.BreachTotals) {
		p.BreachTotals[clock] = acc.state.BreachTotals[clock]
	}
	for i := TrendMonths - 1; i >= 0; i-- {
		key := first.AddDate(0, -i, 0).Format("2006-01")
		m := acc.monthPerformance(key)
		m.Breaches = nil
		p.Trend = append(p.Trend, m)
	}
	p.Month = acc.monthPerformance(month)
	return p, nil
}

func (acc *account) monthPerformance(key string) MonthPerformance {
	first, _ := time.Parse("2006-01", key)
	start := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, acc.zone)
	mp := MonthPerformance{Month: key, Start: start, End: start.AddDate(0, 1, 0),
		Durations: map[string]Quantiles{}, SLA: map[string]map[string]int{}, BreachesByClock: map[string]int{},
		Breaches: []Breach{}, RuleHits: map[string]int{}}
	m, ok := acc.state.Months[key]
	if !ok {
		return mp
	}
	mp.Incidents, mp.Funnel = m.Incidents, m.Funnel
	for _, name := range sortedKeys(m.Durations) {
		mp.Durations[name] = m.Durations[name].quantiles()
	}
	for _, clock := range sortedKeys(m.SLA) {
		mp.SLA[clock] = m.SLA[clock]
		if n := m.SLA[clock][SLABreached]; n > 0 {
			mp.BreachesByClock[clock] = n
		}
	}
	mp.Breaches = append(mp.Breaches, m.Breaches...)
	for _, rule := range sortedKeys(m.RuleHits) {
		mp.RuleHits[rule] = m.RuleHits[rule]
	}
	return mp
}

// freezeOldSamples keeps the duration samples of the newest TrendMonths months only;
// older months keep their quantiles, so that the state carried over stays small.
func (acc *account) freezeOldSamples() {
	months := sortedKeys(acc.state.Months)
	for _, key := range months[:max(0, len(months)-TrendMonths)] {
		for _, name := range sortedKeys(acc.state.Months[key].Durations) {
			sample := acc.state.Months[key].Durations[name]
			if sample.Frozen == nil {
				q := sample.quantiles()
				sample.Frozen, sample.Kept = &q, nil
			}
		}
	}
}

// containedAt (for the incident's summary) is when the vendor first confirmed the incident's containment: the
// contain clock met, or, for a Severity without that clock, the first move to
// contained in the timeline.
func containedAt(s IncidentStatus) time.Time {
	if c := s.clock(ClockContain); c != nil && c.State == SLAMet && s.State != StateSuppressed {
		return c.MetAt
	}
	for _, e := range s.Timeline {
		if e.Kind == "state" && e.Args["to"] == StateContained {
			return e.At
		}
	}
	return time.Time{}
}
