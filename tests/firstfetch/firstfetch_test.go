package firstfetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"xsoc/internal/e2e"
	"xsoc/workflows/api"
	"xsoc/workflows/start"
)

// The race: what a platform raised before its poller's first run is fetched
// by that first run — within the platform's first_fetch, and only within it — and
// goes through triage as any alert: one detection on three hosts is a campaign, and a
// backlog larger than the customer's storm threshold arrives at once and is an alert
// storm there. The SOC is told how much came in.
func TestFirstFetchPicksUpWhatWasRaisedBeforeTheStackStarted(t *testing.T) {
	platforms := []struct {
		vendor   string
		lookBack time.Duration
		fetched  int
	}{{"cybereason", 24 * time.Hour, crFetched}, {"withsecure", 48 * time.Hour, 2}}
	for _, p := range platforms {
		status := waitFirstFetch(t, api.PollerWorkflowID("acme", p.vendor), seeded.at)
		first := status.FirstFetch
		if first.Began.Before(seeded.at) || first.Began.After(time.Now()) {
			t.Errorf("%s: the poller's first run at %s, not between the seeding (%s) and now", p.vendor, first.Began, seeded.at)
		}
		if !status.Since.Equal(first.Began.Add(-p.lookBack)) || !first.Since.Equal(status.Since) {
			t.Errorf("%s: the poller started at %s (first fetch from %s), want %s before its first run %s",
				p.vendor, status.Since, first.Since, p.lookBack, first.Began)
		}
		if first.Alerts != p.fetched || first.New != p.fetched {
			t.Errorf("%s: the first fetch delivered %d alerts, %d new; want %d, all new", p.vendor, first.Alerts, first.New, p.fetched)
		}
	}

	quiet := 0
	for _, id := range slices.Concat(fetchedIncidents(), campaignMembers()) {
		eventually(t, 30*time.Second, id+" triaged", func() error {
			status, err := incidentStatus(id)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(status.Timeline, func(e api.Entry) bool { return e.Kind == "triage" }) {
				return fmt.Errorf("state %s, not triaged yet", status.State)
			}
			if slices.ContainsFunc(status.Timeline, func(e api.Entry) bool { return e.Kind == "paging" && strings.Contains(e.Text, "alert storm") }) {
				quiet++
			}
			return nil
		})
		requireOneRun(t, id)
	}
	if quiet == 0 {
		t.Errorf("none of the %d backfilled incidents was left to the storm digest: they did not reach triage together", len(fetchedIncidents()))
	}
	for _, id := range campaignMembers() {
		eventually(t, 30*time.Second, id+" joined its campaign", func() error {
			status, err := incidentStatus(id)
			if err != nil {
				return err
			}
			if parent := e2e.SearchAttributes(t, xsoc.Temporal, id)["XsocParent"]; status.State != api.StateMerged ||
				!strings.HasPrefix(parent, "incident/acme/campaign/") {
				return fmt.Errorf("state %s, parent %q", status.State, parent)
			}
			return nil
		})
	}
	for what, id := range map[string]string{
		"a MalOp raised 3 days before":                     malopIncident(seeded.malopOld),
		"a MalOp raised 30 hours before (first_fetch 24h)": malopIncident(seeded.malopDayAndAHalf),
		"a WithSecure incident raised 3 days before":       wsIncident(seeded.wsOld.IncidentID),
	} {
		_, err := e2e.Describe(context.Background(), xsoc.Temporal, id, "")
		if notFound := (*serviceerror.NotFound)(nil); !errors.As(err, &notFound) {
			t.Errorf("%s, past the first fetch, became an incident (%s): %v", what, id, err)
		}
	}

	waitNotice(t, "[xsoc][FIRST FETCH]", fmt.Sprintf("First fetch for acme/cybereason: %d alerts raised or updated since", crFetched))
	waitNotice(t, "[xsoc][FIRST FETCH]", "First fetch for acme/withsecure: 2 alerts raised or updated since")
	waitNotice(t, "storm mode started", "ACME First Fetch is in storm mode")
}

