package withsecure

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"xsoc/integrations"
)

// pollCursor is where the poller stands, kept by the caller as an opaque string.
//
// The incidents are read in ascending updatedTimestamp from an inclusive start, so an
// incident updated in the same millisecond as the last one handed out is not lost;
// the ids already handed out at that millisecond are remembered so that they are not
// handed out twice. Anchor continues a query that has further pages.
type pollCursor struct {
	Start  string   `json:"start,omitempty"`  // updatedTimestampStart of the running query
	Anchor string   `json:"anchor,omitempty"` // nextAnchor within that query
	Last   string   `json:"last,omitempty"`   // updatedTimestamp of the newest incident handed out
	SeenAt []string `json:"seen,omitempty"`   // incidentIds handed out at exactly Last
}

func decodeCursor(cursor string) (pollCursor, error) {
	var cur pollCursor
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		err = json.Unmarshal(raw, &cur)
	}
	if err != nil {
		return cur, fmt.Errorf("withsecure: poll cursor %q is not one this integration wrote: %v", integrations.Truncate(cursor, 40), err)
	}
	return cur, nil
}

func (cur pollCursor) encode() string {
	raw, _ := json.Marshal(cur)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// apiTime is how the Elements API wants timestamps in queries.
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Poll answers the incidents updated since the cursor (or since `since` when the cursor
// is empty), one page at a time, each enriched with its detections: hosts, users and
// file hashes. Closed incidents are passed over: they need no handling, and our own
// write-back closes incidents, which would otherwise come back as updates.
func (c *Client) Poll(ctx context.Context, cursor string, since time.Time) (integrations.PollPage, error) {
	cur := pollCursor{}
	if cursor != "" {
		var err error
		if cur, err = decodeCursor(cursor); err != nil {
			return integrations.PollPage{}, err
		}
	} else if !since.IsZero() {
		cur.Start = apiTime(since)
	}

	p, err := c.incidentsPage(ctx, cur)
	var vendorErr *integrations.VendorError
	if cur.Anchor != "" && errors.As(err, &vendorErr) && vendorErr.StatusCode == http.StatusBadRequest {
		// An anchor the vendor no longer honours: start the query over from the newest
		// incident handed out; the ids seen there keep it from repeating any.
		c.log().WarnContext(ctx, "poll anchor refused, restarting the query from the last incident seen",
			"anchor", cur.Anchor, "last", cur.Last, "vendor_message", vendorErr.Message)
		cur.Start, cur.Anchor = firstNonEmpty(cur.Last, cur.Start), ""
		p, err = c.incidentsPage(ctx, cur)
	}
	if err != nil {
		return integrations.PollPage{}, err
	}

	next := cur
	var alerts []integrations.Alert
	for i, raw := range p.Items {
		inc, err := decodeIncident(raw)
		if err != nil || strings.TrimSpace(inc.IncidentID) == "" {
			c.log().WarnContext(ctx, "skipping an incident the vendor sent malformed", "index", i, "error", err)
			continue
		}
		if !next.advance(inc) {
			continue
		}
		if strings.EqualFold(inc.Status, "closed") {
			continue
		}
		alert, err := inc.alert(raw, c.severityMap)
		if err != nil {
			c.log().WarnContext(ctx, "skipping an incident that cannot be an alert", "incident", inc.IncidentID, "error", err)
			continue
		}
		ev, err := c.evidence(ctx, alert.ID)
		if err != nil {
			return integrations.PollPage{}, fmt.Errorf("withsecure: reading detections of incident %s: %w", alert.ID, err)
		}
		ev.enrich(&alert)
		if err := alert.Validate(); err != nil {
			// Identity and cloud incidents have no device to contain and nothing we
			// can page about a host; they stay in the Elements portal.
			c.log().WarnContext(ctx, "skipping an incident with no usable host", "incident", alert.ID, "error", err)
			continue
		}
		alerts = append(alerts, alert)
	}

	page := integrations.PollPage{Alerts: alerts}
	if p.NextAnchor != "" && p.NextAnchor != cur.Anchor {
		next.Anchor = p.NextAnchor
		page.More = true
	} else {
		next.Start, next.Anchor = firstNonEmpty(next.Last, cur.Start), ""
	}
	page.NextCursor = next.encode()
	return page, nil
}

// advance moves the cursor past inc, answering false when inc was already handed out.
// An updatedTimestamp we cannot read is handed out without moving the cursor.
func (cur *pollCursor) advance(inc incident) bool {
	at, ok := parseTime(inc.UpdatedTimestamp)
	if !ok {
		return true
	}
	last, haveLast := parseTime(cur.Last)
	switch {
	case !haveLast || at.After(last):
		cur.Last = inc.UpdatedTimestamp
		cur.SeenAt = []string{inc.IncidentID}
		return true
	case at.Before(last):
		return false
	case containsString(cur.SeenAt, inc.IncidentID):
		return false
	default:
		cur.SeenAt = append(cur.SeenAt, inc.IncidentID)
		return true
	}
}

// incidentsPage asks for one page of incidents in ascending update order.
func (c *Client) incidentsPage(ctx context.Context, cur pollCursor) (page[json.RawMessage], error) {
	query := url.Values{"limit": {fmt.Sprint(incidentsPageSize)}, "order": {"asc"}}
	if cur.Start != "" {
		query.Set("updatedTimestampStart", cur.Start)
	}
	if cur.Anchor != "" {
		query.Set("anchor", cur.Anchor)
	}
	var p page[json.RawMessage]
	err := c.call(ctx, "list incidents", http.MethodGet, "/incidents/v1/incidents", query, nil, &p)
	return p, err
}
