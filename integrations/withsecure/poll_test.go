package withsecure

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"xsoc/integrations"
	"xsoc/integrations/withsecure/sim"
)

func addIncident(t *testing.T, s *sim.Server, n sim.NewIncident) sim.Incident {
	t.Helper()
	inc, err := s.AddIncident(n)
	if err != nil {
		t.Fatalf("AddIncident: %v", err)
	}
	return inc
}

// pollAll polls until the vendor has nothing more right now.
func pollAll(t *testing.T, c *Client, cursor string, since time.Time) ([]integrations.Alert, string) {
	t.Helper()
	var alerts []integrations.Alert
	for range 100 {
		page, err := c.Poll(context.Background(), cursor, since)
		if err != nil {
			t.Fatalf("Poll: %v", err)
		}
		alerts = append(alerts, page.Alerts...)
		if page.NextCursor == "" {
			t.Fatal("Poll answered no cursor")
		}
		cursor = page.NextCursor
		if !page.More {
			return alerts, cursor
		}
	}
	t.Fatal("Poll never ran out of pages")
	return nil, ""
}

func alertIDs(alerts []integrations.Alert) []string {
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	return ids
}

func TestPollEnrichesWithDetections(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	inc := addIncident(t, s, sim.NewIncident{
		Name: "Credential dumping", Severity: "severe",
		Devices: []sim.DeviceRef{{Name: "osk-pc-17", IP: "10.1.2.3"}, {Name: "osk-pc-18"}},
		Users:   []string{`ACME\taro`}, Process: "mimikatz.exe",
		SHA1: "d1f7832035c3e8a73cc78afd28cfd7f4cece6d20",
	})
	alerts, _ := pollAll(t, c, "", time.Now().Add(-time.Minute))
	if len(alerts) != 1 {
		t.Fatalf("got %d alerts, want 1", len(alerts))
	}
	a := alerts[0]
	if a.ID != inc.IncidentID || a.Detection != "Credential dumping" || a.Severity != integrations.SeverityCritical {
		t.Errorf("alert = %+v", a)
	}
	if err := a.Validate(); err != nil {
		t.Error(err)
	}
	if len(a.Hosts) != 2 || a.Hosts[0].Name != "osk-pc-17" || a.Hosts[0].IP != "10.1.2.3" || a.Hosts[0].ID == "" || a.Hosts[1].Name != "osk-pc-18" {
		t.Errorf("hosts = %+v, want both devices with ids and the first one's IP", a.Hosts)
	}
	if strings.Join(a.Users, ",") != `ACME\taro` {
		t.Errorf("users = %v", a.Users)
	}
	wantHash := integrations.Indicator{Type: "sha1", Value: "d1f7832035c3e8a73cc78afd28cfd7f4cece6d20"}
	if len(a.Indicators) != 1 || a.Indicators[0] != wantHash {
		t.Errorf("indicators = %v, want %v", a.Indicators, wantHash)
	}
	if !strings.Contains(string(a.Raw), inc.IncidentPublicID) {
		t.Errorf("raw %s is not the incident", a.Raw)
	}
	q, _ := url.ParseQuery(callsTo(s, http.MethodGet, "/incidents/v1/incidents")[0].Query)
	if q.Get("order") != "asc" || q.Get("updatedTimestampStart") == "" || q.Get("limit") != "50" {
		t.Errorf("incident listing query = %v", q)
	}
}

func TestPollNeitherLosesNorRepeats(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	first := addIncident(t, s, sim.NewIncident{Name: "one", Severity: "high", Devices: []sim.DeviceRef{{Name: "h1"}}})
	alerts, cursor := pollAll(t, c, "", time.Now().Add(-time.Minute))
	if got := alertIDs(alerts); len(got) != 1 || got[0] != first.IncidentID {
		t.Fatalf("first poll = %v", got)
	}
	alerts, cursor = pollAll(t, c, cursor, time.Time{})
	if len(alerts) != 0 {
		t.Fatalf("second poll repeated %v", alertIDs(alerts))
	}
	second := addIncident(t, s, sim.NewIncident{Name: "two", Severity: "low", Devices: []sim.DeviceRef{{Name: "h2"}}})
	alerts, _ = pollAll(t, c, cursor, time.Time{})
	if got := alertIDs(alerts); len(got) != 1 || got[0] != second.IncidentID {
		t.Fatalf("third poll = %v, want only %s", got, second.IncidentID)
	}
}

