package soc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"

	"xsoc/internal/codec"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
	"xsoc/workflows/start"
)

// stormAnswer is what intake answered one POST of the storm below.
type stormAnswer struct {
	code      int
	incidents []start.IncidentRef
	body      string
}

// A storm of 1,860 alerts for one customer at concurrency 16, with 40 re-deliveries in
// it: 20 of alerts a suppression rule closes in their incident's first workflow task
// (the re-delivery races that close), 20 of alerts whose incidents wait behind the
// storm for the worker. Every re-delivery reached its incident, so every one is
// answered 200 duplicate with its incident's id; no answer is a 5xx (the sender would
// retry an alert that was never at risk); every alert has its incident.
//
// Not parallel: it runs alone, and waits for the worker to work the storm off, so
// that the other tests of the package do not share the machine with it.
func TestRedeliveriesInAStormAreAnsweredDuplicateNeverAnError(t *testing.T) {
	const (
		customer    = "wayne"
		unique      = 1860
		redelivered = 40
		concurrency = 16
	)
	addRule(t, customer, map[string]any{"by": "hanako", "approved_by": "sato", "reason": "backup agent heartbeat",
		"expires": time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339),
		"match":   map[string]any{"detection": "Backup agent*", "hosts": []string{"bk-*"}}})
	// A rule matches alerts received from at most 5 s after approve_rule returned.
	time.Sleep(6 * time.Second)

	stamp := time.Now().UnixNano()
	alerts := make([]map[string]any, unique)
	suppressible := func(i int) bool { return i%2 == 0 }
	for i := range alerts {
		if suppressible(i) {
			alerts[i] = alert(fmt.Sprintf("bk-%d-%d", stamp, i), "Backup agent heartbeat", "high", fmt.Sprintf("bk-%d", i))
		} else {
			alerts[i] = alert(fmt.Sprintf("wy-%d-%d", stamp, i), fmt.Sprintf("Odd behaviour %d", i), "high", fmt.Sprintf("wy-%d", i))
		}
	}
	// job j posts alerts[alert]; a re-delivery waits for its first delivery's answer,
	// and follows it closely (1 to 22 posts later) so that it meets the incident
	// before, during or just after its first workflow task.
	type job struct {
		alert int
		again bool
	}
	var jobs []job
	var again []int          // the alerts delivered twice
	after := map[int][]int{} // alert i → the re-deliveries posted right after it
	for k := range redelivered {
		first := 40 + k*46 + k%2
		again = append(again, first)
		after[first+1+(k%8)*3] = append(after[first+1+(k%8)*3], first)
	}
	for i := range unique {
		jobs = append(jobs, job{alert: i})
		for _, first := range after[i] {
			jobs = append(jobs, job{alert: first, again: true})
		}
	}

	answered := make([]chan struct{}, unique)
	for i := range answered {
		answered[i] = make(chan struct{})
	}
	answers := make([]stormAnswer, len(jobs))
	started := time.Now()
	concurrently(len(jobs), concurrency, func(n int) {
		j := jobs[n]
		if j.again {
			<-answered[j.alert]
		}
		answers[n] = postForAnswer(t, customer, alerts[j.alert])
		if !j.again {
			close(answered[j.alert])
		}
	})
	t.Logf("%d posts (%d re-deliveries) answered in %s", len(jobs), redelivered, time.Since(started).Round(time.Millisecond))

	var problems []string
	serverErrors := 0
	for n, j := range jobs {
		a := answers[n]
		want := api.IncidentWorkflowID(customer, "generic", alerts[j.alert]["id"].(string))
		if a.code >= 500 {
			serverErrors++
		}
		switch {
		case j.again && (a.code != http.StatusOK || len(a.incidents) != 1 || !a.incidents[0].Duplicate || a.incidents[0].WorkflowID != want):
			problems = append(problems, fmt.Sprintf("re-delivery of %s (suppressible %v): %d %s", want, suppressible(j.alert), a.code, a.body))
		case !j.again && (a.code != http.StatusAccepted || len(a.incidents) != 1 || a.incidents[0].Duplicate || a.incidents[0].WorkflowID != want):
			problems = append(problems, fmt.Sprintf("first delivery of %s: %d %s", want, a.code, a.body))
		}
	}
	if len(problems) > 0 {
		t.Errorf("%d answers of %d were 5xx; %d answers wrong:\n%s", serverErrors, len(jobs), len(problems), strings.Join(problems, "\n"))
	}

	eventually(t, 60*time.Second, "every alert has its incident", func() error {
		if n := count(t, fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer=%q`, customer)); n != unique {
			return fmt.Errorf("%d incidents for %d alerts", n, unique)
		}
		return nil
	})
	eventually(t, 300*time.Second, "the storm worked off: every suppressible alert suppressed", func() error {
		if n := count(t, fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer=%q AND XsocState="suppressed"`, customer)); n != unique/2 {
			return fmt.Errorf("%d suppressed of %d", n, unique/2)
		}
		return nil
	})
	// The incidents that stay open took their re-delivery: it was handed over, not
	// merely answered.
	for _, first := range again {
		if suppressible(first) {
			continue
		}
		id := api.IncidentWorkflowID(customer, "generic", alerts[first]["id"].(string))
		eventually(t, 60*time.Second, id+" took its re-delivery", func() error {
			if s := status(t, id); s.Deliveries != 2 {
				return fmt.Errorf("%d deliveries, state %s", s.Deliveries, s.State)
			}
			return nil
		})
	}
}

