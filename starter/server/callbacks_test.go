package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"xsoc/config"
	"xsoc/identity"
	"xsoc/integrations/slack"
	slacksim "xsoc/integrations/slack/sim"
	twiliosim "xsoc/integrations/twilio/sim"
	"xsoc/workflows/api"
)

// decisionRecorder is the Temporal client as the callbacks use it: it takes every
// decision Update and remembers it. Other client calls are not part of this test.
// firstRun, when set, is the first run of the incident's current incarnation: an
// Update bound to another is refused as the server refuses it.
type decisionRecorder struct {
	client.Client
	mu       sync.Mutex
	updates  []client.UpdateWorkflowOptions
	firstRun string
	refused  int
	signals  []api.CallOutcome
}

func (r *decisionRecorder) UpdateWorkflow(_ context.Context, options client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if options.FirstExecutionRunID != "" && options.FirstExecutionRunID != r.firstRun {
		r.refused++
		return nil, serviceerror.NewNotFound("workflow execution not found")
	}
	r.updates = append(r.updates, options)
	return acceptedUpdate{options}, nil
}

func (r *decisionRecorder) DescribeWorkflow(_ context.Context, workflowID, _ string) (*client.WorkflowExecutionDescription, error) {
	return &client.WorkflowExecutionDescription{RawResponse: &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
		Execution:  &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: r.firstRun + "-continued"},
		FirstRunId: r.firstRun, Status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
	}}}, nil
}

func (r *decisionRecorder) SignalWorkflow(_ context.Context, _, _, name string, arg any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if outcome, ok := arg.(api.CallOutcome); ok && name == api.SignalCallOutcome {
		r.signals = append(r.signals, outcome)
	}
	return nil
}

// only answers the one decision taken, and the principal it was stamped with.
func (r *decisionRecorder) only(t *testing.T) (client.UpdateWorkflowOptions, api.Decision, identity.Principal) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.updates) != 1 || len(r.updates[0].Args) != 1 {
		t.Fatalf("updates = %+v, want one decision", r.updates)
	}
	raw, ok := r.updates[0].Args[0].(converter.RawValue)
	if !ok {
		t.Fatalf("update argument is %T, want a stamped payload", r.updates[0].Args[0])
	}
	var d api.Decision
	var by identity.Principal
	if err := json.Unmarshal(raw.Payload().GetData(), &d); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw.Payload().GetMetadata()[identity.MetadataKey], &by); err != nil {
		t.Fatalf("the decision is not stamped: %v", err)
	}
	return r.updates[0], d, by
}

type acceptedUpdate struct{ options client.UpdateWorkflowOptions }

func (u acceptedUpdate) WorkflowID() string { return u.options.WorkflowID }
func (u acceptedUpdate) RunID() string      { return "" }
func (u acceptedUpdate) UpdateID() string   { return "u1" }
func (u acceptedUpdate) Get(_ context.Context, valuePtr any) error {
	if result, ok := valuePtr.(*api.DecisionResult); ok {
		*result = api.DecisionResult{State: "new", Message: "ok"}
	}
	return nil
}

// analysts is a customers file's people: hanako of the SOC, on Slack and on the phone,
// and yamada of acme, on Slack.
func analysts() *config.Customers {
	return &config.Customers{
		SOC:       &config.SOC{Analysts: []config.Analyst{{Name: "hanako", SlackUser: slacksim.UserID("hanako"), Phone: "+81300009999"}}},
		Customers: []config.Customer{{ID: "acme", Analysts: []config.Analyst{{Name: "yamada", SlackUser: slacksim.UserID("yamada")}}}, {ID: "globex"}},
	}
}

