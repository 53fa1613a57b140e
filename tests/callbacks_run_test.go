package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"xsoc/identity"
	slacksim "xsoc/integrations/slack/sim"
	twiliosim "xsoc/integrations/twilio/sim"
	"xsoc/workflows/api"
)

// A later version of a closed incident's alert re-opens it: a new run under the same
// workflow id. The pages of the first run are still out there — a call someone picks
// up late, a Slack message further up the channel — and their keypress or button must
// not decide for the re-opened incident: they are answered "re-opened, decide in the
// new one" and change nothing. The new run's own pages decide as always.
//
// Not parallel: it sets how the simulated CSO answers calls.
func TestCallbacksOfAnEarlierRunDoNotDecideForTheReopenedIncident(t *testing.T) {
	xsoc.Twilio.SetBehavior(cso, twiliosim.NoAnswer)
	stamp := time.Now().UnixNano()
	cases := []struct {
		name, severity string
		// pageOf waits for the page a run of the incident sent and answers what
		// identifies it; decide acts on it and answers what the person hears or reads.
		pageOf            func(t *testing.T, id, run string) string
		decide            func(t *testing.T, page string) string
		accepted, by, via string
	}{
		{"phone keypress", "emergency", func(t *testing.T, id, run string) string { return callOfRun(t, id, run).SID },
			pressOne, "Acknowledged", "CSO", identity.ViaCall}, // proven by the call the chain placed
		{"Slack button", "critical", func(t *testing.T, id, run string) string { return slackPageOfRun(t, id, run).TS },
			clickAcknowledge, "acknowledge by hanako", "hanako", "slack"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, first, second := reopened(t, fmt.Sprintf("reopen-%d-%d", i, stamp), tc.severity, fmt.Sprintf("fs-reopen%d", i), tc.pageOf)
			if answer := tc.decide(t, first); !strings.Contains(answer, "re-opened") {
				t.Fatalf("the first run's page was answered %q, want it to say the incident was re-opened", answer)
			}
			if s := incidentStatus(t, id); s.Acknowledged != nil || s.Decisions != 0 {
				t.Fatalf("the first run's page decided for the re-opened incident: acknowledged %+v, %d decisions", s.Acknowledged, s.Decisions)
			}
			if answer := tc.decide(t, second); !strings.Contains(answer, tc.accepted) {
				t.Fatalf("the new run's page was answered %q", answer)
			}
			if s := incidentStatus(t, id); s.Acknowledged == nil || s.Acknowledged.By != tc.by || s.Acknowledged.Via != tc.via {
				t.Fatalf("the new run's page: acknowledged %+v, want by %s via %s", s.Acknowledged, tc.by, tc.via)
			}
			mustDecide(t, id, api.DecisionClose, map[string]any{"by": "hanako", "note": "recurrence handled"})
		})
	}
}

// reopened posts an alert, waits for its page (pageOf answers what identifies it),
// closes the incident, posts a later version of the alert (a new run) and waits for
// that run's page; it answers the workflow id and the two pages.
func reopened(t *testing.T, alertID, severity, host string, pageOf func(t *testing.T, id, run string) string) (string, string, string) {
	t.Helper()
	body := genericAlert(alertID, severity, host)
	id, run1 := postForRun(t, body)
	first := pageOf(t, id, run1)
	mustDecide(t, id, api.DecisionClose, map[string]any{"by": "hanako", "note": "first run handled"})
	waitClosed(t, id)
	later := bytes.Replace(body, []byte("2026-11-27T03:12:00Z"), []byte("2026-11-28T09:00:00Z"), 1)
	id2, run2 := postForRun(t, later)
	if id2 != id || run2 == run1 {
		t.Fatalf("the later version started %s run %s, want a new run of %s", id2, run2, id)
	}
	return id, first, pageOf(t, id, run2)
}

// postForRun posts an alert that starts a run and answers its workflow and run ids.
func postForRun(t *testing.T, body []byte) (string, string) {
	t.Helper()
	code, data, _ := post(t, "/v1/alerts/generic/acme", body)
	answer := decode[intakeAnswer](t, data)
	if code != http.StatusAccepted || len(answer.Incidents) != 1 {
		t.Fatalf("posting: %d %s", code, data)
	}
	return answer.Incidents[0].WorkflowID, answer.Incidents[0].RunID
}

// callOfRun waits for the call a run of the incident placed: its page key names the
// incident's incarnation (workflow id # first run id).
func callOfRun(t *testing.T, id, run string) twiliosim.Call {
	t.Helper()
	var found twiliosim.Call
	eventually(t, 20*time.Second, "a call of run "+run, func() error {
		for _, call := range xsoc.Twilio.Calls() {
			if strings.Contains(call.StatusCallback, strings.ReplaceAll(id, "/", "%2F")+"%23"+run) {
				found = call
				return nil
			}
		}
		return fmt.Errorf("%d calls, none of it", len(xsoc.Twilio.Calls()))
	})
	return found
}

// slackPageOfRun waits for the Slack page a run of the incident posted.
func slackPageOfRun(t *testing.T, id, run string) slacksim.Message {
	t.Helper()
	var found slacksim.Message
	eventually(t, 20*time.Second, "a Slack page of run "+run, func() error {
		for _, m := range xsoc.Slack.Messages() {
			if strings.Contains(string(m.Blocks), id+"#"+run) {
				found = m
				return nil
			}
		}
		return fmt.Errorf("no Slack page of it")
	})
	return found
}

// pressOne plays the person on the call pressing 1 and answers what the call says.
func pressOne(t *testing.T, callSID string) string {
	t.Helper()
	resp, err := xsoc.Twilio.PressDigit(context.Background(), callSID, "1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	said, _ := io.ReadAll(resp.Body)
	return string(said)
}

// clickAcknowledge plays hanako clicking Acknowledge on the page and answers the reply she reads.
func clickAcknowledge(t *testing.T, ts string) string {
	t.Helper()
	page := slackMessage(t, ts)
	resp, err := xsoc.Slack.Click(context.Background(), xsoc.StarterURL+"/v1/callbacks/slack", page.Channel, ts, "acknowledge", "hanako")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reply struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("click answered %d: %v", resp.StatusCode, err)
	}
	return reply.Text
}

func slackMessage(t *testing.T, ts string) slacksim.Message {
	t.Helper()
	for _, m := range xsoc.Slack.Messages() {
		if m.TS == ts {
			return m
		}
	}
	t.Fatalf("no Slack message %s", ts)
	return slacksim.Message{}
}
