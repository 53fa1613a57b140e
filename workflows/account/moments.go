package account

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// An incident tells its Account each figure at its moment (api.IncidentMoments): the
// alert in when triage answered, an acknowledgement when it is given, a breach when
// its clock runs out, the containment when the vendor confirms it, the verdict when it
// is given, and, when it concludes, what is left (billable or not, time to close).
// Each moment counts in the month it happened in the customer's zone, once per
// incident run: the Account keeps what each open incident counted (State.Open), and
// remembers the concluded ones among the applied ids, so that a retried or replayed
// record counts nothing twice.

// OpenIncident is an incident that told its Account something and has not concluded:
// what it counted, and what the open list and the month's end need of it.
type OpenIncident struct {
	Key      string    `json:"key"`
	Incident string    `json:"incident"`
	Vendor   string    `json:"vendor"`
	Severity string    `json:"severity"`
	OpenedAt time.Time `json:"opened_at"`
	// Outcome is triage's answer (handled, suppressed, merged); empty until told.
	Outcome string `json:"outcome,omitempty"`
	// Counted are the keys of the moments counted (api.Moment.Key).
	Counted []string `json:"counted"`
}

// openLimit bounds the open incidents the Account follows: far more than a SOC has
// open at once. Beyond it the oldest is forgotten: should it conclude, its moments
// told before count again.
const openLimit = 1000

// openAtEndLimit bounds the concluded incidents a month lists as open at its end;
// OpenAtEndCount stays exact.
const openAtEndLimit = 100

// severitySampleLimit bounds the durations kept per Severity and kind in a month: a
// Severity's median and p90 are exact up to that many incidents, estimates beyond.
const severitySampleLimit = 100

// SeverityFigures are one Severity's share of a month.
type SeverityFigures struct {
	AlertsIn  int                        `json:"alerts_in,omitempty"`
	Incidents int                        `json:"incidents,omitempty"`
	Confirmed int                        `json:"confirmed,omitempty"`
	Breaches  map[string]int             `json:"breaches,omitempty"`
	Durations map[string]*DurationSample `json:"durations,omitempty"`
}

// momentsKey names an incident run in the Account.
func momentsKey(incident, run string) string { return "moments/" + incident + "#" + run }

// receiveMoments applies the moments signalled so far, alone or in batches.
func (acc *account) receiveMoments() {
	for {
		var record api.IncidentMoments
		if !acc.moments.ReceiveAsync(&record) {
			break
		}
		acc.applyMoments(momentsKey(record.Incident, record.Run), record)
	}
	for {
		var batch api.IncidentMomentsBatch
		if !acc.momentBatches.ReceiveAsync(&batch) {
			return
		}
		acc.applyBatch(batch)
	}
}

// tellMoments is the tell_moments Update: a batch of records, applied as it arrives
// (each moment counts once per incident run however often it is told).
func (acc *account) tellMoments(_ workflow.Context, batch api.IncidentMomentsBatch) error {
	acc.applyBatch(batch)
	return nil
}

// applyBatch applies the records of a batch in order.
func (acc *account) applyBatch(batch api.IncidentMomentsBatch) {
	for _, record := range batch.Records {
		acc.applyMoments(momentsKey(record.Incident, record.Run), record)
	}
}

// applyMoments counts what an incident told that the Account has not counted yet, and
// concludes it when the record says it is over.
func (acc *account) applyMoments(key string, record api.IncidentMoments) {
	if slices.Contains(acc.state.Applied, key) {
		return
	}
	i := slices.IndexFunc(acc.state.Open, func(o OpenIncident) bool { return o.Key == key })
	entry := OpenIncident{Key: key, Incident: record.Incident, Vendor: record.Vendor, OpenedAt: record.OpenedAt, Counted: []string{}}
	if i >= 0 {
		entry = acc.state.Open[i]
	}
	for _, m := range inOrder(record.Moments) {
		if slices.Contains(entry.Counted, m.Key()) {
			continue
		}
		if m.Severity == "" {
			m.Severity = entry.Severity
		}
		acc.count(&entry, m)
		entry.Severity = m.Severity
		entry.Counted = append(entry.Counted, m.Key())
	}
	acc.gen++
	if record.Concluded == nil {
		acc.keepOpen(i, entry)
		return
	}
	acc.conclude(entry, *record.Concluded)
	if i >= 0 {
		acc.state.Open = slices.Delete(acc.state.Open, i, i+1)
	}
	acc.remember(key)
}

// inOrder puts the moments in the order they can only have happened in: the alert
// came in and was triaged before anything else (a record sent again after a failure
// may hold them late).
func inOrder(moments []api.Moment) []api.Moment {
	rank := func(m api.Moment) int {
		switch m.Kind {
		case api.MomentIn:
			return 0
		case api.MomentTriaged:
			return 1
		}
		return 2
	}
	ordered := slices.Clone(moments)
	slices.SortStableFunc(ordered, func(a, b api.Moment) int { return rank(a) - rank(b) })
	return ordered
}

