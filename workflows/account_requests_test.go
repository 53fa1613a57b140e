package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAccountCountsRequestsByKindAndStateOnce(t *testing.T) {
	start := day(2026, 5, 1)
	l := newLedger(t, start)
	request := func(id, kind, state, ack string, closed time.Time) RequestSummary {
		return RequestSummary{Customer: "acme", Request: "request/acme/" + id, Kind: kind, State: state,
			OpenedAt: closed.Add(-time.Hour), ClosedAt: closed, Ack: ack}
	}
	summaries := []RequestSummary{
		request("CS-1", RequestIsolate, StateDone, SLAMet, day(2026, 5, 3)),
		request("CS-2", RequestIsolate, StateDeclined, clockNotNeeded, day(2026, 5, 4)),
		request("CS-3", RequestOption, StateDone, SLABreached, day(2026, 5, 5)),
		// Reported again (the activity retried): counts once.
		request("CS-1", RequestIsolate, StateDone, SLAMet, day(2026, 5, 3)),
		request("CS-4", RequestBlock, StateDone, SLAMet, day(2026, 6, 1)),
	}
	var recorded []*accountUpdate
	for i, s := range summaries {
		recorded = append(recorded, l.update(s.ClosedAt.Add(time.Duration(i)*time.Minute), UpdateRecordRequest, "record/"+s.Request, s))
	}
	may := l.reportAt(day(2026, 6, 10), "2026-05")
	june := l.reportAt(day(2026, 6, 10), "2026-06")

	l.runUntil(accountInput(), day(2026, 6, 11))

	for i, u := range recorded {
		u.accepted(t, "record "+summaries[i].Request)
	}
	require.Equal(t, map[string]map[string]int{
		RequestIsolate: {StateDone: 1, StateDeclined: 1},
		RequestOption:  {StateDone: 1},
	}, may.Requests)
	require.Equal(t, map[string]int{SLAMet: 1, clockNotNeeded: 1, SLABreached: 1}, may.RequestsAck)
	require.Equal(t, map[string]map[string]int{RequestBlock: {StateDone: 1}}, june.Requests)
	require.Zero(t, may.Incidents, "requests are not incidents")
}
