package account

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
)

func TestAccountCountsRequestsByKindAndStateOnce(t *testing.T) {
	start := testworld.Day(2026, 5, 1)
	l := newLedger(t, start)
	request := func(id, kind, state, ack string, closed time.Time) api.RequestSummary {
		return api.RequestSummary{Customer: "acme", Request: "request/acme/" + id, Kind: kind, State: state,
			OpenedAt: closed.Add(-time.Hour), ClosedAt: closed, Ack: ack}
	}
	accepted := request("CS-1", api.RequestIsolate, api.StateDone, api.SLAMet, testworld.Day(2026, 5, 3))
	accepted.AcceptedAt = accepted.OpenedAt.Add(10 * time.Minute)
	summaries := []api.RequestSummary{
		accepted,
		request("CS-2", api.RequestIsolate, api.StateDeclined, api.ClockNotNeeded, testworld.Day(2026, 5, 4)),
		request("CS-3", api.RequestOption, api.StateDone, api.SLABreached, testworld.Day(2026, 5, 5)),
		// Reported again (the activity retried): counts once.
		accepted,
		request("CS-4", api.RequestBlock, api.StateDone, api.SLAMet, testworld.Day(2026, 6, 1)),
	}
	var recorded []*accountUpdate
	for i, s := range summaries {
		recorded = append(recorded, l.update(s.ClosedAt.Add(time.Duration(i)*time.Minute), api.UpdateRecordRequest, "record/"+s.Request, s))
	}
	// Tickets an option request used count among the month's requests; an incident's do not.
	byRequest := forensics(2, "request/acme/CS-9/tickets")
	byRequest.Incident = "request/acme/CS-9"
	usedByRequest := l.consume(testworld.Day(2026, 5, 6), "request/acme/CS-9/tickets", byRequest)
	usedByIncident := l.consume(testworld.Day(2026, 5, 6), "c-incident", forensics(1, "r-incident"))
	may := l.reportAt(testworld.Day(2026, 6, 10), "2026-05")
	june := l.reportAt(testworld.Day(2026, 6, 10), "2026-06")

	l.runUntil(accountInput(lot(10, testworld.Day(2026, 4, 1))), testworld.Day(2026, 6, 11))
	usedByRequest.accepted(t, "consume by a request")
	usedByIncident.accepted(t, "consume by an incident")

	for i, u := range recorded {
		u.accepted(t, "record "+summaries[i].Request)
	}
	require.Equal(t, map[string]map[string]int{
		api.RequestIsolate: {api.StateDone: 1, api.StateDeclined: 1},
		api.RequestOption:  {api.StateDone: 1},
	}, may.Requests)
	require.Equal(t, map[string]int{api.SLAMet: 1, api.ClockNotNeeded: 1, api.SLABreached: 1}, may.RequestsAck)
	require.Equal(t, map[string]map[string]int{api.RequestBlock: {api.StateDone: 1}}, june.Requests)
	require.Zero(t, may.Incidents, "requests are not incidents")
	figures := may.Figures.Requests
	require.Equal(t, 3, figures.Ended)
	require.Equal(t, map[string]int{api.RequestIsolate: 2, api.RequestOption: 1}, figures.ByKind)
	require.Equal(t, map[string]int{api.StateDone: 2, api.StateDeclined: 1}, figures.ByOutcome)
	require.Equal(t, 1, figures.TimeToAccept.Count, "once, though reported twice")
	require.InDelta(t, 600, figures.TimeToAccept.MedianSeconds, 0.001)
	require.Equal(t, 2, figures.TicketsUsed, "the request's tickets, not the incident's")
}
