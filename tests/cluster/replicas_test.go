package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

// Intake through either starter or the address in front of both: each alert starts
// one incident whichever starter takes it, a re-delivery to the other starter answers
// duplicate, and the incidents run on both workers.
func TestIntakeThroughBothStartersStartsEachIncidentOnceAndBothWorkersRunThem(t *testing.T) {
	if len(xsoc.StarterURLs) != replicas || len(xsoc.Workers()) != replicas {
		t.Fatalf("%d starters and %d workers, want %d of each", len(xsoc.StarterURLs), len(xsoc.Workers()), replicas)
	}
	first := alert("both-"+run, "Credential dumping (mimikatz)", "high", "both-pc-"+run)
	id := postNew(t, xsoc.StarterURLs[0], "generic", "acme", first)
	code, again, _ := post(t, xsoc.StarterURLs[1], "generic", "acme", first)
	if code != http.StatusOK || len(again.Incidents) != 1 || !again.Incidents[0].Duplicate || again.Incidents[0].WorkflowID != id {
		t.Fatalf("the same alert at the other starter: %d %+v, want 200 duplicate of %s", code, again, id)
	}

	// Forty more, in turn through starter 1, starter 2 and the balancer.
	var ids []string
	for i := range 40 {
		body := alert(fmt.Sprintf("rr-%s-%d", run, i), fmt.Sprintf("Suspicious process %d", i), "high", fmt.Sprintf("rr-%s-%d", run, i))
		ids = append(ids, postNew(t, append(xsoc.StarterURLs, xsoc.StarterURL)[i%3], "generic", "acme", body))
	}
	prefix := fmt.Sprintf("incident/acme/generic/rr-%s-", run)
	e2e.Eventually(t, 60*time.Second, "every incident paging the SOC", func() error {
		if n := count(t, fmt.Sprintf(`WorkflowId STARTS_WITH %q`, prefix)); n != 40 {
			return fmt.Errorf("%d incidents listed", n)
		}
		pages, _ := pagesTo(t, "soc-triage@xsoc.example", "rr-"+run+"-")
		if len(pages) != 40 {
			return fmt.Errorf("%d of 40 SOC pages", len(pages))
		}
		return nil
	})
	if n := count(t, fmt.Sprintf(`WorkflowId = %q`, id)); n != 1 {
		t.Fatalf("%d runs of %s, want 1", n, id)
	}

	// Who ran the incidents' workflow tasks: the SDK names each worker <pid>@<host>@.
	ran := map[string]int{}
	for _, id := range append(ids, id) {
		for _, identity := range workflowTaskIdentities(t, id) {
			if identity != "" { // an event without an identity names no worker
				ran[pidOf(identity)]++
			}
		}
	}
	for _, worker := range xsoc.Workers() {
		pid, _ := xsoc.PID(worker)
		if ran[fmt.Sprint(pid)] == 0 {
			t.Errorf("%s (pid %d) ran none of the 41 incidents' workflow tasks: %v", worker, pid, ran)
		}
	}
	t.Logf("workflow tasks by worker pid: %v", ran)
}

// workflowTaskIdentities answers the identities of the workers that started the
// workflow's tasks, from its history.
func workflowTaskIdentities(t *testing.T, workflowID string) []string {
	t.Helper()
	var identities []string
	events := xsoc.Temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for events.HasNext() {
		event, err := events.Next()
		if err != nil {
			t.Fatal(err)
		}
		if started := event.GetWorkflowTaskStartedEventAttributes(); started != nil {
			identities = append(identities, started.GetIdentity())
		}
	}
	return identities
}

