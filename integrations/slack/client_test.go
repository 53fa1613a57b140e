package slack_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"xsoc/integrations"
	"xsoc/integrations/slack"
	"xsoc/integrations/slack/sim"
)

const (
	testToken  = "xoxb-test-token"
	testSecret = "8f742231b10e8888abcd99yyyzzz85a5"
)

func newPair(t *testing.T) (*sim.Server, *slack.Client) {
	t.Helper()
	s := sim.New(testSecret)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.BaseURL = srv.URL
	return s, slack.New(testToken, srv.URL+"/api/")
}

func incident(key string) slack.IncidentMessage {
	return slack.IncidentMessage{
		Channel:    "#acme-soc",
		IncidentID: "incident/acme/cybereason/11.2718281828",
		Title:      "[critical] Credential dumping (mimikatz) on osk-pc-17",
		Text:       "Detected 03:12 UTC by Cybereason.\nUser ACME\\taro.",
		Buttons: []slack.Button{
			{Decision: slack.DecisionAcknowledge, Label: "Acknowledge"},
			{Decision: slack.DecisionTruePositive, Label: "True positive"},
			{Decision: slack.DecisionFalsePositive, Label: "False positive"},
			{Decision: slack.DecisionContain, Label: "Isolate host"},
		},
		Key: key,
	}
}

