package account

import (
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// recordRequest adds an ended customer request to its month's figures, once: by kind
// and state, its ack clock, and how long the SOC took to accept it.
func (acc *account) recordRequest(ctx workflow.Context, s api.RequestSummary) error {
	id := workflow.GetCurrentUpdateInfo(ctx).ID
	if slices.Contains(acc.state.Applied, id) {
		return nil
	}
	m := acc.month(s.ClosedAt)
	if m.Requests == nil {
		m.Requests = map[string]map[string]int{}
	}
	if m.Requests[s.Kind] == nil {
		m.Requests[s.Kind] = map[string]int{}
	}
	m.Requests[s.Kind][s.State]++
	if s.Ack != "" {
		if m.RequestsAck == nil {
			m.RequestsAck = map[string]int{}
		}
		m.RequestsAck[s.Ack]++
	}
	if !s.AcceptedAt.IsZero() {
		if m.RequestAccept == nil {
			m.RequestAccept = &DurationSample{}
		}
		m.RequestAccept.add(s.Request, max(0, s.AcceptedAt.Sub(s.OpenedAt)))
	}
	acc.remember(id)
	return nil
}

// requestFigures are a month's customer requests as the managers' view shows them:
// those that ended in it, and the tickets requests consumed in it (start is the
// month's first instant).
func (acc *account) requestFigures(key string, start time.Time) api.RequestFigures {
	f := api.RequestFigures{ByKind: map[string]int{}, ByOutcome: map[string]int{}, ByKindState: map[string]map[string]int{}, Ack: map[string]int{}}
	if m, ok := acc.state.Months[key]; ok {
		for _, kind := range casework.SortedKeys(m.Requests) {
			f.ByKindState[kind] = map[string]int{}
			for _, state := range casework.SortedKeys(m.Requests[kind]) {
				n := m.Requests[kind][state]
				f.Ended += n
				f.ByKind[kind] += n
				f.ByOutcome[state] += n
				f.ByKindState[kind][state] = n
			}
		}
		for _, state := range casework.SortedKeys(m.RequestsAck) {
			f.Ack[state] = m.RequestsAck[state]
		}
		if m.RequestAccept != nil {
			f.TimeToAccept = m.RequestAccept.quantiles()
		}
	}
	end := start.AddDate(0, 1, 0)
	for _, c := range acc.state.Consumptions {
		if strings.HasPrefix(c.Incident, api.RequestWorkflowID(acc.state.Customer, "")) && !c.At.Before(start) && c.At.Before(end) {
			f.TicketsUsed += c.Tickets
		}
	}
	return f
}