// The SOC is paged, an analyst gives the verdict from the Temporal UI (an Update),
// and the host is isolated through the Cybereason console, once.
func TestSOCPageThenVerdictContainsThroughTheVendor(t *testing.T) {
	host := "soc-pc-" + run
	id, pylumID := raiseMalop(t, "acme", "Ransomware behaviour "+run, "High", host)
	e2e.Eventually(t, 30*time.Second, "the SOC page", func() error {
		if pages, _ := pagesTo(t, "soc-triage@xsoc.example", host); len(pages) != 1 {
			return fmt.Errorf("%d pages about %s", len(pages), host)
		}
		return nil
	})
	if s := status(t, id); s.Containment.Active() || xsoc.Cybereason.IsIsolated(host) {
		t.Fatalf("investigate first: contained before the verdict (%+v)", s.Containment)
	}
	decide(t, id, api.DecisionAcknowledge, map[string]any{"by": "hanako"})
	decide(t, id, api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": "true_positive", "note": "ransomware confirmed"})
	e2e.Eventually(t, 30*time.Second, "the host contained", func() error {
		s := status(t, id)
		if s.State != api.StateContained || !xsoc.Cybereason.IsIsolated(host) {
			return fmt.Errorf("state %s, isolated %v", s.State, xsoc.Cybereason.IsIsolated(host))
		}
		if contained := e2e.SearchAttributes(t, xsoc.Temporal, id)["XsocContained"]; contained != "true" {
			return fmt.Errorf("XsocContained=%q", contained)
		}
		return nil
	})
	if n := isolateCalls(pylumID); n != 1 {
		t.Fatalf("%d isolate commands for %s, want 1", n, host)
	}
	// The customer hears of the confirmed incident (their chain starts on the verdict).
	e2e.Eventually(t, 30*time.Second, "the customer's page", func() error {
		if pages, _ := pagesTo(t, "it@acme.example", host); len(pages) != 1 {
			return fmt.Errorf("%d customer pages about %s", len(pages), host)
		}
		return nil
	})
}

// A rule suppresses what it matches (closed, recorded, nobody paged) and the same
// detection on three hosts opens one campaign that the three join.
func TestSuppressionAndACampaign(t *testing.T) {
	rule := addRule(t, "acme", map[string]any{"detection": "Inventory scan*", "hosts": []string{"inv-*"}})
	suppressed := postNew(t, xsoc.StarterURL, "generic", "acme", alert("inv-"+run, "Inventory scan (WMI)", "high", "inv-"+run))

	detection := "Beaconing to a new domain " + run
	var members []string
	for i := range 3 {
		members = append(members, postNew(t, xsoc.StarterURLs[i%replicas], "generic", "acme",
			alert(fmt.Sprintf("camp-%s-%d", run, i), detection, "high", fmt.Sprintf("camp-%s-%d", run, i))))
	}
	// The campaign is named after its first member as triage admitted them: alerts
	// posted through two starters and asked by two workers reach triage in any order.
	var named []string
	for i := range 3 {
		named = append(named, api.CampaignWorkflowID("acme", fmt.Sprintf("camp-%s-%d", run, i)))
	}
	var campaign string

	e2e.Eventually(t, 60*time.Second, "the suppressed alert closed", func() error {
		s := status(t, suppressed)
		if s.State != api.StateSuppressed || s.Rule == nil || s.Rule.ID != rule {
			return fmt.Errorf("state %s, rule %+v", s.State, s.Rule)
		}
		if n := count(t, fmt.Sprintf(`WorkflowId = %q AND XsocState = "suppressed" AND XsocRule = %q`, suppressed, rule)); n != 1 {
			return fmt.Errorf("visibility lists it %d times as suppressed by %s", n, rule)
		}
		return nil
	})
	e2e.Eventually(t, 60*time.Second, "the campaign and its three members", func() error {
		first := status(t, members[0])
		if first.State != api.StateMerged || !slices.Contains(named, first.Parent) {
			return fmt.Errorf("the first member is %s into %q, not merged into a campaign named after a member", first.State, first.Parent)
		}
		campaign = first.Parent
		if n := count(t, fmt.Sprintf(`WorkflowId = %q AND ExecutionStatus = "Running"`, campaign)); n != 1 {
			return fmt.Errorf("campaign %s listed %d times", campaign, n)
		}
		if n := count(t, fmt.Sprintf(`XsocParent = %q AND XsocState = "merged"`, campaign)); n != 3 {
			return fmt.Errorf("%d members merged into the campaign", n)
		}
		return nil
	})
	for _, member := range members {
		if s := status(t, member); s.Parent != campaign {
			t.Errorf("%s joined %q, want %s", member, s.Parent, campaign)
		}
	}
	if pages, _ := pagesTo(t, "soc-triage@xsoc.example", "inv-"+run); len(pages) != 0 {
		t.Errorf("the suppressed alert paged the SOC: %v", pages)
	}
}

// The list queries xsoc uses — the SOC's queue (IN), the dashboard's open incidents
// (NOT IN, counts by SLA state), a storm digest's link (StartTime), docs/cluster.md's
// STARTS_WITH — answer on SQL visibility as on the dev server, through the starter's
// dashboard too.
func TestXsocsListQueriesAnswerOnSQLVisibility(t *testing.T) {
	prefix := "vis-" + run
	var ids []string
	for i := range 6 {
		ids = append(ids, postNew(t, xsoc.StarterURL, "generic", "acme",
			alert(fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("Odd login %s %d", run, i), "high", fmt.Sprintf("%s-%d", prefix, i))))
	}
	since := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	e2e.Eventually(t, 30*time.Second, "the incidents investigating", func() error {
		for _, id := range ids {
			if s := status(t, id); s.State != api.StateInvestigating {
				return fmt.Errorf("%s is %s", id, s.State)
			}
		}
		return nil
	})
	decide(t, ids[0], api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": "false_positive"})
	decide(t, ids[1], api.DecisionClose, map[string]any{"by": "hanako", "note": "duplicate of a ticket"})
	decide(t, ids[2], api.DecisionAcknowledge, map[string]any{"by": "hanako"})

	// What each query must list follows from the incidents' own status queries.
	states := map[string]api.IncidentStatus{}
	e2e.Eventually(t, 30*time.Second, "the decisions applied", func() error {
		if s := status(t, ids[0]); s.Verdict != api.VerdictFalsePositive {
			return fmt.Errorf("%s has verdict %q", ids[0], s.Verdict)
		}
		if s := status(t, ids[1]); s.ClosedAt.IsZero() {
			return fmt.Errorf("%s is %s, not closed", ids[1], s.State)
		}
		return nil
	})
	for _, id := range ids {
		states[id] = status(t, id)
	}
	listed := func(keep func(api.IncidentStatus) bool) int64 {
		n := int64(0)
		for _, s := range states {
			if keep(s) {
				n++
			}
		}
		return n
	}
	inQueue := func(s api.IncidentStatus) bool {
		return s.State == api.StateNew || s.State == api.StateInvestigating
	}
	open := func(s api.IncidentStatus) bool {
		return !slices.Contains([]string{api.StateResolved, api.StateSuppressed, api.StateMerged}, s.State)
	}
	ofPrefix := fmt.Sprintf(`WorkflowId STARTS_WITH "incident/acme/generic/%s-"`, prefix)
	for _, c := range []struct {
		query string
		want  int64
	}{
		{ofPrefix, 6},
		// The SOC's queue.
		{ofPrefix + ` AND XsocState IN ("new","investigating") AND ExecutionStatus="Running"`, listed(inQueue)},
		// The dashboard's open incidents.
		{ofPrefix + ` AND XsocState NOT IN ("resolved","suppressed","merged")`, listed(open)},
		{ofPrefix + ` AND XsocState = "resolved"`, listed(func(s api.IncidentStatus) bool { return s.State == api.StateResolved })},
		{ofPrefix + ` AND XsocState = "suppressed"`, listed(func(s api.IncidentStatus) bool { return s.State == api.StateSuppressed })},
		{ofPrefix + ` AND XsocVerdict = "false_positive"`, 1},
		{ofPrefix + ` AND XsocSeverity = "high" AND XsocSeverityRank >= 3 AND XsocSeverityRank < 4`, 6},
		{ofPrefix + ` AND XsocSLAState IN ("met","on_track","at_risk")`, 6},
		// A storm digest's link.
		{fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer="acme" AND StartTime >= %q AND %s`, since, ofPrefix), 6},
		{ofPrefix + ` AND XsocHost IN ("` + prefix + `-2","` + prefix + `-3")`, 2},
	} {
		e2e.Eventually(t, 20*time.Second, c.query, func() error {
			if n := count(t, c.query); n != c.want {
				return fmt.Errorf("%d listed, want %d", n, c.want)
			}
			return nil
		})
	}

	// The dashboard's figures come from the same queries, through either starter.
	for _, starter := range xsoc.StarterURLs {
		req, _ := http.NewRequest(http.MethodGet, starter+"/v1/sla/acme", nil)
		req.Header.Set("Authorization", "Bearer "+dashboardToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var view struct {
			Open struct {
				Counts    map[string]int `json:"counts"`
				Incidents []struct {
					WorkflowID string `json:"workflow_id"`
				} `json:"incidents"`
			} `json:"open"`
		}
		err = json.NewDecoder(resp.Body).Decode(&view)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s/v1/sla/acme: %d %v", starter, resp.StatusCode, err)
		}
		shown, counted := 0, 0
		for _, incident := range view.Open.Incidents {
			if slices.Contains(ids, incident.WorkflowID) {
				shown++
			}
		}
		for _, n := range view.Open.Counts {
			counted += n
		}
		if want := int(listed(open)); shown != want || counted < want {
			t.Errorf("%s's dashboard lists %d of the %d open incidents (open counts %v)", starter, shown, want, view.Open.Counts)
		}
	}
}
