package messages

import (
	"fmt"
	"strings"
	"time"
)

// reportView is what the report's templates see.
type reportView struct {
	MonthReport
	CustomerName string
	PlanName     string
	// OverUse is how many active endpoints exceed the contracted IDs (0 if none).
	OverUse int
}

// renderReport writes the monthly report for email and Slack. It links nowhere: the
// Temporal UI is the SOC's, not the customer's.
func (w words) renderReport(customerName string, r MonthReport) Message {
	v := reportView{MonthReport: r, CustomerName: customerName, PlanName: r.Plan}
	if name, ok := w.report.plans[r.Plan]; ok {
		v.PlanName = name
	}
	if r.Plan == PlanPerID && r.ActiveIDs != nil {
		v.OverUse = max(0, r.ActiveTotal-r.ContractedIDs)
	}
	lead := fill(w.lead[KindReport], v)
	switch {
	case r.Plan == PlanPerID && r.ActiveIDs == nil:
		lead += fill(w.report.noActiveCount, v)
	case v.OverUse > 0:
		lead += fill(w.report.overUse, v)
	}
	m := letter{subject: fill(w.subject[KindReport], v), lead: lead}
	m.add(factsOf(w.reportRows(v)...))
	return m.message(w)
}

// reportRows are the plan's figures: contracted against active IDs under per_id,
// billable responses under per_response; then incidents, SLA and tickets.
func (w words) reportRows(v reportView) [][2]string {
	l := w.report.labels
	rows := [][2]string{{l.Month, v.Month}}
	if !v.Start.IsZero() {
		rows = append(rows, [2]string{l.Period, readerTime(v.Start) + " – " + readerTime(v.End)})
	}
	rows = append(rows, [2]string{l.Plan, v.PlanName})
	if v.Plan == PlanPerID {
		rows = append(rows, [2]string{l.ContractedIDs, fmt.Sprint(v.ContractedIDs)})
		if v.ActiveIDs != nil {
			rows = append(rows, [2]string{l.ActiveIDs, withTallies(v.ActiveTotal, v.ActiveIDs)})
		}
	} else {
		rows = append(rows, [2]string{l.Billable, fmt.Sprint(v.Billable)}, [2]string{l.NotBillable, fmt.Sprint(v.NotBillable)})
	}
	rows = append(rows,
		[2]string{l.Incidents, withTallies(v.Incidents, v.BySeverity)},
		[2]string{l.SLABreached, fmt.Sprint(v.SLABreached)},
		[2]string{l.Tickets, fill(w.report.tickets, v)},
	)
	if len(v.Suppressed) > 0 {
		total := 0
		for _, t := range v.Suppressed {
			total += t.Count
		}
		rows = append(rows, [2]string{l.Suppressed, withTallies(total, v.Suppressed)})
	}
	if v.OpenAtEnd > 0 {
		rows = append(rows, [2]string{l.OpenAtEnd, openAtEnd(v.OpenAtEnd, v.OpenAtEndNames)})
	}
	if v.TicketsConverted > 0 {
		rows = append(rows, [2]string{l.Converted, fmt.Sprint(v.TicketsConverted)})
	}
	if len(v.IdleRules) > 0 {
		rows = append(rows, [2]string{l.IdleRules, strings.Join(v.IdleRules, ", ")})
	}
	return rows
}

// openAtEnd writes the incidents open at the month's end: "12 (incident/a, incident/b, …)".
func openAtEnd(count int, names []string) string {
	if len(names) == 0 {
		return fmt.Sprint(count)
	}
	more := ""
	if count > len(names) {
		more = ", …"
	}
	return fmt.Sprintf("%d (%s%s)", count, strings.Join(names, ", "), more)
}

// withTallies writes a total and its parts: "210 (cybereason 180, withsecure 30)".
func withTallies(total int, parts []Tally) string {
	if len(parts) == 0 {
		return fmt.Sprint(total)
	}
	named := make([]string, 0, len(parts))
	for _, p := range parts {
		named = append(named, fmt.Sprintf("%s %d", p.Name, p.Count))
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(named, ", "))
}

// readerTime writes an instant as a person reads it: in the zone it carries, with
// the zone's offset, so that "00:00" is never taken for another zone's.
func readerTime(t time.Time) string { return t.Format("2006-01-02 15:04 -07:00") }