// Incidents updated in the same millisecond as the last one handed out are neither
// lost (the start is inclusive) nor handed out twice (the cursor remembers them).
func TestPollSameMillisecondBoundary(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	instant := time.Date(2026, 11, 27, 3, 12, 0, 123_000_000, time.UTC)
	s.SetClock(func() time.Time { return instant })
	a := addIncident(t, s, sim.NewIncident{Name: "a", Devices: []sim.DeviceRef{{Name: "h"}}})
	b := addIncident(t, s, sim.NewIncident{Name: "b", Devices: []sim.DeviceRef{{Name: "h"}}})
	alerts, cursor := pollAll(t, c, "", instant.Add(-time.Second))
	if got := alertIDs(alerts); len(got) != 2 || got[0] != a.IncidentID || got[1] != b.IncidentID {
		t.Fatalf("first poll = %v", got)
	}
	late := addIncident(t, s, sim.NewIncident{Name: "late", Devices: []sim.DeviceRef{{Name: "h"}}})
	alerts, cursor = pollAll(t, c, cursor, time.Time{})
	if got := alertIDs(alerts); len(got) != 1 || got[0] != late.IncidentID {
		t.Fatalf("second poll = %v, want only %s", got, late.IncidentID)
	}
	s.SetClock(func() time.Time { return instant.Add(time.Millisecond) })
	next := addIncident(t, s, sim.NewIncident{Name: "next", Devices: []sim.DeviceRef{{Name: "h"}}})
	alerts, _ = pollAll(t, c, cursor, time.Time{})
	if got := alertIDs(alerts); len(got) != 1 || got[0] != next.IncidentID {
		t.Fatalf("third poll = %v, want only %s", got, next.IncidentID)
	}
}

func TestPollPagesThroughAStorm(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	base := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	tick := 0
	s.SetClock(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		tick++
		return base.Add(time.Duration(tick/7) * time.Millisecond) // several incidents per millisecond
	})
	const storm = 120
	want := map[string]bool{}
	for i := range storm {
		inc := addIncident(t, s, sim.NewIncident{Name: fmt.Sprintf("worm %d", i), Devices: []sim.DeviceRef{{Name: fmt.Sprintf("pc-%03d", i%40)}}})
		want[inc.IncidentID] = true
	}
	var got []integrations.Alert
	cursor := ""
	pages := 0
	for more := true; more; pages++ {
		page, err := c.Poll(context.Background(), cursor, base.Add(-time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page.Alerts...)
		cursor, more = page.NextCursor, page.More
	}
	if pages != 3 {
		t.Errorf("%d pages, want 3 of at most 50", pages)
	}
	seen := map[string]bool{}
	for _, a := range got {
		if seen[a.ID] {
			t.Errorf("incident %s handed out twice", a.ID)
		}
		seen[a.ID] = true
		delete(want, a.ID)
	}
	if len(want) > 0 {
		t.Errorf("%d incidents lost", len(want))
	}
	if n := len(callsTo(s, http.MethodGet, "/devices/v1/devices")); n != 40 {
		t.Errorf("%d device lookups for 40 devices: each device should be asked about once", n)
	}
}

