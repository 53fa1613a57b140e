package account

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// durationSampleLimit bounds the durations kept of one kind in one month. Beyond it the
// Account keeps those of the incidents with the lowest hash of their id: a uniform
// sample that does not depend on the order incidents concluded in.
const durationSampleLimit = 250

// breachListLimit bounds the breaches listed in a month; their count stays exact.
const breachListLimit = 100

// DurationSample is what a month keeps of one duration: how many incidents had it, and
// up to durationSampleLimit of them as [hash of the incident id, milliseconds]. A month
// past the trend keeps only its Quantiles.
type DurationSample struct {
	Count  int            `json:"count"`
	Kept   [][2]int64     `json:"kept,omitempty"`
	Frozen *api.Quantiles `json:"frozen,omitempty"`
}

func (m *MonthFigures) addDuration(name, incident string, d time.Duration) {
	entry(&m.Durations, name).add(incident, d)
}

// add counts a duration and keeps it when its incident's hash is among the lowest.
func (d *DurationSample) add(incident string, duration time.Duration) {
	d.addUpTo(durationSampleLimit, incident, duration)
}

// addUpTo is add keeping at most limit durations.
func (d *DurationSample) addUpTo(limit int, incident string, duration time.Duration) {
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
	if len(d.Kept) < limit {
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
func (d *DurationSample) quantiles() api.Quantiles {
	if d.Frozen != nil {
		return *d.Frozen
	}
	millis := make([]int64, len(d.Kept))
	for i, k := range d.Kept {
		millis[i] = k[1]
	}
	slices.Sort(millis)
	return api.Quantiles{Count: d.Count, Sampled: len(millis),
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

func observe(h *api.Histogram, d time.Duration) {
	if len(h.Buckets) != len(api.TimeToAckBuckets) {
		h.Buckets = make([]uint64, len(api.TimeToAckBuckets))
	}
	s := d.Seconds()
	for i, bound := range api.TimeToAckBuckets {
		if s <= bound {
			h.Buckets[i]++
		}
	}
	h.Count++
	h.SumSeconds += s
}

// performance answers the performance query for a month ("2026-05").
func (acc *account) performance(month string) (api.Performance, error) {
	first, err := time.Parse("2006-01", month)
	if err != nil {
		return api.Performance{}, fmt.Errorf("month %q: want YYYY-MM", month)
	}
	p := api.Performance{Customer: acc.state.Customer, Timezone: acc.zone.String(), TimeToAck: acc.state.TimeToAck,
		TimeToCustomerAck: acc.state.TimeToCustomerAck, BreachTotals: map[string]int{}}
	for _, h := range []*api.Histogram{&p.TimeToAck, &p.TimeToCustomerAck} {
		if h.Buckets == nil {
			h.Buckets = make([]uint64, len(api.TimeToAckBuckets))
		}
	}
	for _, clock := range casework.SortedKeys(acc.state.BreachTotals) {
		p.BreachTotals[clock] = acc.state.BreachTotals[clock]
	}
	for i := api.TrendMonths - 1; i >= 0; i-- {
		key := first.AddDate(0, -i, 0).Format("2006-01")
		m := acc.monthPerformance(key)
		m.Breaches = nil
		p.Trend = append(p.Trend, m)
	}
	p.Month = acc.monthPerformance(month)
	return p, nil
}

func (acc *account) monthPerformance(key string) api.MonthPerformance {
	first, _ := time.Parse("2006-01", key)
	start := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, acc.zone)
	mp := api.MonthPerformance{Month: key, Start: start, End: start.AddDate(0, 1, 0),
		Durations: map[string]api.Quantiles{}, SLA: map[string]map[string]int{}, BreachesByClock: map[string]int{},
		Breaches: []api.Breach{}, RuleHits: map[string]int{}, BySeverity: map[string]api.SeverityPerformance{},
		Requests: acc.requestFigures(key, start)}
	m, ok := acc.state.Months[key]
	if !ok {
		return mp
	}
	mp.Incidents, mp.Funnel, mp.CountedAtConclusion, mp.TicketsConverted = m.Incidents, m.Funnel, m.CountedAtConclusion, m.TicketsConverted
	for _, name := range casework.SortedKeys(m.Durations) {
		mp.Durations[name] = m.Durations[name].quantiles()
	}
	for _, clock := range casework.SortedKeys(m.SLA) {
		mp.SLA[clock] = m.SLA[clock]
		if n := m.SLA[clock][api.SLABreached]; n > 0 {
			mp.BreachesByClock[clock] = n
		}
	}
	mp.Breaches = append(mp.Breaches, m.Breaches...)
	for _, rule := range casework.SortedKeys(m.RuleHits) {
		mp.RuleHits[rule] = m.RuleHits[rule]
	}
	for _, name := range casework.SortedKeys(m.Severities) {
		mp.BySeverity[name] = m.Severities[name].performance()
	}
	return mp
}

// performance sums a Severity's share of a month up.
func (s *SeverityFigures) performance() api.SeverityPerformance {
	p := api.SeverityPerformance{AlertsIn: s.AlertsIn, Incidents: s.Incidents, Confirmed: s.Confirmed,
		BreachesByClock: map[string]int{}, Durations: map[string]api.Quantiles{}}
	for _, clock := range casework.SortedKeys(s.Breaches) {
		p.BreachesByClock[clock] = s.Breaches[clock]
	}
	for _, name := range casework.SortedKeys(s.Durations) {
		p.Durations[name] = s.Durations[name].quantiles()
	}
	return p
}

// freezeOldSamples keeps the duration samples of the newest TrendMonths months only;
// older months keep their quantiles, so that the state carried over stays small.
func (acc *account) freezeOldSamples() {
	months := casework.SortedKeys(acc.state.Months)
	for _, key := range months[:max(0, len(months)-api.TrendMonths)] {
		m := acc.state.Months[key]
		samples := []*DurationSample{m.RequestAccept}
		for _, name := range casework.SortedKeys(m.Durations) {
			samples = append(samples, m.Durations[name])
		}
		for _, severity := range casework.SortedKeys(m.Severities) {
			for _, name := range casework.SortedKeys(m.Severities[severity].Durations) {
				samples = append(samples, m.Severities[severity].Durations[name])
			}
		}
		for _, sample := range samples {
			sample.freeze()
		}
	}
}

// freeze keeps a sample's quantiles only.
func (d *DurationSample) freeze() {
	if d == nil || d.Frozen != nil {
		return
	}
	q := d.quantiles()
	d.Frozen, d.Kept = &q, nil
}
