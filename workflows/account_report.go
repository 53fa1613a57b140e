package workflows

import (
	"fmt"
	"time"
)

// Report is a customer's month as the Account tells it: the answer of the `report`
// query, of GET /v1/reports/{customer}, and what SendMonthlyReport (workflow type
// "MonthlyReport") mails on the 1st.
type Report struct {
	Customer string `json:"customer"`
	Month    string `json:"month"`
	// Timezone is the customer's zone, where the month runs from Start (the 1st at
	// 00:00) to End (the next 1st at 00:00), both written with the zone's offset.
	Timezone      string    `json:"timezone"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	Plan          string    `json:"plan"`
	ContractedIDs int       `json:"contracted_ids,omitempty"`
	// ActiveIDs are the endpoints each vendor reported active (per_id plan), and
	// ActiveTotal their sum: above ContractedIDs is over-use.
	ActiveIDs         map[string]int            `json:"active_ids,omitempty"`
	ActiveTotal       int                       `json:"active_total,omitempty"`
	Incidents         int                       `json:"incidents"`
	BillableResponses int                       `json:"billable_responses"`
	NotBillable       int                       `json:"not_billable"`
	BySeverity        map[string]int            `json:"by_severity"`
	ByVerdict         map[string]int            `json:"by_verdict"`
	SLA               map[string]map[string]int `json:"sla"`
	TicketsBought     int                       `json:"tickets_bought"`
	TicketsUsed       int                       `json:"tickets_used"`
	TicketsExpired    int                       `json:"tickets_expired"`
	TicketsRemaining  int                       `json:"tickets_remaining"`
	Lots              []LotView                 `json:"lots"`
	Consumptions      []Consumption             `json:"consumptions"`
	// Requests counts the customer requests that ended in the month by kind and state
	// ({"isolate": {"done": 2, "declined": 1}}); RequestsAck how their ack clocks ended.
	Requests    map[string]map[string]int `json:"requests,omitempty"`
	RequestsAck map[string]int            `json:"requests_ack,omitempty"`
	// ByRule counts the alerts each suppression rule closed in the month (they count
	// in Incidents, and are not billable); IdleRules are the active rules without a
	// hit in the last 30 days — a rule nobody needs any more should be retired.
	ByRule    map[string]int `json:"by_rule,omitempty"`
	IdleRules []string       `json:"idle_rules,omitempty"`
}

// ruleIdleAfter is how long an active rule may go without a hit before the report
// flags it.
const ruleIdleAfter = 30 * 24 * time.Hour

// FlagIdleRules sets IdleRules from the customer's rules (the Tuning's `rules`
// query) at now.
func (r *Report) FlagIdleRules(rules []Rule, now time.Time) {
	r.IdleRules = nil
	for _, rule := range rules {
		last := rule.LastHit
		if last.IsZero() {
			last = rule.AddedAt
		}
		if rule.stateAt(now) == RuleActive && now.Sub(last) >= ruleIdleAfter {
			r.IdleRules = append(r.IdleRules, rule.ID)
		}
	}
}

// LotView is one lot of option tickets as a balance or a report shows it.
type LotView struct {
	Purchased string `json:"purchased"`
	Expires   string `json:"expires"`
	Count     int    `json:"count"`
	Used      int    `json:"used"`
	Expired   int    `json:"expired"`
	Remaining int    `json:"remaining"`
}

// Consumption is one use of tickets, recorded against the incident and the analyst.
type Consumption struct {
	At       time.Time `json:"at"`
	Incident string    `json:"incident"`
	Service  string    `json:"service"`
	Tickets  int       `json:"tickets"`
	By       string    `json:"by"`
	Lots     []string  `json:"lots"`
}

func (acc *account) report(month string) (Report, error) {
	// Lots are dated in calendar days (UTC midnights); the month's instants are the
	// customer's zone's.
	firstDay, err := time.Parse("2006-01", month)
	if err != nil {
		return Report{}, fmt.Errorf("month %q: want YYYY-MM", month)
	}
	nextFirstDay := firstDay.AddDate(0, 1, 0)
	start := time.Date(firstDay.Year(), firstDay.Month(), 1, 0, 0, 0, 0, acc.zone)
	end := start.AddDate(0, 1, 0)
	r := Report{Customer: acc.state.Customer, Month: month, Timezone: acc.zone.String(), Start: start, End: end,
		Plan: acc.state.Plan, ContractedIDs: acc.state.IDs,
		BySeverity: map[string]int{}, ByVerdict: map[string]int{}, SLA: map[string]map[string]int{},
		Lots: []LotView{}, Consumptions: []Consumption{}}
	if m, ok := acc.state.Months[month]; ok {
		r.Incidents, r.BillableResponses, r.NotBillable = m.Incidents, m.Billable, m.NotBillable
		r.BySeverity, r.ByVerdict, r.SLA = m.BySeverity, m.ByVerdict, m.SLA
		r.TicketsUsed, r.TicketsExpired = m.TicketsUsed, m.TicketsExpired
		r.ActiveIDs = m.ActiveIDs
		r.Requests, r.RequestsAck = m.Requests, m.RequestsAck
		r.ByRule = m.RuleHits
		for _, vendor := range sortedKeys(m.ActiveIDs) {
			r.ActiveTotal += m.ActiveIDs[vendor]
		}
	}
	for _, l := range acc.state.Lots {
		if l.Purchased.Before(nextFirstDay) && !l.Purchased.Before(firstDay) {
			r.TicketsBought += l.Count
		}
		if l.Purchased.Before(nextFirstDay) && l.Expires.After(firstDay) {
			remaining := l.Remaining()
			if l.ExpiryProcessed {
				remaining = 0
			}
			r.Lots = append(r.Lots, LotView{Purchased: l.Purchased.Format(time.DateOnly), Expires: l.Expires.Format(time.DateOnly),
				Count: l.Count, Used: l.Used, Expired: l.Expired, Remaining: remaining})
			r.TicketsRemaining += remaining
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
	months := sortedKeys(acc.state.Months)
	for _, month := range months[:max(0, len(months)-keptMonths)] {
		delete(acc.state.Months, month)
	}
	acc.freezeOldSamples()
	var kept []Consumption
	for _, c := range acc.state.Consumptions {
		if _, ok := acc.state.Months[acc.monthKey(c.At)]; ok {
			kept = append(kept, c)
		}
	}
	acc.state.Consumptions = kept
}