func TestPollPassesOverClosedIncidents(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	inc := addIncident(t, s, sim.NewIncident{Name: "fp", Devices: []sim.DeviceRef{{Name: "h"}}})
	_, cursor := pollAll(t, c, "", time.Now().Add(-time.Minute))
	time.Sleep(2 * time.Millisecond) // the update must land on a later millisecond
	if err := c.WriteBack(context.Background(), integrations.Conclusion{AlertID: inc.IncidentID, Verdict: "false_positive"}); err != nil {
		t.Fatal(err)
	}
	alerts, _ := pollAll(t, c, cursor, time.Time{})
	if len(alerts) != 0 {
		t.Errorf("closed incident came back: %v", alertIDs(alerts))
	}
}

func TestPollRestartsWhenTheAnchorIsRefused(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	for i := range 3 {
		addIncident(t, s, sim.NewIncident{Name: fmt.Sprintf("i%d", i), Devices: []sim.DeviceRef{{Name: "h"}}})
	}
	first, err := c.Poll(context.Background(), "", time.Now().Add(-time.Minute))
	if err != nil || len(first.Alerts) != 3 {
		t.Fatalf("first poll: %v, %d alerts", err, len(first.Alerts))
	}
	cur, err := decodeCursor(first.NextCursor)
	if err != nil {
		t.Fatal(err)
	}
	cur.Anchor = "stale-anchor"
	page, err := c.Poll(context.Background(), cur.encode(), time.Time{})
	if err != nil {
		t.Fatalf("Poll with a stale anchor: %v", err)
	}
	if len(page.Alerts) != 0 || page.More {
		t.Errorf("restart repeated %v (more %v)", alertIDs(page.Alerts), page.More)
	}
}

func TestPollKeepsTheCursorWhenDetectionsFail(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	inc := addIncident(t, s, sim.NewIncident{Name: "x", Devices: []sim.DeviceRef{{Name: "h"}}})
	s.FailNext("/incidents/v1/detections", http.StatusServiceUnavailable, 1, "2")
	_, err := c.Poll(context.Background(), "", time.Now().Add(-time.Minute))
	ve := vendorError(t, err)
	if !ve.Retryable() || ve.RetryAfter != 2*time.Second || !strings.Contains(err.Error(), inc.IncidentID) {
		t.Errorf("error = %v, want a retryable error naming the incident", err)
	}
	alerts, _ := pollAll(t, c, "", time.Now().Add(-time.Minute))
	if got := alertIDs(alerts); len(got) != 1 || got[0] != inc.IncidentID {
		t.Errorf("retry = %v, want the incident", got)
	}
}

func TestPollRefusesForeignCursor(t *testing.T) {
	t.Parallel()
	_, c := newSimClient(t)
	_, err := c.Poll(context.Background(), "not-a-cursor!", time.Time{})
	if err == nil || !strings.Contains(err.Error(), "poll cursor") {
		t.Errorf("error = %v, want one naming the cursor", err)
	}
}

// A poller's first fetch: with no cursor, the poll starts at since (now − first_fetch)
// and fetches what was raised after it, not what was raised before.
func TestFirstPollStartsAtSince(t *testing.T) {
	t.Parallel()
	s, c := newSimClient(t)
	now := time.Now().UTC()
	old := addIncident(t, s, sim.NewIncident{Name: "old", Devices: []sim.DeviceRef{{Name: "pc-old"}}, Created: now.Add(-72 * time.Hour)})
	recent := addIncident(t, s, sim.NewIncident{Name: "recent", Devices: []sim.DeviceRef{{Name: "pc-recent"}}, Created: now.Add(-20 * time.Minute)})
	alerts, _ := pollAll(t, c, "", now.Add(-24*time.Hour))
	if got := alertIDs(alerts); len(got) != 1 || got[0] != recent.IncidentID {
		t.Fatalf("first poll from a day ago fetched %v, want only %s (not %s, raised 3 days ago)", got, recent.IncidentID, old.IncidentID)
	}
	if !alerts[0].ObservedAt.Equal(now.Add(-20 * time.Minute).Truncate(time.Millisecond)) {
		t.Errorf("observed_at %s, want when the incident was raised", alerts[0].ObservedAt)
	}
}
