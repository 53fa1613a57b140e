package cybereason

import (
	"context"
	"encoding/json"

	"xsoc/integrations"
)

var _ integrations.EndpointCounter = (*Client)(nil)

// retiredSensorStatuses do not count as active endpoints: an Archived sensor was
// retired by an administrator, a Stale one has not reported for weeks (the console's
// own threshold). Online and Offline sensors are machines in use.
var retiredSensorStatuses = []string{"Archived", "Stale"}

// sensorsPageSize is how many sensors a page asks for when the console does not
// answer totalResults and the sensors must be counted page by page.
const sensorsPageSize = 1000

// CountEndpoints answers how many of the console's sensors are active. The first
// query asks for one sensor: the console answers totalResults for the whole filter,
// which is the count. A console that leaves totalResults out is paged through.
func (c *Client) CountEndpoints(ctx context.Context) (int, error) {
	// One filter per status: filters are ANDed, and one value per NotEquals is the
	// form every console version takes.
	filters := make([]sensorFilter, 0, len(retiredSensorStatuses))
	for _, status := range retiredSensorStatuses {
		filters = append(filters, sensorFilter{FieldName: "status", Operator: "NotEquals", Values: []string{status}})
	}
	counted, offset, limit := 0, 0, 1
	for {
		var answer struct {
			TotalResults   *number           `json:"totalResults"`
			Sensors        []json.RawMessage `json:"sensors"`
			HasMoreResults flexBool          `json:"hasMoreResults"`
		}
		query := map[string]any{"limit": limit, "offset": offset, "filters": filters}
		if err := c.postJSON(ctx, "count sensors", "/rest/sensors/query", query, &answer); err != nil {
			return 0, err
		}
		if answer.TotalResults != nil {
			return int(*answer.TotalResults), nil
		}
		counted += len(answer.Sensors)
		if !answer.HasMoreResults || len(answer.Sensors) == 0 {
			return counted, nil
		}
		offset += len(answer.Sensors)
		limit = sensorsPageSize
	}
}