func callbackServer(t *testing.T, settings config.Settings) (*httptest.Server, *decisionRecorder) {
	t.Helper()
	temporal := &decisionRecorder{}
	process := config.Process{Customers: analysts(), Settings: settings, Temporal: config.Temporal{Namespace: "default"}}
	srv := httptest.NewServer(New(process, temporal, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	t.Cleanup(srv.Close)
	return srv, temporal
}

func TestPhoneKeypressAcknowledgesThePageItAnswers(t *testing.T) {
	const token = "twilioauthtoken1"
	publicURL := "https://xsoc.example"
	srv, temporal := callbackServer(t, config.Settings{TwilioAuthToken: token, PublicURL: publicURL})
	page := "incident/acme/generic/a1#run/page/customer/0/r0/s1/call"
	query := url.Values{"incident": {"incident/acme/generic/a1"}, "key": {page}, "to": {"+81300000001"}, "name": {"CSO"}, "lang": {"ja"}}
	form := url.Values{"CallSid": {"CA1"}, "Digits": {"1"}, "CallStatus": {"in-progress"}, "To": {"+81300000001"}, "From": {"+15005550006"}}
	code, body := postTwilio(t, srv.URL, token, publicURL, query, form)
	if code != http.StatusOK || !strings.Contains(body, "受領しました") {
		t.Fatalf("answered %d:\n%s", code, body)
	}
	update, d, by := temporal.only(t)
	if update.WorkflowID != "incident/acme/generic/a1" || update.UpdateName != api.DecisionAcknowledge ||
		d.By != "CSO" || d.Via != "phone" || d.Page != page || update.FirstExecutionRunID != "" {
		t.Errorf("update %s %s with %+v, want acknowledge by CSO via phone for page %s", update.WorkflowID, update.UpdateName, d, page)
	}
	if by.Name != "CSO" || by.Via != identity.ViaCall || by.Validate() != nil {
		t.Errorf("stamped %+v, want CSO (call)", by)
	}
}

// A keypress is stamped with the analyst the number belongs to; one on a call answered
// at another number than the chain dialled decides nothing and moves the chain on.
func TestPhoneKeypressIsTheNumbersPerson(t *testing.T) {
	const token = "twilioauthtoken1"
	publicURL := "https://xsoc.example"
	page := "incident/acme/generic/a1#run/page/soc/0/r0/s1/call"
	query := url.Values{"incident": {"incident/acme/generic/a1"}, "key": {page}, "to": {"+81300009999"}, "name": {"SOC on-call"}, "lang": {"en"}}

	srv, temporal := callbackServer(t, config.Settings{TwilioAuthToken: token, PublicURL: publicURL})
	form := url.Values{"CallSid": {"CA1"}, "Digits": {"1"}, "CallStatus": {"in-progress"}, "To": {"+81300009999"}}
	if code, body := postTwilio(t, srv.URL, token, publicURL, query, form); code != http.StatusOK || !strings.Contains(body, "Acknowledged") {
		t.Fatalf("answered %d: %s", code, body)
	}
	if _, d, by := temporal.only(t); d.By != "hanako" || by.Name != "hanako" || by.Via != identity.ViaCall {
		t.Errorf("decided by %q stamped %+v, want hanako (call)", d.By, by)
	}

	srv, temporal = callbackServer(t, config.Settings{TwilioAuthToken: token, PublicURL: publicURL})
	for _, answeredAt := range []string{"+81399999999", ""} {
		form := url.Values{"CallSid": {"CA2"}, "Digits": {"1"}, "CallStatus": {"in-progress"}, "To": {answeredAt}}
		code, body := postTwilio(t, srv.URL, token, publicURL, query, form)
		if code != http.StatusOK || !strings.Contains(body, "not placed to this number") {
			t.Fatalf("answered at %q: %d %s", answeredAt, code, body)
		}
	}
	if len(temporal.updates) != 0 || len(temporal.signals) != 2 || !strings.Contains(temporal.signals[0].Status, "did not dial") {
		t.Errorf("decisions %+v, call outcomes %+v; want none, and the chain moved on", temporal.updates, temporal.signals)
	}
}

const slackSecret = "slack-signing-secret"

// slackAPI is the Slack simulator serving the Web API, signing clicks with slackSecret,
// and a client of it.
func slackAPI(t *testing.T) (*slacksim.Server, *slack.Client) {
	t.Helper()
	slackSim := slacksim.New(slackSecret)
	api := httptest.NewServer(slackSim)
	t.Cleanup(api.Close)
	slackSim.BaseURL = api.URL
	return slackSim, slack.New("xoxb-test", api.URL+"/api/")
}

func TestSlackButtonDecidesForThePageItWasOn(t *testing.T) {
	slackSim, slackClient := slackAPI(t)
	page := "incident/acme/generic/a1#run/page/soc/0/r0/s0/slack"
	_, ts, err := slackClient.Post(context.Background(), slack.IncidentMessage{
		Channel: "#soc-triage", IncidentID: "incident/acme/generic/a1", Title: "page", Key: page,
		Buttons: []slack.Button{{Decision: slack.DecisionAcknowledge, Label: "Acknowledge"}, {Decision: slack.DecisionFalsePositive, Label: "False positive"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, temporal := callbackServer(t, config.Settings{SlackSigningSecret: slackSecret})
	resp, err := slackSim.Click(context.Background(), srv.URL+"/v1/callbacks/slack", "#soc-triage", ts, slack.DecisionFalsePositive, "hanako")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("click answered %d", resp.StatusCode)
	}
	update, d, by := temporal.only(t)
	if update.UpdateName != api.DecisionVerdict || d.Verdict != api.VerdictFalsePositive ||
		d.By != "hanako" || d.Via != "slack" || d.Page != page || update.FirstExecutionRunID != "" {
		t.Errorf("update %s with %+v, want a false_positive verdict by hanako via slack for page %s", update.UpdateName, d, page)
	}
	if by.Name != "hanako" || by.Via != identity.ViaSlack || by.Validate() != nil {
		t.Errorf("stamped %+v, want hanako (slack)", by)
	}
}

// Only the people of the customers file decide from Slack: an unmapped user is told
// why and nothing reaches the incident; a customer's own person decides on that
// customer's incidents only; the display name counts for nothing.
func TestSlackButtonOfAnUnmappedUserIsRefused(t *testing.T) {
	slackSim, slackClient := slackAPI(t)
	post := func(incident string) string {
		_, ts, err := slackClient.Post(context.Background(), slack.IncidentMessage{
			Channel: "#acme-soc", IncidentID: incident, Title: "page", Key: incident + "#run/page/customer/0/r0/s0/slack",
			Buttons: []slack.Button{{Decision: slack.DecisionAcknowledge, Label: "Acknowledge"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	acme, globex := post("incident/acme/generic/a1"), post("incident/globex/generic/g1")
	srv, temporal := callbackServer(t, config.Settings{SlackSigningSecret: slackSecret})
	for _, tc := range []struct{ user, ts, want string }{
		{"mallory", acme, "is not one of the analysts"},
		{"yamada", globex, "is not one of the analysts"},
	} {
		resp, err := slackSim.Click(context.Background(), srv.URL+"/v1/callbacks/slack", "#acme-soc", tc.ts, slack.DecisionAcknowledge, tc.user)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), tc.want) || !strings.Contains(string(body), "nothing was done") {
			t.Errorf("%s's click answered %d %s", tc.user, resp.StatusCode, body)
		}
	}
	if len(temporal.updates) != 0 {
		t.Fatalf("unmapped clicks reached the incident: %+v", temporal.updates)
	}
	resp, err := slackSim.Click(context.Background(), srv.URL+"/v1/callbacks/slack", "#acme-soc", acme, slack.DecisionAcknowledge, "yamada")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, d, by := temporal.only(t); d.By != "yamada" || by.Name != "yamada" || by.Via != identity.ViaSlack {
		t.Errorf("yamada's click on acme's page decided by %q stamped %+v", d.By, by)
	}
}

// postTwilio posts a Twilio callback signed as Twilio signs it (the public URL with
// its query, and the form) and answers the status and body.
func postTwilio(t *testing.T, serverURL, token, publicURL string, query, form url.Values) (int, string) {
	t.Helper()
	path := "/v1/callbacks/twilio?" + query.Encode()
	req, err := http.NewRequest(http.MethodPost, serverURL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twiliosim.Signature(token, publicURL+path, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
