package poller

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations/messages"
	"xsoc/workflows/api"
	"xsoc/workflows/internal/testworld"
	"xsoc/workflows/start"
)

// backlogVendor is a platform that raised a backlog before the poller's first run: its
// polls answer the backlog's pages in turn (the cursor is the number of pages
// fetched), then nothing new.
type backlogVendor struct {
	pages []api.PollResult
	now   func() time.Time

	mu       sync.Mutex
	requests []api.PollRequest
	at       []time.Time
}

func (v *backlogVendor) poll(_ context.Context, r api.PollRequest) (api.PollResult, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.requests = append(v.requests, r)
	v.at = append(v.at, v.now().UTC())
	fetched := 0
	if r.Cursor != "" {
		fetched, _ = strconv.Atoi(r.Cursor)
	}
	if fetched >= len(v.pages) {
		return api.PollResult{NextCursor: r.Cursor}, nil
	}
	page := v.pages[fetched]
	page.NextCursor, page.More = strconv.Itoa(fetched+1), fetched+1 < len(v.pages)
	return page, nil
}

// backlog is n alerts in pages of size, of which known were delivered before.
func backlog(n, size, known int) []api.PollResult {
	var pages []api.PollResult
	for n > 0 {
		page := api.PollResult{Delivered: min(n, size)}
		page.New = page.Delivered - min(known, page.Delivered)
		known -= page.Delivered - page.New
		n -= page.Delivered
		pages = append(pages, page)
	}
	return pages
}

func newBacklogWorld(t *testing.T, vendor *backlogVendor) *pollerWorld {
	t.Helper()
	w := newPollerWorldPolling(t, vendor.poll)
	vendor.now = w.env.Now
	return w
}

// firstFetchNotices are the SOC notices of the first fetch the world sent.
func (w *pollerWorld) firstFetchNotices() []activities.Notification {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []activities.Notification
	for _, n := range w.told {
		if n.Incident.SOCNotice != nil && n.Incident.SOCNotice.Topic == messages.TopicFirstFetch {
			out = append(out, n)
		}
	}
	return out
}

func TestNewPollerStartsAtNowLessFirstFetchAndPagesThroughTheBacklogAtOnce(t *testing.T) {
	t.Parallel()
	vendor := &backlogVendor{pages: backlog(237, 100, 2)}
	w := newBacklogWorld(t, vendor)
	status := w.statusAt(t, 30*time.Second)

	next := w.run(t, api.PollerInput{Customer: "acme", Vendor: "cybereason", Every: time.Minute, FirstFetch: 72 * time.Hour})

	since := testworld.Start.Add(-72 * time.Hour)
	require.Equal(t, "", vendor.requests[0].Cursor)
	require.Equal(t, since, vendor.requests[0].Since, "a poller without a cursor starts first_fetch before its first run")
	require.Equal(t, []string{"1", "2"}, []string{vendor.requests[1].Cursor, vendor.requests[2].Cursor})
	require.Equal(t, []time.Time{testworld.Start, testworld.Start, testworld.Start}, vendor.at[:3], "the backlog's pages are fetched one after the other, without a pause")
	require.Equal(t, testworld.Start.Add(time.Minute), vendor.at[3], "caught up, the poller waits its interval")

	require.Equal(t, since, status.Since, "the status query says where the poller started")
	require.Equal(t, &api.PollerFirstFetch{Since: since, Began: testworld.Start, Alerts: 237, New: 235, Pages: 3, Done: testworld.Start}, status.FirstFetch)

	told := w.firstFetchNotices()
	require.Len(t, told, 2, "the SOC is told once, by email and Slack (never a call)")
	keys := map[string]bool{}
	for _, n := range told {
		notice := n.Incident.SOCNotice
		require.Equal(t, "acme", notice.Customer)
		require.Equal(t, "cybereason", notice.Vendor)
		require.Equal(t, since, notice.Since)
		require.Equal(t, testworld.Start, notice.At)
		require.Equal(t, 237, notice.Alerts)
		require.Equal(t, 2, notice.Known, "the alerts known already (pushed, or fetched before) are told apart")
		require.False(t, notice.Storm)
		require.Contains(t, notice.ListQuery, `XsocCustomer="acme" AND XsocVendor="cybereason" AND StartTime >= "2026-11-27T03:00:00Z"`)
		require.Equal(t, messages.AudienceSOC, n.Audience)
		keys[n.Key] = true
	}
	require.Len(t, keys, 2)
	require.Len(t, w.told, 2, "nothing else is told")

	require.Equal(t, since, next.Since)
	require.Equal(t, status.FirstFetch, next.Backfill, "the first fetch's record carries over continue-as-new")
	require.Equal(t, "3", next.Cursor)
}

