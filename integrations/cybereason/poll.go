package cybereason

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"xsoc/integrations"
)

// Polling reads /rest/mmng/v2/malops (the MalOp management API of the current data
// platform, paginated), oldest update first, from the cursor's time on.
const (
	pollPageSize = 100
	// maxPollPageSize bounds the page when many MalOps share the cursor's millisecond:
	// past it the poll skips those by offset instead of reading them again.
	maxPollPageSize = 500
)

// pollCursor is where the next poll starts: the lastUpdateTime (epoch ms) of the
// newest MalOp delivered, and the guids delivered at exactly that millisecond. The
// next poll asks from that millisecond on, inclusive, and drops those guids, so a
// MalOp updated in the same millisecond as the last one delivered is not lost and
// none is delivered twice for the same update.
type pollCursor struct {
	UpdatedMillis int64    `json:"t"`
	SeenAtMillis  []string `json:"seen,omitempty"`
}

func decodeCursor(cursor string, since time.Time) (pollCursor, error) {
	if strings.TrimSpace(cursor) == "" {
		start := since.UnixMilli()
		if since.IsZero() || start < 0 {
			start = 0
		}
		return pollCursor{UpdatedMillis: start}, nil
	}
	var c pollCursor
	if err := json.Unmarshal([]byte(cursor), &c); err != nil || c.UpdatedMillis < 0 {
		return pollCursor{}, fmt.Errorf("cybereason: poll cursor %q is not one this integration wrote", integrations.Truncate(cursor, 80))
	}
	return c, nil
}

func (c pollCursor) encode() string {
	b, _ := json.Marshal(c) // a struct of an int and strings always encodes
	return string(b)
}

// advance moves the cursor to a MalOp just read.
func (c *pollCursor) advance(updated int64, guid string) {
	switch {
	case updated > c.UpdatedMillis:
		c.UpdatedMillis = updated
		c.SeenAtMillis = []string{guid}
	case updated == c.UpdatedMillis && !slices.Contains(c.SeenAtMillis, guid):
		c.SeenAtMillis = append(c.SeenAtMillis, guid)
	}
}

// mmngQuery is the body of POST /rest/mmng/v2/malops.
type mmngQuery struct {
	Search     map[string]any   `json:"search"`
	Range      *mmngRange       `json:"range,omitempty"`
	Pagination mmngPagination   `json:"pagination"`
	Federation map[string]any   `json:"federation"`
	Sort       []map[string]any `json:"sort,omitempty"`
}

type mmngRange struct {
	From int64 `json:"from"`
	To   int64 `json:"to"`
}

type mmngPagination struct {
	PageSize int `json:"pageSize"`
	Offset   int `json:"offset"`
}

type mmngAnswer struct {
	Status  text `json:"status"`
	Message text `json:"message"`
	Data    struct {
		TotalHits number            `json:"totalHits"`
		Data      []json.RawMessage `json:"data"`
	} `json:"data"`
}

// malopHead is what the poller needs of a MalOp even when the rest cannot be read.
type malopHead struct {
	GUID           text   `json:"guid"`
	LastUpdateTime number `json:"lastUpdateTime"`
	Status         text   `json:"status"`
}

// closedStatuses are MalOps someone already dealt with in the console: closed, or
// excluded by a rule. Polling does not open incidents for them.
var closedStatuses = []string{"closed", "excluded"}

// Poll answers the MalOps updated since the cursor (or since `since` when the cursor
// is empty), oldest first. A MalOp that cannot be read is logged and passed over so
// that one bad record does not stop the customer's feed.
func (c *Client) Poll(ctx context.Context, cursor string, since time.Time) (integrations.PollPage, error) {
	const op = "query malops"
	from, err := decodeCursor(cursor, since)
	if err != nil {
		return integrations.PollPage{}, err
	}
	pageSize, offset := pollPageSize+len(from.SeenAtMillis), 0
	if pageSize > maxPollPageSize {
		pageSize, offset = pollPageSize, len(from.SeenAtMillis)
	}
	query := mmngQuery{
		Search: map[string]any{},
		// The upper bound is an hour ahead so that a console whose clock runs ahead of
		// ours still shows its newest MalOps now rather than later.
		Range:      &mmngRange{From: from.UpdatedMillis, To: c.now().Add(time.Hour).UnixMilli()},
		Pagination: mmngPagination{PageSize: pageSize, Offset: offset},
		Federation: map[string]any{"groups": []string{}},
		Sort:       []map[string]any{{"field": "LastUpdateTime", "order": "asc"}},
	}
	var answer mmngAnswer
	if err := c.postJSON(ctx, op, "/rest/mmng/v2/malops", query, &answer); err != nil {
		return integrations.PollPage{}, err
	}
	if err := checkStatus(op, answer.Status, answer.Message, true); err != nil {
		return integrations.PollPage{}, err
	}

	next := pollCursor{UpdatedMillis: from.UpdatedMillis, SeenAtMillis: slices.Clone(from.SeenAtMillis)}
	page := integrations.PollPage{Alerts: []integrations.Alert{}}
	for i, raw := range answer.Data.Data {
		var head malopHead
		if err := json.Unmarshal(raw, &head); err != nil || head.GUID.present() == "" {
			slog.ErrorContext(ctx, "cybereason MalOp without a readable guid passed over", "vendor", Vendor,
				"console", c.baseURL, "index", offset+i, "error", err)
			continue
		}
		guid, updated := head.GUID.present(), int64(head.LastUpdateTime)
		if updated < from.UpdatedMillis || (updated == from.UpdatedMillis && slices.Contains(from.SeenAtMillis, guid)) {
			continue
		}
		next.advance(updated, guid)
		if slices.Contains(closedStatuses, strings.ToLower(head.Status.present())) {
			continue
		}
		alert, err := rawMalop{path: fmt.Sprintf("data.data[%d]", offset+i), raw: raw}.alert(c.severityMap)
		if err != nil {
			slog.ErrorContext(ctx, "cybereason MalOp that cannot be read passed over", "vendor", Vendor,
				"console", c.baseURL, "malop", guid, "error", err)
			continue
		}
		page.Alerts = append(page.Alerts, alert)
	}
	page.NextCursor = next.encode()
	page.More = int(answer.Data.TotalHits) > offset+len(answer.Data.Data)
	return page, nil
}
