package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/workflows/api"
)

// A breached incident still open shows which clock breached and since when, and what
// falls due next; a month without breaches says so without contradicting it; the
// month is broken down by Severity, and its requests are shown.
func TestDashboardShowsBreachedClocksSeveritiesAndRequests(t *testing.T) {
	server, fake := dashboardServer(t, dashboardToken)
	opened := time.Date(2026, 5, 10, 1, 0, 0, 0, time.UTC)
	fake.sla = map[string]api.SLAView{"incident/acme/cybereason/2": {State: api.SLABreached, Clocks: []api.ClockView{
		{Clock: api.Clock{Name: api.ClockAck, Due: opened.Add(30 * time.Minute), State: api.SLABreached, BreachedAt: opened.Add(30 * time.Minute)}},
		{Clock: api.Clock{Name: api.ClockVerdict, Due: opened.Add(4 * time.Hour), State: api.SLAOnTrack}},
		{Clock: api.Clock{Name: api.ClockContain, Due: opened.Add(8 * time.Hour), State: api.SLAOnTrack}},
	}}}
	acme := fake.perf["acme"]
	acme.Month.Breaches, acme.Month.BreachesByClock = nil, nil
	acme.Month.BySeverity = map[string]api.SeverityPerformance{
		"low":      {AlertsIn: 1, Incidents: 1},
		"critical": {AlertsIn: 2, Incidents: 2, BreachesByClock: map[string]int{api.ClockAck: 1}, Durations: map[string]api.Quantiles{api.DurationAck: {Count: 2, MedianSeconds: 300, P90Seconds: 600}}},
	}
	acme.Month.Requests = api.RequestFigures{Ended: 3, ByKindState: map[string]map[string]int{"isolate": {"done": 2}, "forensics": {"declined": 1}},
		TimeToAccept: api.Quantiles{Count: 2, MedianSeconds: 120, P90Seconds: 180}, TicketsUsed: 4}
	fake.perf["acme"] = acme

	resp, body := get(t, server.URL+"/dashboard/acme?tz=UTC", bearer(dashboardToken))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)

	row := between(body, `data-incident="incident/acme/cybereason/2"`, "</tr>")
	require.Contains(t, row, `class="breached-clock" data-clock="ack">acknowledge since 2026-05-10 01:30 UTC`)
	require.Contains(t, row, `class="next-clock" data-clock="verdict">verdict 2026-05-10 05:00 UTC`)
	require.NotContains(t, body, "No breach this month", "never beside a breached incident")
	require.Contains(t, body, "1 open incident(s) breached before it")

	severity := between(body, `id="by-severity"`, "</section>")
	require.Less(t, strings.Index(severity, `data-severity="critical"`), strings.Index(severity, `data-severity="low"`), "most severe first")
	critical := between(severity, `data-severity="critical"`, "</tr>")
	require.Contains(t, critical, `data-figure="alerts_in">2<`)
	require.Contains(t, critical, `data-clock="ack">acknowledge: <strong>1</strong>`)
	require.Contains(t, critical, `data-duration="ack" data-count="2"`)

	requests := between(body, `id="requests"`, "</section>")
	require.Contains(t, requests, `data-figure="requests-ended">Ended: <strong>3</strong>`)
	require.Contains(t, requests, `data-request-kind="isolate" data-request-outcome="done"`)
	require.Contains(t, requests, "2m 00s / 3m 00s")
	require.Contains(t, requests, `Tickets used by requests: <strong>4</strong>`)
}

// between is the part of s from the first from to the next to after it.
func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	part, _, _ := strings.Cut(rest, to)
	return part
}