type wireBlock struct {
	Type    string `json:"type"`
	BlockID string `json:"block_id"`
	Text    struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"text"`
	Elements []struct {
		ActionID string `json:"action_id"`
		Value    string `json:"value"`
		Style    string `json:"style"`
	} `json:"elements"`
}

func blocksOf(t *testing.T, m sim.Message) []wireBlock {
	t.Helper()
	var blocks []wireBlock
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatalf("blocks of %s: %v", m.TS, err)
	}
	return blocks
}

func TestPostSendsBlockKitMessageOnce(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	ctx := context.Background()
	m := incident("incident/acme/cybereason/11.2718281828/slack-0/1")

	channel, ts, err := c.Post(ctx, m)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	again, tsAgain, err := c.Post(ctx, m)
	if err != nil {
		t.Fatalf("second Post: %v", err)
	}
	if again != channel || tsAgain != ts {
		t.Errorf("second Post answered %s/%s, want the first message %s/%s", again, tsAgain, channel, ts)
	}
	if n := s.CountRequests("chat.postMessage"); n != 1 {
		t.Errorf("chat.postMessage called %d times, want 1", n)
	}
	messages := s.Messages()
	if len(messages) != 1 {
		t.Fatalf("%d messages posted, want 1", len(messages))
	}
	got := messages[0]
	if got.ChannelName != "acme-soc" || got.Channel != channel {
		t.Errorf("posted in %s (%s), want acme-soc (%s)", got.ChannelName, got.Channel, channel)
	}
	if got.Metadata == nil || got.Metadata.EventType != slack.MetadataEventType ||
		got.Metadata.EventPayload["key"] != m.Key || got.Metadata.EventPayload["incident_id"] != m.IncidentID {
		t.Errorf("metadata = %+v, want event %s with key and incident", got.Metadata, slack.MetadataEventType)
	}
	blocks := blocksOf(t, got)
	if len(blocks) != 3 || blocks[0].Type != "header" || blocks[1].Type != "section" || blocks[2].Type != "actions" {
		t.Fatalf("blocks = %+v, want header, section, actions", blocks)
	}
	if blocks[0].Text.Text != m.Title {
		t.Errorf("header = %q, want %q", blocks[0].Text.Text, m.Title)
	}
	if len(blocks[2].Elements) != 4 {
		t.Fatalf("%d buttons, want 4", len(blocks[2].Elements))
	}
	for i, e := range blocks[2].Elements {
		var value struct{ Incident, Decision, Page string }
		if err := json.Unmarshal([]byte(e.Value), &value); err != nil {
			t.Fatalf("button %d value %q: %v", i, e.Value, err)
		}
		if value.Incident != m.IncidentID || value.Decision != m.Buttons[i].Decision || value.Page != m.Key {
			t.Errorf("button %d carries %+v, want incident %s decision %s page %s", i, value, m.IncidentID, m.Buttons[i].Decision, m.Key)
		}
	}
	if blocks[2].Elements[3].Style != "danger" {
		t.Errorf("contain button style = %q, want danger", blocks[2].Elements[3].Style)
	}
}

func TestPostAfterLostAnswerFindsEarlierMessage(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	ctx := context.Background()
	m := incident("k/lost-answer")
	s.FailNextAfterCommit("chat.postMessage", http.StatusBadGateway, 1)

	_, _, err := c.Post(ctx, m)
	var vendorErr *integrations.VendorError
	if !errors.As(err, &vendorErr) || !vendorErr.Retryable() {
		t.Fatalf("first Post error = %v, want a retryable VendorError", err)
	}
	_, ts, err := c.Post(ctx, m)
	if err != nil {
		t.Fatalf("retried Post: %v", err)
	}
	messages := s.Messages()
	if len(messages) != 1 || messages[0].TS != ts {
		t.Errorf("messages = %+v, want only the first one (ts %s)", messages, ts)
	}
}

func TestPostWithDifferentKeysPostsEach(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	ctx := context.Background()
	for _, key := range []string{"k/1", "k/2", "k/1"} {
		if _, _, err := c.Post(ctx, incident(key)); err != nil {
			t.Fatalf("Post %s: %v", key, err)
		}
	}
	if n := len(s.Messages()); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
}

func TestPostErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fail       func(*sim.Server)
		wantStatus int
		retryable  bool
		retryAfter time.Duration
		message    string
	}{
		{"rate limited", func(s *sim.Server) { s.FailNext("chat.postMessage", 429, 1, "7") }, 429, true, 7 * time.Second, "ratelimited"},
		{"rate limited until a date", func(s *sim.Server) {
			s.FailNext("chat.postMessage", 429, 1, time.Now().Add(time.Minute).UTC().Format(http.TimeFormat))
		}, 429, true, 50 * time.Second, "ratelimited"},
		{"server error", func(s *sim.Server) { s.FailNext("chat.postMessage", 503, 1, "") }, 503, true, 0, "internal_error"},
		{"refused with HTTP 4xx", func(s *sim.Server) { s.FailNext("chat.postMessage", 400, 1, "") }, 400, false, 0, "invalid_arguments"},
		{"channel not found", func(s *sim.Server) { s.FailNextError("chat.postMessage", "channel_not_found", 1) }, 404, false, 0, "channel_not_found"},
		{"not in channel", func(s *sim.Server) { s.FailNextError("chat.postMessage", "not_in_channel", 1) }, 403, false, 0, "not_in_channel"},
		{"revoked token", func(s *sim.Server) { s.RevokeToken(testToken) }, 401, false, 0, "token_revoked"},
		{"slack internal error", func(s *sim.Server) { s.FailNextError("chat.postMessage", "internal_error", 1) }, 503, true, 0, "internal_error"},
		{"history unavailable", func(s *sim.Server) { s.FailNext("conversations.history", 500, 1, "") }, 500, true, 0, "internal_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c := newPair(t)
			s.AddChannel("acme-soc")
			tt.fail(s)
			_, _, err := c.Post(context.Background(), incident("k/"+tt.name))
			var vendorErr *integrations.VendorError
			if !errors.As(err, &vendorErr) {
				t.Fatalf("error = %v, want *integrations.VendorError", err)
			}
			if vendorErr.Vendor != "slack" || vendorErr.StatusCode != tt.wantStatus || vendorErr.Retryable() != tt.retryable {
				t.Errorf("error = %+v (retryable %v), want status %d retryable %v", vendorErr, vendorErr.Retryable(), tt.wantStatus, tt.retryable)
			}
			if !strings.Contains(vendorErr.Message, tt.message) {
				t.Errorf("message = %q, want it to contain %q", vendorErr.Message, tt.message)
			}
			if vendorErr.RetryAfter < tt.retryAfter || vendorErr.RetryAfter > tt.retryAfter+10*time.Second {
				t.Errorf("RetryAfter = %s, want about %s", vendorErr.RetryAfter, tt.retryAfter)
			}
		})
	}
}

func TestPostWithoutChannelListingStillPosts(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	s.FailNextError("conversations.list", "missing_scope", 1)
	channel, _, err := c.Post(context.Background(), incident("k/no-scope"))
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if !strings.HasPrefix(channel, "C") || len(s.Messages()) != 1 {
		t.Errorf("posted in %q, %d messages; want one message in a channel id", channel, len(s.Messages()))
	}
	// The id learned from the answer makes the next retry idempotent again.
	if _, _, err := c.Post(context.Background(), incident("k/no-scope")); err != nil {
		t.Fatalf("second Post: %v", err)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("%d messages after retry, want 1", n)
	}
}

func TestPostRefusesIncompleteMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(*slack.IncidentMessage)
		field string
	}{
		{"no channel", func(m *slack.IncidentMessage) { m.Channel = "" }, "Channel"},
		{"no incident", func(m *slack.IncidentMessage) { m.IncidentID = "" }, "IncidentID"},
		{"no title", func(m *slack.IncidentMessage) { m.Title = " " }, "Title"},
		{"no key", func(m *slack.IncidentMessage) { m.Key = "" }, "Key"},
		{"twice the same decision", func(m *slack.IncidentMessage) { m.Buttons[1].Decision = slack.DecisionAcknowledge }, "appears twice"},
		{"bad decision", func(m *slack.IncidentMessage) { m.Buttons[0].Decision = "Ack!" }, "Buttons[0].Decision"},
		{"no label", func(m *slack.IncidentMessage) { m.Buttons[2].Label = "" }, "Buttons[2].Label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c := newPair(t)
			m := incident("k")
			tt.edit(&m)
			_, _, err := c.Post(context.Background(), m)
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error = %v, want one naming %s", err, tt.field)
			}
			if n := len(s.Requests()); n != 0 {
				t.Errorf("%d requests sent for an invalid message", n)
			}
		})
	}
}

func TestPostEscapesAlertContent(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	m := incident("k/escape")
	m.Text = "Detection <!channel> <http://evil.example|click> & more"
	m.Title = strings.Repeat("長", 200)
	if _, _, err := c.Post(context.Background(), m); err != nil {
		t.Fatalf("Post: %v", err)
	}
	blocks := blocksOf(t, s.Messages()[0])
	if got := blocks[1].Text.Text; strings.ContainsAny(got, "<>") || !strings.Contains(got, "&lt;!channel&gt;") {
		t.Errorf("section text %q is not escaped", got)
	}
	if n := len([]rune(blocks[0].Text.Text)); n != 150 {
		t.Errorf("header is %d characters, want it cut to 150", n)
	}
}

func TestUpdateReplacesButtonsWithOutcome(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	ctx := context.Background()
	m := incident("k/update")
	channel, ts, err := c.Post(ctx, m)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	for _, outcome := range []string{"Acknowledged by taro", "Contained by hanako: osk-pc-17 isolated"} {
		if err := c.Update(ctx, channel, ts, outcome); err != nil {
			t.Fatalf("Update %q: %v", outcome, err)
		}
	}
	got := s.Messages()[0]
	blocks := blocksOf(t, got)
	var types []string
	for _, b := range blocks {
		types = append(types, b.Type)
	}
	if strings.Join(types, ",") != "header,section,section" {
		t.Fatalf("blocks after update = %v, want header, section, outcome section", types)
	}
	if blocks[2].Text.Text != "Contained by hanako: osk-pc-17 isolated" {
		t.Errorf("outcome = %q, want the last one", blocks[2].Text.Text)
	}
	if blocks[0].Text.Text != m.Title || got.Edits != 2 {
		t.Errorf("title %q after %d edits, want %q kept", blocks[0].Text.Text, got.Edits, m.Title)
	}
	// The metadata survives the update, so a late retry of the post still finds it.
	if _, again, err := c.Post(ctx, m); err != nil || again != ts {
		t.Errorf("Post after update answered %s, %v; want the original %s", again, err, ts)
	}
}

func TestUpdateOfMissingMessage(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	channel := s.AddChannel("acme-soc")
	err := c.Update(context.Background(), channel, "1700000000.000001", "Acknowledged")
	var vendorErr *integrations.VendorError
	if !errors.As(err, &vendorErr) || vendorErr.StatusCode != 404 || vendorErr.Retryable() {
		t.Fatalf("error = %v, want a non-retryable 404", err)
	}
}

func TestPostTextIsIdempotent(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	ctx := context.Background()
	first, err := c.PostText(ctx, "#acme-csirt", "incident … is now contained", "incident/x/status/contained")
	if err != nil {
		t.Fatalf("PostText: %v", err)
	}
	second, err := c.PostText(ctx, "#acme-csirt", "incident … is now contained", "incident/x/status/contained")
	if err != nil || second != first {
		t.Fatalf("second PostText = %s, %v; want %s", second, err, first)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
	if _, err := c.PostText(ctx, "#acme-csirt", "text", ""); err == nil {
		t.Error("PostText without key succeeded")
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	if err := c.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	s.RequireToken("xoxb-another")
	var vendorErr *integrations.VendorError
	if err := c.Check(context.Background()); !errors.As(err, &vendorErr) || vendorErr.StatusCode != 401 || vendorErr.Message != "invalid_auth" {
		t.Fatalf("Check with a wrong token = %v, want 401 invalid_auth", err)
	}
}

// A first attempt posts without reading the channel's history; a retry looks first
// and finds what the first attempt posted.
func TestFirstAttemptPostsWithoutLookingForAnEarlierPost(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	m := incident("k/first-attempt")

	_, ts, err := c.Post(slack.FirstAttempt(context.Background()), m)
	if err != nil {
		t.Fatalf("first attempt: %v", err)
	}
	if n := s.CountRequests("conversations.history"); n != 0 {
		t.Errorf("first attempt read the history %d times, want 0", n)
	}
	_, again, err := c.Post(context.Background(), m)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n := s.CountRequests("conversations.history"); n != 1 {
		t.Errorf("retry read the history %d times, want 1", n)
	}
	if again != ts || len(s.Messages()) != 1 {
		t.Errorf("retry answered %s with %d messages, want the first post %s alone", again, len(s.Messages()), ts)
	}
	if _, err := c.PostText(slack.FirstAttempt(context.Background()), "#acme-soc", "status", "k/text"); err != nil {
		t.Fatalf("PostText first attempt: %v", err)
	}
	if n := s.CountRequests("conversations.history"); n != 1 {
		t.Errorf("PostText's first attempt read the history: %d reads, want still 1", n)
	}
}