// keepOpen stores an open incident's entry, the oldest forgotten beyond openLimit.
func (acc *account) keepOpen(i int, entry OpenIncident) {
	if i >= 0 {
		acc.state.Open[i] = entry
		return
	}
	acc.state.Open = append(acc.state.Open, entry)
	if over := len(acc.state.Open) - openLimit; over > 0 {
		acc.state.Open = slices.Delete(acc.state.Open, 0, over)
	}
}

// handled tells whether people worked on the incident: triage did not suppress or
// merge it (or has not said yet).
func (o OpenIncident) handled() bool {
	return o.Outcome != api.OutcomeSuppressed && o.Outcome != api.OutcomeMerged
}

// count adds one moment to the month it happened in.
func (acc *account) count(entry *OpenIncident, m api.Moment) {
	month := acc.month(m.At)
	severity := month.severity(m.Severity)
	since := max(0, m.At.Sub(m.Since))
	switch m.Kind {
	case api.MomentIn:
		month.Incidents++
		month.BySeverity[m.Severity]++
		if entry.Vendor == api.CampaignVendor {
			return
		}
		month.Funnel.AlertsIn++
		severity.AlertsIn++
		if !m.Since.IsZero() {
			month.addDuration(api.DurationIngest, entry.Incident, since)
		}
	case api.MomentTriaged:
		entry.Outcome = m.Outcome
		switch m.Outcome {
		case api.OutcomeSuppressed:
			month.Funnel.Suppressed++
			if m.Rule != "" {
				if month.RuleHits == nil {
					month.RuleHits = map[string]int{}
				}
				month.RuleHits[m.Rule]++
			}
		case api.OutcomeMerged:
			month.Funnel.Merged++
		default:
			month.Funnel.Handled++
			severity.Incidents++
		}
	case api.MomentAck, api.MomentCustomerAck:
		if !entry.handled() || m.Since.IsZero() {
			return
		}
		name, histogram := api.DurationAck, &acc.state.TimeToAck
		if m.Kind == api.MomentCustomerAck {
			name, histogram = api.DurationCustomerAck, &acc.state.TimeToCustomerAck
		}
		month.addDuration(name, entry.Incident, since)
		severity.addDuration(name, entry.Incident, since)
		observe(histogram, since)
	case api.MomentVerdict:
		month.ByVerdict[m.Verdict]++
		if !entry.handled() {
			return
		}
		if m.Verdict == api.VerdictTruePositive {
			month.Funnel.Confirmed++
			severity.Confirmed++
		}
		if !m.Since.IsZero() {
			month.addDuration(api.DurationVerdict, entry.Incident, since)
			severity.addDuration(api.DurationVerdict, entry.Incident, since)
		}
	case api.MomentContained:
		if entry.handled() && !m.Since.IsZero() {
			month.addDuration(api.DurationContain, entry.Incident, since)
			severity.addDuration(api.DurationContain, entry.Incident, since)
		}
	case api.MomentClock:
		acc.countClock(month, severity, entry, m)
	case api.MomentCustomerPaged:
		if entry.handled() {
			month.Funnel.CustomerPaged++
		}
	case api.MomentCustomerCalled:
		if entry.handled() {
			month.Funnel.CustomerCalled++
		}
	}
}

// countClock counts how an SLA clock ended; a breach is also listed, and counted over
// the Account's life.
func (acc *account) countClock(month *MonthFigures, severity *SeverityFigures, entry *OpenIncident, m api.Moment) {
	if month.SLA[m.Clock] == nil {
		month.SLA[m.Clock] = map[string]int{}
	}
	month.SLA[m.Clock][m.State]++
	if m.State != api.SLABreached {
		return
	}
	if acc.state.BreachTotals == nil {
		acc.state.BreachTotals = map[string]int{}
	}
	acc.state.BreachTotals[m.Clock]++
	if severity.Breaches == nil {
		severity.Breaches = map[string]int{}
	}
	severity.Breaches[m.Clock]++
	if len(month.Breaches) < breachListLimit {
		month.Breaches = append(month.Breaches, api.Breach{Incident: entry.Incident, Clock: m.Clock, Severity: m.Severity, At: m.At})
	}
}

// conclude counts what is left once an incident is over: billable or not, the
// verdict it never got, the time to close, and the months it stayed open across.
func (acc *account) conclude(entry OpenIncident, c api.Conclusion) {
	month := acc.month(c.At)
	if c.Billable {
		month.Billable++
	} else {
		month.NotBillable++
	}
	if !slices.Contains(entry.Counted, api.MomentVerdict) {
		month.ByVerdict["none"]++
	}
	if entry.handled() {
		closed := max(0, c.At.Sub(entry.OpenedAt))
		month.addDuration(api.DurationResolve, entry.Incident, closed)
		month.severity(c.Severity).addDuration(api.DurationResolve, entry.Incident, closed)
	}
	acc.noteOpenAtEnds(entry, c)
}

