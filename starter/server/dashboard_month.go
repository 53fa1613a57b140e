package server

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"xsoc/integrations"
	"xsoc/workflows/api"
)

// The managers' month, live (issue 26): a breached open incident shows which clock
// breached and since when, and what falls due next; the month's figures by Severity
// and its customer requests come from the Account, counted as they happened.

// ClockBreach is one SLA clock of an open incident that ran out.
type ClockBreach struct {
	Clock string    `json:"clock"`
	Since time.Time `json:"since"`
}

// ClockDue is the next SLA clock of an open incident still running.
type ClockDue struct {
	Clock string    `json:"clock"`
	Due   time.Time `json:"due"`
}

// clockDetailLimit bounds the breached incidents whose clocks a page asks for (one
// query each); the rest show their SLA state only.
const clockDetailLimit = 50

// addClockDetails asks each breached open incident (the first clockDetailLimit) which
// clocks breached and since when, and which falls due next. An incident that does not
// answer (it concluded meanwhile) keeps its SLA state and due time from visibility.
func (s *Server) addClockDetails(ctx context.Context, open *OpenView) {
	asked := 0
	for i := range open.Incidents {
		incident := &open.Incidents[i]
		if incident.SLAState != api.SLABreached || asked >= clockDetailLimit {
			continue
		}
		asked++
		var view api.SLAView
		if err := s.query(ctx, incident.WorkflowID, api.QuerySLA, &view); err != nil {
			slog.Warn("SLA clocks of a breached incident unread", "incident", incident.WorkflowID, "error", err)
			continue
		}
		incident.Breached, incident.NextDue = clockDetails(view)
	}
}

// clockDetails are the clocks that breached, first breached first, and the clock
// still running that falls due soonest.
func clockDetails(view api.SLAView) ([]ClockBreach, *ClockDue) {
	breached := []ClockBreach{}
	var next *ClockDue
	for _, c := range view.Clocks {
		switch {
		case c.State == api.SLABreached:
			breached = append(breached, ClockBreach{Clock: c.Name, Since: c.BreachedAt})
		case c.State == api.SLAMet || c.State == api.ClockNotNeeded || c.Due.IsZero():
		case next == nil || c.Due.Before(next.Due):
			next = &ClockDue{Clock: c.Name, Due: c.Due}
		}
	}
	slices.SortStableFunc(breached, func(a, b ClockBreach) int { return a.Since.Compare(b.Since) })
	return breached, next
}

// severityOrder is the order a page lists Severities in, most severe first.
var severityOrder = []string{string(integrations.SeverityEmergency), string(integrations.SeverityCritical), string(integrations.SeverityHigh),
	string(integrations.SeverityMedium), string(integrations.SeverityLow), string(integrations.SeverityInfo)}

// severitiesOf lists the Severities a month has figures for, most severe first, any
// other name last.
func severitiesOf(by map[string]api.SeverityPerformance) []string {
	names := []string{}
	for _, name := range severityOrder {
		if _, ok := by[name]; ok {
			names = append(names, name)
		}
	}
	for _, name := range sortedKeys(by) {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}
