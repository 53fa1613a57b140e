package account

import (
	"slices"

	"go.temporal.io/sdk/workflow"

	"xsoc/workflows/api"
)

// recordRequest adds an ended customer request to its month's figures, once.
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
	acc.remember(id)
	return nil
}