func TestFirstFetchFromTheCustomersFile(t *testing.T) {
	t.Parallel()
	noLookBack := config.Duration(0)
	cases := []struct {
		name       string
		firstFetch *config.Duration
		since      time.Time
	}{
		{"default: a day", nil, testworld.Start.Add(-24 * time.Hour)},
		{"0s: from the first run on", &noLookBack, testworld.Start},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vendor := &backlogVendor{}
			w := newBacklogWorld(t, vendor)
			in := start.PollerInputFor("acme", config.Platform{Vendor: "withsecure", Poll: config.Duration(time.Minute), FirstFetch: tc.firstFetch})

			next := w.run(t, in)

			require.Equal(t, tc.since, vendor.requests[0].Since)
			require.Equal(t, tc.since, next.Since)
			if tc.firstFetch != nil {
				require.Nil(t, next.Backfill, "no look-back, no first fetch to tell")
				require.Empty(t, w.told)
			} else {
				require.Len(t, w.firstFetchNotices(), 2, "an empty first fetch is told too: the platform is polled")
				require.Zero(t, w.firstFetchNotices()[0].Incident.SOCNotice.Alerts)
			}
		})
	}
}

// A poller that has a cursor (one running before first fetch, or any after its first
// run) polls from it: first_fetch concerns only a poller that has none.
func TestRunningPollerWithACursorKeepsItsPlace(t *testing.T) {
	t.Parallel()
	vendor := &backlogVendor{}
	w := newBacklogWorld(t, vendor)
	started := testworld.Start.Add(-5 * time.Hour)

	next := w.run(t, api.PollerInput{Customer: "acme", Vendor: "cybereason", Every: time.Minute, FirstFetch: 24 * time.Hour, Cursor: "7", Since: started})

	require.Equal(t, "7", vendor.requests[0].Cursor)
	require.Equal(t, started, vendor.requests[0].Since)
	require.Equal(t, started, next.Since)
	require.Nil(t, next.Backfill)
	require.Empty(t, w.told)
}

func TestFirstFetchOfMoreThan500NewAlertsIsAStorm(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name             string
		alerts, known    int
		storm            bool
		pages            int
		vendorPageLength int
	}{
		{"500 new alerts", 500, 0, false, 5, 100},
		{"601 new alerts", 601, 0, true, 7, 100},
		{"620 alerts, 200 of them known", 620, 200, false, 13, 50},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vendor := &backlogVendor{pages: backlog(tc.alerts, tc.vendorPageLength, tc.known)}
			w := newBacklogWorld(t, vendor)

			next := w.run(t, api.PollerInput{Customer: "acme", Vendor: "cybereason", Every: time.Minute, FirstFetch: 24 * time.Hour})

			require.Equal(t, tc.pages, next.Backfill.Pages)
			for i := range tc.pages {
				require.Equal(t, testworld.Start, vendor.at[i], "page %d: the backlog reaches triage at once, where its rate is a storm too", i+1)
			}
			told := w.firstFetchNotices()
			require.NotEmpty(t, told)
			for _, n := range told {
				require.Equal(t, tc.storm, n.Incident.SOCNotice.Storm)
				require.Equal(t, tc.alerts, n.Incident.SOCNotice.Alerts)
				require.Equal(t, tc.known, n.Incident.SOCNotice.Known)
			}
		})
	}
}

// A backlog longer than a run's polls is paged on by the next run, which tells the SOC
// the whole count once.
func TestFirstFetchCarriesAcrossContinueAsNew(t *testing.T) {
	t.Parallel()
	vendor := &backlogVendor{pages: backlog((pollsPerRun+5)*100, 100, 0)}
	first := newBacklogWorld(t, vendor)
	carried := first.run(t, api.PollerInput{Customer: "acme", Vendor: "cybereason", Every: time.Minute, FirstFetch: 30 * 24 * time.Hour})

	require.Equal(t, &api.PollerFirstFetch{Since: testworld.Start.Add(-30 * 24 * time.Hour), Began: testworld.Start, Alerts: pollsPerRun * 100,
		New: pollsPerRun * 100, Pages: pollsPerRun}, carried.Backfill, "the first fetch is under way when the run continues as new")
	require.Empty(t, first.told, "nothing is told before the poller caught up")

	second := newBacklogWorld(t, vendor)
	done := second.run(t, carried)

	require.Equal(t, carried.Since, vendor.requests[pollsPerRun].Since)
	require.Equal(t, strconv.Itoa(pollsPerRun), vendor.requests[pollsPerRun].Cursor)
	require.Equal(t, (pollsPerRun+5)*100, done.Backfill.Alerts)
	require.Equal(t, testworld.Start, done.Backfill.Done, "the second run pages on at once")
	told := second.firstFetchNotices()
	require.Len(t, told, 2)
	require.Equal(t, (pollsPerRun+5)*100, told[0].Incident.SOCNotice.Alerts)
	require.True(t, told[0].Incident.SOCNotice.Storm)
}