// Fetching again doubles nothing: the same alerts pushed by a forwarder while the
// first fetch runs, a second poller beside the first (as during a redeploy), and a
// poller started again from nothing (its history lost) are re-deliveries to the
// incidents the first fetch opened, or duplicates of those that closed (the campaign's
// members, merged at once).
func TestFetchingAgainDoublesNothing(t *testing.T) {
	waitFirstFetch(t, api.PollerWorkflowID("acme", "cybereason"), seeded.at)
	waitFirstFetch(t, api.PollerWorkflowID("acme", "withsecure"), seeded.at)
	ids := fetchedIncidents()
	deliveries := map[string]int{}
	for _, id := range ids {
		eventually(t, 30*time.Second, id+" opened", func() error {
			status, err := incidentStatus(id)
			deliveries[id] = status.Deliveries
			return err
		})
	}

	// A forwarder pushes the WithSecure incident the first fetch delivered.
	code, answer, _ := e2e.Post(t, xsoc.StarterURL+"/v1/alerts/withsecure/acme", pushedIncident(t, seeded.wsRecent, "ff-ws-recent"),
		map[string]string{"Authorization": "Bearer " + webhookSecret})
	var pushed struct {
		Incidents []start.IncidentRef `json:"incidents"`
	}
	if err := json.Unmarshal(answer, &pushed); err != nil || code != 200 || len(pushed.Incidents) != 1 ||
		!pushed.Incidents[0].Duplicate || pushed.Incidents[0].WorkflowID != ids[1] {
		t.Fatalf("the pushed copy of a fetched incident answered %d %s, want 200, a duplicate of %s", code, answer, ids[1])
	}

	// A second Cybereason poller beside the running one.
	second := "poller/acme/cybereason/second"
	_, err := xsoc.Temporal.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: second, TaskQueue: api.TaskQueue},
		api.PollerWorkflowType, api.PollerInput{Customer: "acme", Vendor: "cybereason", Every: time.Second, FirstFetch: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if first := waitFirstFetch(t, second, seeded.at).FirstFetch; first.Alerts != crFetched || first.New != 0 {
		t.Errorf("the second poller's first fetch: %d alerts, %d new; want the %d MalOps, known already", first.Alerts, first.New, crFetched)
	}
	waitNotice(t, "[xsoc][FIRST FETCH]", fmt.Sprintf("First fetch for acme/cybereason: %d alerts raised or updated since", crFetched),
		fmt.Sprintf("%d of them already known", crFetched))
	if err := xsoc.Temporal.TerminateWorkflow(context.Background(), second, "", "the overlap is over"); err != nil {
		t.Fatal(err)
	}

	// The WithSecure poller started again from nothing: the worker starts a new one.
	poller := api.PollerWorkflowID("acme", "withsecure")
	if err := xsoc.Temporal.TerminateWorkflow(context.Background(), poller, "", "its history is lost"); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	if err := xsoc.Restart("worker"); err != nil {
		t.Fatal(err)
	}
	if first := waitFirstFetch(t, poller, restarted).FirstFetch; first.Alerts != 2 || first.New != 0 {
		t.Errorf("the new WithSecure poller fetched %d alerts, %d new; want the 2 incidents, known already", first.Alerts, first.New)
	}

	for _, id := range ids {
		requireOneRun(t, id)
		status, err := incidentStatus(id)
		if err != nil {
			t.Fatal(err)
		}
		if status.Deliveries <= deliveries[id] {
			t.Errorf("%s: %d deliveries before fetching again, %d after: the re-fetched alert did not reach its incident", id, deliveries[id], status.Deliveries)
		}
	}
	for _, id := range campaignMembers() {
		requireOneRun(t, id)
	}
	// The fetched incidents, the campaign's members and the campaign.
	if n, want := e2e.Count(t, xsoc.Temporal, `WorkflowType="Incident" AND XsocCustomer="acme"`), len(ids)+len(campaignMembers())+1; n != int64(want) {
		t.Errorf("%d incidents for acme, want %d", n, want)
	}
	waitNotice(t, "[xsoc][FIRST FETCH]", "First fetch for acme/withsecure: 2 alerts raised or updated since", "2 of them already known")
}

// crFetched is how many MalOps the Cybereason poller's first fetch finds.
var crFetched = 1 + backlogMalops + 3

// campaignMembers are the incidents of the seeded campaign's MalOps.
func campaignMembers() []string {
	var ids []string
	for _, guid := range seeded.campaign {
		ids = append(ids, malopIncident(guid))
	}
	return ids
}

// fetchedIncidents are the incidents the first fetch opens and that stay open: what
// was raised within each platform's first_fetch, but the campaign's members.
func fetchedIncidents() []string {
	ids := []string{malopIncident(seeded.malopRecent), wsIncident(seeded.wsRecent.IncidentID), wsIncident(seeded.wsDayAndAHalf.IncidentID)}
	for _, guid := range seeded.backlog {
		ids = append(ids, malopIncident(guid))
	}
	return ids
}

func malopIncident(guid string) string {
	return api.IncidentWorkflowID("acme", "cybereason", guid)
}
func wsIncident(id string) string { return api.IncidentWorkflowID("acme", "withsecure", id) }

func incidentStatus(id string) (api.IncidentStatus, error) {
	return e2e.Query[api.IncidentStatus](xsoc.Temporal, id, api.QueryStatus)
}

// requireOneRun fails unless the incident has exactly one run: no alert started it twice.
func requireOneRun(t *testing.T, id string) {
	t.Helper()
	eventually(t, 15*time.Second, id+" listed once", func() error {
		if n := e2e.Count(t, xsoc.Temporal, fmt.Sprintf(`WorkflowId=%q`, id)); n != 1 {
			return fmt.Errorf("%d runs", n)
		}
		return nil
	})
}

// waitNotice waits for a SOC notice whose subject has a phrase and whose text has
// every other.
func waitNotice(t *testing.T, subject string, phrases ...string) {
	t.Helper()
	eventually(t, 30*time.Second, "the SOC told: "+subject+": "+strings.Join(phrases, " … "), func() error {
		messages, err := e2e.Mails(xsoc.MailpitURL, "to:soc-notices@xsoc.example")
		if err != nil {
			return err
		}
		var texts []string
		for _, m := range messages {
			if !strings.Contains(m.Subject, subject) {
				continue
			}
			texts = append(texts, m.Snippet)
			if !slices.ContainsFunc(phrases, func(p string) bool { return !strings.Contains(m.Snippet, p) }) {
				return nil
			}
		}
		return fmt.Errorf("no such notice among %q", texts)
	})
}

// pushedIncident is a WithSecure incident as a forwarder pushes it: the Incidents API
// lists no devices, the forwarder adds them.
func pushedIncident(t *testing.T, incident any, device string) []byte {
	t.Helper()
	var pushed map[string]any
	raw, _ := json.Marshal(incident)
	if err := json.Unmarshal(raw, &pushed); err != nil {
		t.Fatal(err)
	}
	pushed["devices"] = []map[string]string{{"name": device, "id": wsDeviceID(device)}}
	body, _ := json.Marshal(map[string]any{"items": []any{pushed}})
	return body
}
