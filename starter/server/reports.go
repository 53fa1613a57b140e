package server

import (
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"xsoc/config"
	"xsoc/workflows/api"
	"xsoc/workflows/start"
)

// handleReport answers a customer's monthly report from its Account, as JSON or CSV.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	customerID := r.PathValue("customer")
	if !tooManyFailures(w, s.intakeFailures, addressKey(clientAddress(r, s.trustedProxy))+"/"+customerID) {
		return
	}
	if _, ok := s.customerCredentials(w, r, nil, true); !ok {
		return
	}
	month := r.URL.Query().Get("month")
	if _, err := time.Parse("2006-01", month); err != nil {
		writeError(w, http.StatusBadRequest, "month=%q: want YYYY-MM", month)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	value, err := s.temporal.QueryWorkflow(ctx, api.AccountWorkflowID(customerID), "", api.QueryReport, month)
	if err != nil {
		if isUnavailable(err) {
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "Temporal cannot be reached; retry later")
			return
		}
		writeError(w, http.StatusInternalServerError, "reading the account of %s: %v", customerID, err)
		return
	}
	var report api.Report
	if err := value.Get(&report); err != nil {
		writeError(w, http.StatusInternalServerError, "decoding report: %v", err)
		return
	}
	if err := start.FlagIdleRules(ctx, s.temporal, &report, time.Now()); err != nil {
		s.log.Warn("report without its idle rules", "customer", customerID, "error", err)
	}
	if r.URL.Query().Get("format") == "csv" || strings.Contains(r.Header.Get("Accept"), "text/csv") {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="xsoc-`+customerID+`-`+month+`.csv"`)
		writeReportCSV(w, report)
		return
	}
	writeJSON(w, http.StatusOK, report)
}

// writeReportCSV writes the report as section,name,value rows: one table that a
// spreadsheet or a billing system reads without knowing the JSON's shape.
func writeReportCSV(w http.ResponseWriter, r api.Report) {
	out := csv.NewWriter(w)
	row := func(section, name string, value any) {
		var text string
		switch v := value.(type) {
		case int:
			text = strconv.Itoa(v)
		case string:
			text = v
		}
		_ = out.Write([]string{section, name, text})
	}
	row("section", "name", "value")
	row("report", "customer", r.Customer)
	row("report", "month", r.Month)
	row("report", "timezone", r.Timezone)
	row("report", "start", r.Start.Format(time.RFC3339))
	row("report", "end", r.End.Format(time.RFC3339))
	row("report", "plan", r.Plan)
	row("report", "contracted_ids", r.ContractedIDs)
	if r.ActiveIDs != nil {
		for _, vendor := range sortedKeys(r.ActiveIDs) {
			row("active_ids", vendor, r.ActiveIDs[vendor])
		}
		row("active_ids", "total", r.ActiveTotal)
	}
	row("incidents", "total", r.Incidents)
	row("incidents", "billable_responses", r.BillableResponses)
	row("incidents", "not_billable", r.NotBillable)
	for _, k := range sortedKeys(r.BySeverity) {
		row("severity", k, r.BySeverity[k])
	}
	for _, k := range sortedKeys(r.ByVerdict) {
		row("verdict", k, r.ByVerdict[k])
	}
	for _, clock := range sortedKeys(r.SLA) {
		for _, state := range sortedKeys(r.SLA[clock]) {
			row("sla", clock+"."+state, r.SLA[clock][state])
		}
	}
	for _, kind := range sortedKeys(r.Requests) {
		for _, state := range sortedKeys(r.Requests[kind]) {
			row("requests", kind+"."+state, r.Requests[kind][state])
		}
	}
	for _, state := range sortedKeys(r.RequestsAck) {
		row("requests_ack", state, r.RequestsAck[state])
	}
	for _, rule := range sortedKeys(r.ByRule) {
		row("suppressed_by_rule", rule, r.ByRule[rule])
	}
	for _, rule := range r.IdleRules {
		row("idle_rule", rule, "no hit in 30 days")
	}
	row("tickets", "bought", r.TicketsBought)
	row("tickets", "used", r.TicketsUsed)
	row("tickets", "expired", r.TicketsExpired)
	row("tickets", "remaining", r.TicketsRemaining)
	for _, lot := range r.Lots {
		prefix := "lot " + lot.Purchased + " (expires " + lot.Expires + ")"
		row("lot", prefix+".count", lot.Count)
		row("lot", prefix+".used", lot.Used)
		row("lot", prefix+".expired", lot.Expired)
		row("lot", prefix+".remaining", lot.Remaining)
	}
	// A person reads these times: in the customer's zone, with its offset.
	zone := config.LoadLocation(r.Timezone)
	for _, c := range r.Consumptions {
		row("consumption", c.At.In(zone).Format(time.RFC3339)+" "+c.Incident+" "+c.Service+" by "+c.By, c.Tickets)
	}
	row("tickets", "converted", r.TicketsConverted)
	for _, c := range r.Conversions {
		row("conversion", c.At.In(zone).Format(time.RFC3339)+" lot "+c.Lot+" to "+c.To+" by "+c.By, c.Tickets)
	}
	writeFiguresCSV(row, r.Figures, zone)
	row("open_at_end", "total", r.OpenAtEndCount)
	for _, o := range r.OpenAtEnd {
		closed := "still open"
		if !o.ClosedAt.IsZero() {
			closed = "closed " + o.ClosedAt.In(zone).Format(time.RFC3339)
		}
		row("open_at_end", o.Incident+" ("+o.Severity+", opened "+o.OpenedAt.In(zone).Format(time.RFC3339)+")", closed)
	}
	out.Flush()
}

// writeFiguresCSV writes the month's figures as the managers' view shows them: the
// funnel, each duration's median and p90 in seconds, the breaches (in the customer's
// zone), each Severity's share, requests.
func writeFiguresCSV(row func(section, name string, value any), f api.MonthPerformance, zone *time.Location) {
	seconds := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	for _, step := range funnelSteps(f.Funnel) {
		row("funnel", strings.TrimPrefix(step.Key, "f."), step.Value)
	}
	for _, name := range sortedKeys(f.Durations) {
		q := f.Durations[name]
		row("duration", name+".count", q.Count)
		row("duration", name+".median_seconds", seconds(q.MedianSeconds))
		row("duration", name+".p90_seconds", seconds(q.P90Seconds))
	}
	for _, b := range f.Breaches {
		row("breach", b.Incident+" "+b.Clock+" ("+b.Severity+")", b.At.In(zone).Format(time.RFC3339))
	}
	for _, severity := range severitiesOf(f.BySeverity) {
		s := f.BySeverity[severity]
		row("by_severity", severity+".alerts_in", s.AlertsIn)
		row("by_severity", severity+".incidents", s.Incidents)
		row("by_severity", severity+".confirmed", s.Confirmed)
		for _, clock := range sortedKeys(s.BreachesByClock) {
			row("by_severity", severity+".breached."+clock, s.BreachesByClock[clock])
		}
		for _, name := range sortedKeys(s.Durations) {
			row("by_severity", severity+"."+name+".median_seconds", seconds(s.Durations[name].MedianSeconds))
			row("by_severity", severity+"."+name+".p90_seconds", seconds(s.Durations[name].P90Seconds))
		}
	}
	row("requests", "ended", f.Requests.Ended)
	row("requests", "tickets_used", f.Requests.TicketsUsed)
	if f.Requests.TimeToAccept.Count > 0 {
		row("requests", "accept.median_seconds", seconds(f.Requests.TimeToAccept.MedianSeconds))
		row("requests", "accept.p90_seconds", seconds(f.Requests.TimeToAccept.P90Seconds))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
