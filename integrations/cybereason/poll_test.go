package cybereason

import (
	"context"
	"fmt"
	"testing"
	"time"

	"xsoc/integrations"
	"xsoc/integrations/cybereason/sim"
)

// pollAll polls until the console has nothing more, answering the alerts and the cursor.
func pollAll(t *testing.T, c *Client, cursor string, since time.Time) ([]integrations.Alert, string) {
	t.Helper()
	var alerts []integrations.Alert
	for range 100 {
		page, err := c.Poll(context.Background(), cursor, since)
		if err != nil {
			t.Fatalf("Poll: %v", err)
		}
		alerts = append(alerts, page.Alerts...)
		cursor = page.NextCursor
		if !page.More {
			return alerts, cursor
		}
	}
	t.Fatal("Poll kept answering More")
	return nil, ""
}

var timeZero time.Time

func addMalop(t *testing.T, console *sim.Server, m sim.Malop) string {
	t.Helper()
	if len(m.Machines) == 0 {
		m.Machines = []sim.Machine{{Name: "osk-pc-17"}}
	}
	if m.Name == "" {
		m.Name = "mimikatz.exe"
	}
	guid, err := console.AddMalop(m)
	if err != nil {
		t.Fatalf("AddMalop: %v", err)
	}
	return guid
}

func ids(alerts []integrations.Alert) map[string]int {
	out := map[string]int{}
	for _, a := range alerts {
		out[a.ID]++
	}
	return out
}

func TestPollDeliversEachUpdateOnce(t *testing.T) {
	t.Parallel()
	c, console := newTestClient(t, map[string]string{"medium": "critical"})
	a := addMalop(t, console, sim.Malop{LastUpdateTime: 1_000})
	b := addMalop(t, console, sim.Malop{LastUpdateTime: 2_000, Severity: "Medium", Users: []string{`ACME\taro`}})
	cc := addMalop(t, console, sim.Malop{LastUpdateTime: 2_000})

	first, cursor := pollAll(t, c, "", time.UnixMilli(0))
	if got := ids(first); len(got) != 3 || got[a] != 1 || got[b] != 1 || got[cc] != 1 {
		t.Fatalf("first poll = %v, want each of %s %s %s once", got, a, b, cc)
	}
	for _, alert := range first {
		if err := alert.Validate(); err != nil {
			t.Errorf("alert %s: %v", alert.ID, err)
		}
		if alert.ID == b && (alert.Severity != integrations.SeverityCritical || alert.Users[0] != `ACME\taro`) {
			t.Errorf("alert %s: severity %q, users %v: the customer's override and users are lost", b, alert.Severity, alert.Users)
		}
	}

	again, cursor := pollAll(t, c, cursor, time.UnixMilli(0))
	if len(again) != 0 {
		t.Fatalf("second poll repeated %v", ids(again))
	}

	// A MalOp updated in the same millisecond as the last delivered one is not lost.
	d := addMalop(t, console, sim.Malop{LastUpdateTime: 2_000})
	later := addMalop(t, console, sim.Malop{LastUpdateTime: 3_000})
	next, cursor := pollAll(t, c, cursor, time.UnixMilli(0))
	if got := ids(next); len(got) != 2 || got[d] != 1 || got[later] != 1 {
		t.Fatalf("third poll = %v, want %s and %s", got, d, later)
	}

	// An update of a known MalOp is delivered again (to the same incident).
	addMalop(t, console, sim.Malop{GUID: a, LastUpdateTime: 4_000, Name: "mimikatz.exe"})
	updated, _ := pollAll(t, c, cursor, time.UnixMilli(0))
	if got := ids(updated); len(got) != 1 || got[a] != 1 {
		t.Fatalf("after the update = %v, want %s", got, a)
	}
}

func TestPollPagesThroughAStorm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		malops   int
		sameTime bool
	}{
		{"distinct times", 250, false},
		{"one millisecond", 120, true},
		{"one millisecond, past the page bound", 620, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, console := newTestClient(t, nil)
			for i := range tt.malops {
				at := int64(10_000 + i)
				if tt.sameTime {
					at = 10_000
				}
				addMalop(t, console, sim.Malop{Name: fmt.Sprintf("worm-%d.exe", i), LastUpdateTime: at})
			}
			pages := 0
			cursor := ""
			var all []integrations.Alert
			for {
				page, err := c.Poll(context.Background(), cursor, time.UnixMilli(0))
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if len(page.Alerts) > pollPageSize {
					t.Errorf("page %d holds %d alerts, more than %d", pages, len(page.Alerts), pollPageSize)
				}
				all = append(all, page.Alerts...)
				cursor = page.NextCursor
				if !page.More || pages > 50 {
					break
				}
			}
			got := ids(all)
			if len(all) != tt.malops || len(got) != tt.malops {
				t.Fatalf("delivered %d alerts for %d distinct MalOps, want %d once each", len(all), len(got), tt.malops)
			}
			if pages < 2 {
				t.Errorf("pages = %d, want the storm split", pages)
			}
			if rest, _ := pollAll(t, c, cursor, time.UnixMilli(0)); len(rest) != 0 {
				t.Errorf("a further poll repeated %d alerts", len(rest))
			}
		})
	}
}

func TestPollStartsAtSinceAndPassesOverClosed(t *testing.T) {
	t.Parallel()
	c, console := newTestClient(t, nil)
	addMalop(t, console, sim.Malop{LastUpdateTime: 1_000})
	closed := addMalop(t, console, sim.Malop{LastUpdateTime: 5_000, Status: "Closed"})
	excluded := addMalop(t, console, sim.Malop{LastUpdateTime: 5_500, Status: "Excluded"})
	open := addMalop(t, console, sim.Malop{LastUpdateTime: 6_000})

	page, err := c.Poll(context.Background(), "", time.UnixMilli(2_000))
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(page.Alerts); len(got) != 1 || got[open] != 1 {
		t.Fatalf("alerts = %v, want only %s (not the one before since, not %s or %s)", got, open, closed, excluded)
	}
	cursor, err := decodeCursor(page.NextCursor, time.Time{})
	if err != nil || cursor.UpdatedMillis != 6_000 {
		t.Errorf("cursor = %+v (%v), want it past the closed MalOps at 6000", cursor, err)
	}
}

func TestPollRefusesForeignCursor(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(t, nil)
	for _, cursor := range []string{"yesterday", `{"t":-5}`, `[1,2]`} {
		if _, err := c.Poll(context.Background(), cursor, time.Time{}); err == nil {
			t.Errorf("cursor %q accepted", cursor)
		}
	}
}
