package soc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"xsoc/integrations/cybereason/sim"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
	"xsoc/workflows/start"
)

// postMalop posts one Cybereason MalOp, in the vendor's own JSON, for one machine and
// answers its incident's workflow id.
func postMalop(t *testing.T, customer, guid, rootCause, machine string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"guid": guid, "displayName": rootCause, "severity": "High", "status": "Active",
		"detectionTypes": []string{"Known malware"}, "creationTime": time.Now().UnixMilli(),
		"machines": []map[string]any{{"guid": "m-" + machine, "displayName": machine}}})
	code, data, _ := e2e.Post(t, xsoc.StarterURL+"/v1/alerts/cybereason/"+customer, body, map[string]string{"Authorization": "Bearer " + webhookSecret})
	if code != http.StatusAccepted {
		t.Fatalf("posting MalOp %s: %d %s", guid, code, data)
	}
	var answer struct {
		Incidents []start.IncidentRef `json:"incidents"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || len(answer.Incidents) != 1 {
		t.Fatalf("answer %s: %v", data, err)
	}
	return answer.Incidents[0].WorkflowID
}

// A worm for one customer, on the real server: three hosts sharing a MalOp open a
// campaign, which (policy isolate_first) isolates them; the hosts whose alerts arrive
// after, many at once, are handed to the campaign by triage in batches, and each is
// isolated through Cybereason exactly once; every alert's incident closes as merged
// into the campaign at once, and the campaign counts every member.
// worm posts a worm for soylent on the real server: first hosts sharing a MalOp open a
// campaign, which it waits to see isolate them, then joining hosts' alerts at once. It
// answers the campaign, the hosts, their sensors' pylumIds and the alerts' incidents.
func worm(t *testing.T, first, joining int) (campaign string, hosts []string, pylums map[string]string, ids []string) {
	t.Helper()
	stamp := time.Now().UnixNano() % 1_000_000
	rootCause := fmt.Sprintf("wormy-%d.exe", stamp)
	hosts = make([]string, first+joining)
	pylums = map[string]string{}
	for i := range hosts {
		hosts[i] = fmt.Sprintf("worm-%d-%02d", stamp, i)
		pylum, err := xsoc.Cybereason.AddSensor(sim.Sensor{Name: hosts[i]})
		if err != nil {
			t.Fatal(err)
		}
		pylums[hosts[i]] = pylum
	}
	ids = make([]string, len(hosts))
	for i := range first {
		ids[i] = postMalop(t, "soylent", fmt.Sprintf("W-%d-%d", stamp, i), rootCause, hosts[i])
	}
	eventually(t, 60*time.Second, "the third host opens a campaign", func() error {
		s := status(t, ids[first-1])
		if s.State != api.StateMerged || s.Parent == "" {
			return fmt.Errorf("the third alert is %s", s.State)
		}
		campaign = s.Parent
		return nil
	})
	eventually(t, 60*time.Second, "the campaign isolates its first hosts", func() error {
		for _, h := range hosts[:first] {
			if !xsoc.Cybereason.IsIsolated(h) {
				return fmt.Errorf("%s is not isolated; the campaign is %s", h, status(t, campaign).State)
			}
		}
		return nil
	})
	concurrently(joining, 16, func(i int) {
		n := first + i
		ids[n] = postMalop(t, "soylent", fmt.Sprintf("W-%d-%d", stamp, n), rootCause, hosts[n])
	})
	return campaign, hosts, pylums, ids
}

func TestWormJoinsItsCampaignAndEveryJoiningHostIsIsolatedOnce(t *testing.T) {
	const first, joining = 3, 60
	campaign, hosts, pylums, ids := worm(t, first, joining)

	eventually(t, 90*time.Second, "every joining host isolated", func() error {
		var waiting []string
		for _, h := range hosts[first:] {
			if !xsoc.Cybereason.IsIsolated(h) {
				waiting = append(waiting, h)
			}
		}
		if len(waiting) > 0 {
			return fmt.Errorf("%d hosts not isolated yet, e.g. %s", len(waiting), waiting[0])
		}
		return nil
	})
	for _, id := range ids[first:] {
		waitClosed(t, id)
		if s := status(t, id); s.State != api.StateMerged || s.Parent != campaign {
			t.Errorf("%s is %s into %q, not merged into the campaign %s", id, s.State, s.Parent, campaign)
		}
	}
	isolations, commands := map[string]int{}, 0
	for _, call := range xsoc.Cybereason.Calls() {
		if !strings.HasSuffix(call.Path, "/commands/isolate") {
			continue
		}
		commands++
		for h, pylum := range pylums {
			if strings.Contains(call.Body, pylum) {
				isolations[h]++
			}
		}
	}
	// The joining hosts go to the vendor in batches: fewer commands than hosts.
	t.Logf("%d hosts isolated by %d isolate commands", len(hosts), commands)
	if commands >= len(hosts) {
		t.Errorf("%d hosts took %d isolate commands: the joining hosts were not batched", len(hosts), commands)
	}
	for _, h := range hosts {
		if isolations[h] != 1 {
			t.Errorf("%s was isolated by %d commands, not 1", h, isolations[h])
		}
	}
	eventually(t, 30*time.Second, "the campaign counts every member", func() error {
		s := status(t, campaign)
		if s.JoinedCount < len(hosts)-1 {
			return fmt.Errorf("the campaign counts %d members", s.JoinedCount)
		}
		return nil
	})
	if n := count(t, fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer="soylent" AND XsocParent=%q`, campaign)); n != int64(len(hosts)) {
		t.Errorf("visibility lists %d members of the campaign, not %d", n, len(hosts))
	}
}
