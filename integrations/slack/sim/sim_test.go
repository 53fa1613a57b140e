package sim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	slackapi "github.com/slack-go/slack"

	"xsoc/integrations/slack/sim"
)

func newSim(t *testing.T) (*sim.Server, *httptest.Server, *slackapi.Client) {
	t.Helper()
	s := sim.New("secret")
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv, slackapi.New("xoxb-1", slackapi.OptionAPIURL(srv.URL+"/api/"))
}

func TestHistoryWindowsAndPages(t *testing.T) {
	t.Parallel()
	_, _, api := newSim(t)
	ctx := context.Background()
	var stamps []string
	var channel string
	for _, text := range []string{"one", "two", "three"} {
		ch, ts, err := api.PostMessageContext(ctx, "#soc", slackapi.MsgOptionText(text, false))
		if err != nil {
			t.Fatalf("post %s: %v", text, err)
		}
		channel = ch
		stamps = append(stamps, ts)
	}
	single, err := api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
		ChannelID: channel, Latest: stamps[1], Oldest: stamps[1], Inclusive: true, Limit: 1,
	})
	if err != nil || len(single.Messages) != 1 || single.Messages[0].Text != "two" {
		t.Fatalf("one message by ts = %+v, %v", single, err)
	}
	exclusive, err := api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{ChannelID: channel, Latest: stamps[2]})
	if err != nil || len(exclusive.Messages) != 2 || exclusive.Messages[0].Text != "two" {
		t.Fatalf("history before the last = %+v, %v", exclusive, err)
	}
	first, err := api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{ChannelID: channel, Limit: 2})
	if err != nil || len(first.Messages) != 2 || !first.HasMore || first.Messages[0].Text != "three" {
		t.Fatalf("first page = %+v, %v", first, err)
	}
	rest, err := api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
		ChannelID: channel, Limit: 2, Cursor: first.ResponseMetaData.NextCursor,
	})
	if err != nil || len(rest.Messages) != 1 || rest.HasMore || rest.Messages[0].Text != "one" {
		t.Fatalf("second page = %+v, %v", rest, err)
	}
	if _, err := api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{ChannelID: "#soc"}); err == nil ||
		err.Error() != "channel_not_found" {
		t.Errorf("history by name = %v, want channel_not_found as Slack answers", err)
	}
}

func TestChannelsAreListedAndStable(t *testing.T) {
	t.Parallel()
	s, _, api := newSim(t)
	ctx := context.Background()
	ids := map[string]string{}
	for _, name := range []string{"acme-soc", "acme-csirt", "beta-soc"} {
		ids[name] = s.AddChannel(name)
	}
	if again := sim.New("other").AddChannel("acme-soc"); again != ids["acme-soc"] {
		t.Errorf("acme-soc is %s in another simulator, %s here: ids must be stable", again, ids["acme-soc"])
	}
	params := &slackapi.GetConversationsParameters{Limit: 2}
	listed := map[string]string{}
	for {
		channels, next, err := api.GetConversationsContext(ctx, params)
		if err != nil {
			t.Fatalf("conversations.list: %v", err)
		}
		for _, ch := range channels {
			listed[ch.Name] = ch.ID
		}
		if next == "" {
			break
		}
		params.Cursor = next
	}
	if len(listed) != 3 || listed["beta-soc"] != ids["beta-soc"] {
		t.Errorf("listed %v, want %v", listed, ids)
	}
}

func TestAPIAcceptsJSONWithBearerToken(t *testing.T) {
	t.Parallel()
	s, srv, _ := newSim(t)
	body := `{"channel":"#acme-soc","text":"hello","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"hello"}}]}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/chat.postMessage", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer xoxb-2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	var answer struct {
		OK      bool   `json:"ok"`
		Channel string `json:"channel"`
		TS      string `json:"ts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || !answer.OK || answer.TS == "" {
		t.Fatalf("answer = %+v, %v", answer, err)
	}
	if m := s.Messages(); len(m) != 1 || m[0].ChannelName != "acme-soc" {
		t.Errorf("messages = %+v", m)
	}
	requests := s.Requests()
	if len(requests) != 1 || requests[0].Form["channel"][0] != "#acme-soc" {
		t.Errorf("recorded = %+v", requests)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		call func(ctx context.Context, api *slackapi.Client) error
		want string
	}{
		{"no text", func(ctx context.Context, api *slackapi.Client) error {
			_, _, err := api.PostMessageContext(ctx, "#soc")
			return err
		}, "no_text"},
		{"bad channel name", func(ctx context.Context, api *slackapi.Client) error {
			_, _, err := api.PostMessageContext(ctx, "#Not A Channel", slackapi.MsgOptionText("x", false))
			return err
		}, "channel_not_found"},
		{"duplicate action ids", func(ctx context.Context, api *slackapi.Client) error {
			button := func() slackapi.BlockElement {
				return slackapi.NewButtonBlockElement("same", "v", slackapi.NewTextBlockObject("plain_text", "b", false, false))
			}
			_, _, err := api.PostMessageContext(ctx, "#soc", slackapi.MsgOptionBlocks(slackapi.NewActionBlock("a", button(), button())))
			return err
		}, "invalid_blocks"},
		{"update of a missing message", func(ctx context.Context, api *slackapi.Client) error {
			channel, _, err := api.PostMessageContext(ctx, "#soc", slackapi.MsgOptionText("x", false))
			if err != nil {
				return err
			}
			_, _, _, err = api.UpdateMessageContext(ctx, channel, "1.000001", slackapi.MsgOptionText("y", false))
			return err
		}, "message_not_found"},
		{"unknown method", func(ctx context.Context, api *slackapi.Client) error {
			_, err := api.GetUserInfoContext(ctx, "U1")
			return err
		}, "unknown_method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, api := newSim(t)
			if err := tt.call(context.Background(), api); err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
		})
	}
}
