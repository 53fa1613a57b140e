package api

import (
	"time"

	"xsoc/config"
)

// PollerInput is one customer platform's poller and where it stands.
type PollerInput struct {
	Customer string        `json:"customer"`
	Vendor   string        `json:"vendor"`
	Every    time.Duration `json:"every"`
	Cursor   string        `json:"cursor,omitempty"`
	// FirstFetch is how far back the poller looks when it starts without a cursor
	// (the platform's first_fetch).
	FirstFetch time.Duration `json:"first_fetch,omitempty"`
	// Since is where a poller with no cursor starts: its first start less FirstFetch
	// (its first start, for pollers started before first fetch).
	Since time.Time `json:"since,omitzero"`
	// Backfill is the poller's first fetch, under way or done.
	Backfill *PollerFirstFetch `json:"backfill,omitempty"`
	// Outage is the vendor failure the poller is riding out, carried over so that
	// the SOC is told once per outage however many runs it lasts.
	Outage *PollerOutage `json:"outage,omitempty"`
}

// PollerOutage is a stretch of time in which the vendor could not be polled.
type PollerOutage struct {
	Since       time.Time `json:"since"`
	LastFailure time.Time `json:"last_failure"`
	Failures    int       `json:"failures"`
	LastError   string    `json:"last_error"`
	// Told says the SOC was told (or, with no SOC to tell, that it was logged).
	Told bool `json:"told"`
}

// PollerStatus answers a poller's `status` query.
type PollerStatus struct {
	Customer string `json:"customer"`
	Vendor   string `json:"vendor"`
	// State is polling or outage, as XsocState shows it.
	State  string `json:"state"`
	Cursor string `json:"cursor"`
	// Since is where the poller started fetching: its first run less first_fetch.
	Since time.Time `json:"since"`
	// FirstFetch is the poller's first fetch: how far it got, or how it went.
	FirstFetch *PollerFirstFetch `json:"first_fetch,omitempty"`
	// LastPoll is the last poll the vendor answered.
	LastPoll  time.Time     `json:"last_poll,omitzero"`
	Delivered int           `json:"delivered"`
	Outage    *PollerOutage `json:"outage,omitempty"`
}

// PollerFirstFetch is a new poller's first fetch: the backlog its platform raised in
// the first_fetch before the poller's first run, paged through at once, and how it
// went. It is carried across continue-as-new, and kept once done for the `status`
// query.
type PollerFirstFetch struct {
	// Since is where the first fetch started: Began less the platform's first_fetch.
	Since time.Time `json:"since"`
	// Began is the poller's first run.
	Began time.Time `json:"began"`
	// Alerts were fetched and delivered; New of them started an incident, the others
	// were known already (pushed, or fetched by an earlier poller).
	Alerts int `json:"alerts"`
	New    int `json:"new"`
	Pages  int `json:"pages"`
	// Done is when the poller caught up with its platform; zero while it pages.
	Done time.Time `json:"done,omitzero"`
	// Storm: more than firstFetchStorm new incidents at once.
	Storm bool `json:"storm,omitempty"`
}

// PollRequest asks for a platform's alerts since the cursor.
type PollRequest struct {
	Customer string    `json:"customer"`
	Vendor   string    `json:"vendor"`
	Cursor   string    `json:"cursor"`
	Since    time.Time `json:"since"`
}

// PollResult says where the next poll starts and whether more is waiting now.
type PollResult struct {
	NextCursor string `json:"next_cursor"`
	More       bool   `json:"more"`
	Delivered  int    `json:"delivered"`
	New        int    `json:"new"`
}

// SOCNotices is whom to tell of what concerns the SOC but no single incident (a
// vendor outage), as the customers file says: the soc: block's notices, else the
// first steps of its high chain. No soc: block, no contacts: the worker logs only.
type SOCNotices struct {
	CustomerName string           `json:"customer_name"`
	Language     string           `json:"language"`
	Timezone     string           `json:"timezone"`
	Contacts     []config.Contact `json:"contacts,omitempty"`
}