// noteOpenAtEnds lists the incident in each month that ended while it was open.
func (acc *account) noteOpenAtEnds(entry OpenIncident, c api.Conclusion) {
	opened := entry.OpenedAt.In(acc.zone)
	end := time.Date(opened.Year(), opened.Month(), 1, 0, 0, 0, 0, acc.zone).AddDate(0, 1, 0)
	// An incident open for years is listed in the months the Account keeps.
	for range keptMonths {
		if c.At.Before(end) {
			return
		}
		month := acc.monthOf(end.AddDate(0, -1, 0).Format("2006-01"))
		month.OpenAtEndCount++
		if len(month.OpenAtEnd) < openAtEndLimit {
			month.OpenAtEnd = append(month.OpenAtEnd, api.OpenAtEnd{Incident: entry.Incident, Severity: c.Severity, OpenedAt: entry.OpenedAt, ClosedAt: c.At})
		}
		end = end.AddDate(0, 1, 0)
	}
}

// openAtEnd answers the incidents open when a month ended (at end): those concluded
// since, and those still open. Listed oldest first, the first openAtEndLimit.
func (acc *account) openAtEnd(month string, end time.Time) ([]api.OpenAtEnd, int) {
	var list []api.OpenAtEnd
	count := 0
	if m, ok := acc.state.Months[month]; ok {
		list = append(list, m.OpenAtEnd...)
		count = m.OpenAtEndCount
	}
	for _, o := range acc.state.Open {
		if o.OpenedAt.Before(end) {
			count++
			list = append(list, api.OpenAtEnd{Incident: o.Incident, Severity: o.Severity, OpenedAt: o.OpenedAt})
		}
	}
	slices.SortStableFunc(list, func(a, b api.OpenAtEnd) int { return a.OpenedAt.Compare(b.OpenedAt) })
	if list == nil {
		list = []api.OpenAtEnd{}
	}
	return list[:min(len(list), openAtEndLimit)], count
}

// severity answers a Severity's share of the month, empty for a new one.
func (m *MonthFigures) severity(name string) *SeverityFigures {
	return entry(&m.Severities, name)
}

func (s *SeverityFigures) addDuration(name, incident string, d time.Duration) {
	entry(&s.Durations, name).addUpTo(severitySampleLimit, incident, d)
}

// entry answers the value under key, making the map and a zero value when missing.
func entry[V any](m *map[string]*V, key string) *V {
	if *m == nil {
		*m = map[string]*V{}
	}
	v, ok := (*m)[key]
	if !ok {
		v = new(V)
		(*m)[key] = v
	}
	return v
}

// momentsOfSummary are the moments of an incident that told nothing before it
// concluded (started by a version before it told its moments), as far as its summary
// says when they happened: each counts in its own month.
func momentsOfSummary(s api.IncidentSummary) api.IncidentMoments {
	record := api.IncidentMoments{Customer: s.Customer, Incident: s.Incident, Vendor: s.Vendor, OpenedAt: s.OpenedAt,
		Concluded: &api.Conclusion{At: s.ClosedAt, State: s.State, Severity: s.Severity, Billable: s.Billable}}
	add := func(m api.Moment) {
		m.Severity = s.Severity
		record.Moments = append(record.Moments, m)
	}
	add(api.Moment{Kind: api.MomentIn, At: s.OpenedAt, Since: s.DetectedAt})
	triaged := api.Moment{Kind: api.MomentTriaged, At: s.OpenedAt, Outcome: api.OutcomeHandled}
	switch {
	case s.State == api.StateSuppressed && s.Rule != "":
		triaged.Outcome, triaged.Rule, triaged.At = api.OutcomeSuppressed, s.Rule, s.ClosedAt
	case s.State == api.StateMerged:
		triaged.Outcome, triaged.At = api.OutcomeMerged, s.ClosedAt
	}
	add(triaged)
	if !s.AcknowledgedAt.IsZero() {
		add(api.Moment{Kind: api.MomentAck, At: s.AcknowledgedAt, Since: s.OpenedAt})
	}
	if s.Verdict != "" {
		verdict := api.Moment{Kind: api.MomentVerdict, At: s.VerdictAt, Since: s.OpenedAt, Verdict: s.Verdict}
		if s.VerdictAt.IsZero() {
			verdict.At, verdict.Since = s.ClosedAt, time.Time{}
		}
		add(verdict)
	}
	if !s.ContainedAt.IsZero() {
		add(api.Moment{Kind: api.MomentContained, At: s.ContainedAt, Since: s.OpenedAt})
	}
	met := map[string]time.Time{api.ClockAck: s.AcknowledgedAt, api.ClockVerdict: s.VerdictAt, api.ClockContain: s.ContainedAt}
	for _, clock := range casework.SortedKeys(s.Clocks) {
		at := s.ClosedAt
		switch state := s.Clocks[clock]; {
		case state == api.SLABreached && !s.BreachedAt[clock].IsZero():
			at = s.BreachedAt[clock]
		case state == api.SLAMet && !met[clock].IsZero():
			at = met[clock]
		}
		add(api.Moment{Kind: api.MomentClock, At: at, Clock: clock, State: s.Clocks[clock]})
	}
	if s.CustomerPaged {
		add(api.Moment{Kind: api.MomentCustomerPaged, At: s.ClosedAt})
	}
	if s.CustomerCalled {
		add(api.Moment{Kind: api.MomentCustomerCalled, At: s.ClosedAt})
	}
	return record
}
