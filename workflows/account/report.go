package account

import (
	"fmt"
	"time"

	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

func (acc *account) report(month string) (api.Report, error) {
	// Lots are dated in calendar days (UTC midnights); the month's instants are the
	// customer's zone's.
	firstDay, err := time.Parse("2006-01", month)
	if err != nil {
		return api.Report{}, fmt.Errorf("month %q: want YYYY-MM", month)
	}
	nextFirstDay := firstDay.AddDate(0, 1, 0)
	start := time.Date(firstDay.Year(), firstDay.Month(), 1, 0, 0, 0, 0, acc.zone)
	end := start.AddDate(0, 1, 0)
	r := api.Report{Customer: acc.state.Customer, Month: month, Timezone: acc.zone.String(), Start: start, End: end,
		Plan: acc.state.Plan, ContractedIDs: acc.state.IDs,
		BySeverity: map[string]int{}, ByVerdict: map[string]int{}, SLA: map[string]map[string]int{},
		Lots: []api.LotView{}, Consumptions: []api.Consumption{}}
	if m, ok := acc.state.Months[month]; ok {
		r.Incidents, r.BillableResponses, r.NotBillable = m.Incidents, m.Billable, m.NotBillable
		r.BySeverity, r.ByVerdict, r.SLA = m.BySeverity, m.ByVerdict, m.SLA
		r.TicketsUsed, r.TicketsExpired = m.TicketsUsed, m.TicketsExpired
		r.ActiveIDs = m.ActiveIDs
		r.Requests, r.RequestsAck = m.Requests, m.RequestsAck
		r.ByRule = m.RuleHits
		for _, vendor := range casework.SortedKeys(m.ActiveIDs) {
			r.ActiveTotal += m.ActiveIDs[vendor]
		}
	}
	for i, l := range acc.state.Lots {
		if l.Purchased.Before(nextFirstDay) && !l.Purchased.Before(firstDay) {
			r.TicketsBought += l.Count
		}
		if l.Purchased.Before(nextFirstDay) && l.Expires.After(firstDay) {
			view := acc.lotView(i)
			r.Lots = append(r.Lots, view)
			r.TicketsRemaining += view.Remaining
		}
	}
	// The same figures as the managers' view, and what was still open when it ended.
	r.Figures = acc.monthPerformance(month)
	r.OpenAtEnd, r.OpenAtEndCount = acc.openAtEnd(month, end)
	r.Conversions = []api.Conversion{}
	for _, c := range acc.state.Conversions {
		if !c.At.Before(start) && c.At.Before(end) {
			r.Conversions = append(r.Conversions, c)
			r.TicketsConverted += c.Tickets
		}
	}
	for _, c := range acc.state.Consumptions {
		if !c.At.Before(start) && c.At.Before(end) {
			r.Consumptions = append(r.Consumptions, c)
		}
	}
	return r, nil
}

// keptMonths bounds the monthly figures carried over: two years of reports.
const keptMonths = 24

func (acc *account) trimMonths() {
	months := casework.SortedKeys(acc.state.Months)
	for _, month := range months[:max(0, len(months)-keptMonths)] {
		delete(acc.state.Months, month)
	}
	acc.freezeOldSamples()
	var kept []api.Consumption
	for _, c := range acc.state.Consumptions {
		if _, ok := acc.state.Months[acc.monthKey(c.At)]; ok {
			kept = append(kept, c)
		}
	}
	acc.state.Consumptions = kept
}