// postForAnswer posts one generic alert and answers what intake said, whatever it was.
func postForAnswer(t *testing.T, customer string, a map[string]any) stormAnswer {
	t.Helper()
	body, _ := json.Marshal(a)
	code, data, _ := e2e.Post(t, xsoc.StarterURL+"/v1/alerts/generic/"+customer, body, map[string]string{"Authorization": "Bearer " + webhookSecret})
	answer := stormAnswer{code: code, body: string(data)}
	var decoded struct {
		Incidents []start.IncidentRef `json:"incidents"`
	}
	if err := json.Unmarshal(data, &decoded); err == nil {
		answer.incidents = decoded.Incidents
	}
	return answer
}

// A vendor updates an alert while its incident is open (Severity raised, a host
// added), and sends that version again after the incident closed: the incident took
// that version, so it is a duplicate, not a re-opening. A version after it re-opens
// the incident in a new run, linked to the closed one.
func TestVersionTakenWhileOpenIsADuplicateAfterClose(t *testing.T) {
	t.Parallel()
	id := fmt.Sprintf("ver-%d", time.Now().UnixNano())
	first := alert(id, "Suspicious service install", "high", "hooli-ver-1")
	later := alert(id, "Suspicious service install", "critical", "hooli-ver-1")
	later["hosts"] = []map[string]string{{"name": "hooli-ver-1"}, {"name": "hooli-ver-2"}}
	run := func(a stormAnswer) string {
		if len(a.incidents) != 1 {
			t.Fatalf("answer %d %s", a.code, a.body)
		}
		return a.incidents[0].RunID
	}
	opened := postForAnswer(t, "hooli", first)
	workflowID, firstRun := api.IncidentWorkflowID("hooli", "generic", id), run(opened)
	if opened.code != http.StatusAccepted {
		t.Fatalf("first delivery: %d %s", opened.code, opened.body)
	}
	if a := postForAnswer(t, "hooli", later); a.code != http.StatusOK || !a.incidents[0].Duplicate || run(a) != firstRun {
		t.Fatalf("the later version while open: %d %s, want 200 duplicate of run %s", a.code, a.body, firstRun)
	}
	eventually(t, 60*time.Second, "the incident took the later version", func() error {
		if s := status(t, workflowID); s.Deliveries != 2 || s.Severity != "critical" {
			return fmt.Errorf("%d deliveries, severity %s", s.Deliveries, s.Severity)
		}
		return nil
	})
	mustDecide(t, workflowID, api.DecisionVerdict, map[string]any{"by": "hanako", "verdict": "false_positive", "note": "installer of the IT team"})
	waitClosed(t, workflowID)
	described, err := e2e.Describe(context.Background(), xsoc.Temporal, workflowID, "")
	if err != nil {
		t.Fatal(err)
	}
	memo := described.GetWorkflowExecutionInfo().GetMemo().GetFields()["fingerprint"]
	if encoding := string(memo.GetMetadata()[converter.MetadataEncoding]); encoding != codec.MetadataEncodingEncrypted {
		t.Errorf("the memo the incident upserted is encoded %q, not by the codec", encoding)
	}

	if a := postForAnswer(t, "hooli", later); a.code != http.StatusOK || !a.incidents[0].Duplicate || run(a) != firstRun {
		t.Fatalf("the version the incident took, after close: %d %s, want 200 duplicate of run %s", a.code, a.body, firstRun)
	}
	newer := alert(id, "Suspicious service install", "critical", "hooli-ver-1")
	newer["observed_at"] = time.Now().UTC().Format(time.RFC3339)
	a := postForAnswer(t, "hooli", newer)
	if a.code != http.StatusAccepted || a.incidents[0].Duplicate || run(a) == firstRun {
		t.Fatalf("a newer version after close: %d %s, want 202 and a new run", a.code, a.body)
	}
	if s := status(t, workflowID); s.PreviousRunID != firstRun {
		t.Fatalf("the new run is linked to %q, want %s", s.PreviousRunID, firstRun)
	}
	mustDecide(t, workflowID, api.DecisionClose, map[string]any{"by": "hanako", "note": "recurrence handled"})
}
