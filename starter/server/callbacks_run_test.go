package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"xsoc/config"
	"xsoc/integrations/slack"
	slacksim "xsoc/integrations/slack/sim"
)

// A re-opened incident is a new run under the same workflow id. Callbacks carry the
// run (the first run id of the incarnation) that paged: the decision goes to that
// incarnation only, and one of an earlier incarnation is answered "re-opened" and
// changes nothing.

const (
	twilioToken = "twilioauthtoken1"
	publicURL   = "https://xsoc.example"
	incidentID  = "incident/acme/generic/a1"
)

func keypress(t *testing.T, run, lang string) (string, *decisionRecorder) {
	t.Helper()
	srv, temporal := callbackServer(t, config.Settings{TwilioAuthToken: twilioToken, PublicURL: publicURL})
	temporal.firstRun = "run-2"
	query := url.Values{"incident": {incidentID}, "key": {incidentID + "#" + run + "/customer/page/0/critical/r0/s1/call"},
		"to": {"+81300000001"}, "name": {"CSO"}, "lang": {lang}, "run": {run}}
	code, body := postTwilio(t, srv.URL, twilioToken, publicURL, query, url.Values{"CallSid": {"CA1"}, "Digits": {"1"}, "CallStatus": {"in-progress"}, "To": {"+81300000001"}})
	if code != http.StatusOK {
		t.Fatalf("answered %d: %s", code, body)
	}
	return body, temporal
}

func TestPhoneKeypressOfAnEarlierRunIsRefusedAndSaysTheIncidentWasReopened(t *testing.T) {
	for lang, want := range map[string]string{"en": "re-opened", "ja": "再オープン"} {
		body, temporal := keypress(t, "run-1", lang)
		if !strings.Contains(body, want) {
			t.Errorf("%s: the call says %s, want it to say the incident was re-opened", lang, body)
		}
		if len(temporal.updates) != 0 || temporal.refused != 1 {
			t.Errorf("%s: %d decisions taken, %d refused; want the one refused", lang, len(temporal.updates), temporal.refused)
		}
	}
}

func TestPhoneKeypressOfTheCurrentRunAcknowledgesThatRun(t *testing.T) {
	body, temporal := keypress(t, "run-2", "en")
	update, _, _ := temporal.only(t)
	if !strings.Contains(body, "Acknowledged") || update.FirstExecutionRunID != "run-2" {
		t.Errorf("answered %s; update bound to %q, want run-2", body, update.FirstExecutionRunID)
	}
}

func TestCallOutcomeOfAnEarlierRunIsNotSignalled(t *testing.T) {
	srv, temporal := callbackServer(t, config.Settings{TwilioAuthToken: twilioToken, PublicURL: publicURL})
	temporal.firstRun = "run-2"
	for _, run := range []string{"run-1", "run-2", ""} {
		query := url.Values{"incident": {incidentID}, "key": {incidentID + "#" + run + "/soc/page/0/critical/r0/s1/call"}, "to": {"+81300009999"}, "run": {run}}
		if code, body := postTwilio(t, srv.URL, twilioToken, publicURL, query, url.Values{"CallSid": {"CA1"}, "CallStatus": {"no-answer"}}); code != http.StatusNoContent {
			t.Fatalf("run %q: answered %d %s", run, code, body)
		}
	}
	if len(temporal.signals) != 2 || strings.Contains(temporal.signals[0].Key, "run-1") {
		t.Errorf("signalled %+v, want the outcomes of run-2 and of a page without a run", temporal.signals)
	}
}

func TestSlackButtonOfAnEarlierRunIsRefusedAndTellsTheUserWhy(t *testing.T) {
	slackSim, slackClient := slackAPI(t)
	post := func(run string) string {
		_, ts, err := slackClient.Post(context.Background(), slack.IncidentMessage{
			Channel: "#soc-urgent", IncidentID: incidentID, Run: run, Title: "page", Key: incidentID + "#" + run + "/soc/page/0/critical/r0/s0/slack",
			Buttons: []slack.Button{{Decision: slack.DecisionAcknowledge, Label: "Acknowledge"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	earlier, current := post("run-1"), post("run-2")
	srv, temporal := callbackServer(t, config.Settings{SlackSigningSecret: slackSecret})
	temporal.firstRun = "run-2"

	reply := click(t, slackSim, srv.URL, earlier)
	if !strings.Contains(reply, "re-opened") || !strings.Contains(reply, "nothing was done") {
		t.Errorf("the earlier run's button answered %q, want it to say the incident was re-opened", reply)
	}
	if len(temporal.updates) != 0 || temporal.refused != 1 {
		t.Fatalf("%d decisions taken, %d refused; want the one refused", len(temporal.updates), temporal.refused)
	}
	click(t, slackSim, srv.URL, current)
	update, d, _ := temporal.only(t)
	if update.FirstExecutionRunID != "run-2" || d.By != "hanako" {
		t.Errorf("the current run's button: update bound to %q by %q, want run-2 by hanako", update.FirstExecutionRunID, d.By)
	}
}

// click plays hanako clicking Acknowledge on the message and answers the reply she reads.
func click(t *testing.T, slackSim *slacksim.Server, serverURL, ts string) string {
	t.Helper()
	resp, err := slackSim.Click(context.Background(), serverURL+"/v1/callbacks/slack", "#soc-urgent", ts, slack.DecisionAcknowledge, "hanako")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var reply struct {
		Text string `json:"text"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &reply) != nil {
		t.Fatalf("click answered %d %s", resp.StatusCode, body)
	}
	return reply.Text
}
