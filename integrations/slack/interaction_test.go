package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"xsoc/integrations/slack"
	"xsoc/integrations/slack/sim"
)

// callbackServer is our side of Slack interactivity: verify, parse, remember.
type callbackServer struct {
	*httptest.Server
	mu      sync.Mutex
	got     []slack.Interaction
	refused []error
}

func newCallbackServer(t *testing.T) *callbackServer {
	t.Helper()
	cb := &callbackServer{}
	cb.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := slack.VerifyRequest(r, testSecret, time.Now())
		if err != nil {
			cb.mu.Lock()
			cb.refused = append(cb.refused, err)
			cb.mu.Unlock()
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		in, err := slack.ParseInteraction(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		cb.mu.Lock()
		cb.got = append(cb.got, in)
		cb.mu.Unlock()
	}))
	t.Cleanup(cb.Close)
	return cb
}

func TestClickReachesCallbackSigned(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	cb := newCallbackServer(t)
	ctx := context.Background()
	m := incident("k/click")
	channel, ts, err := c.Post(ctx, m)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}

	resp, err := s.Click(ctx, cb.URL+"/v1/callbacks/slack", "#acme-soc", ts, slack.DecisionContain, "hanako")
	if err != nil {
		t.Fatalf("Click: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback answered %d", resp.StatusCode)
	}
	if len(cb.got) != 1 {
		t.Fatalf("callback got %d interactions, want 1", len(cb.got))
	}
	in := cb.got[0]
	if in.IncidentID != m.IncidentID || in.Decision != slack.DecisionContain || in.Page != m.Key || in.UserName != "hanako" ||
		in.ChannelID != channel || in.MessageTS != ts || !strings.HasPrefix(in.UserID, "U") ||
		!strings.HasPrefix(in.ResponseURL, s.BaseURL+"/actions/") {
		t.Errorf("interaction = %+v", in)
	}

	forged, err := s.ForgedClick(ctx, cb.URL, channel, ts, slack.DecisionAcknowledge, "mallory")
	if err != nil {
		t.Fatalf("ForgedClick: %v", err)
	}
	forged.Body.Close()
	if forged.StatusCode != http.StatusUnauthorized || len(cb.refused) != 1 || !errors.Is(cb.refused[0], slack.ErrBadSignature) {
		t.Errorf("forged click answered %d, refusals %v; want 401 for a bad signature", forged.StatusCode, cb.refused)
	}
	if clicks := s.Clicks(); len(clicks) != 2 || clicks[0].Status != 200 || clicks[1].Status != 401 || !clicks[1].Forged {
		t.Errorf("recorded clicks = %+v", clicks)
	}

	if _, err := s.Click(ctx, cb.URL, channel, ts, "release", "hanako"); err == nil || !strings.Contains(err.Error(), "no \"release\" button") {
		t.Errorf("click on a missing button = %v", err)
	}
}

func TestControlAPIClick(t *testing.T) {
	t.Parallel()
	s, c := newPair(t)
	cb := newCallbackServer(t)
	_, ts, err := c.Post(context.Background(), incident("k/control"))
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	body, _ := json.Marshal(map[string]string{
		"callback_url": cb.URL, "channel": "#acme-soc", "ts": ts, "decision": "acknowledge", "user": "taro",
	})
	resp, err := http.Post(s.BaseURL+"/_sim/click", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST /_sim/click: %v", err)
	}
	defer resp.Body.Close()
	var answer struct{ Status int }
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode != 200 || answer.Status != 200 {
		t.Fatalf("/_sim/click answered %d %+v (%v)", resp.StatusCode, answer, err)
	}
	if len(cb.got) != 1 || cb.got[0].Decision != "acknowledge" || cb.got[0].UserName != "taro" {
		t.Errorf("callback got %+v", cb.got)
	}

	messages, err := http.Get(s.BaseURL + "/_sim/messages")
	if err != nil {
		t.Fatalf("GET /_sim/messages: %v", err)
	}
	defer messages.Body.Close()
	var listed []sim.Message
	if err := json.NewDecoder(messages.Body).Decode(&listed); err != nil || len(listed) != 1 || len(listed[0].Blocks) == 0 {
		t.Errorf("/_sim/messages = %+v (%v)", listed, err)
	}
}

func signedRequest(t *testing.T, secret string, at time.Time, body string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/v1/callbacks/slack", strings.NewReader(body))
	stamp := strconv.FormatInt(at.Unix(), 10)
	r.Header.Set("X-Slack-Request-Timestamp", stamp)
	r.Header.Set("X-Slack-Signature", sim.Sign(secret, stamp, []byte(body)))
	return r
}

func TestVerifyRequest(t *testing.T) {
	t.Parallel()
	const body = "payload=%7B%7D"
	now := time.Now()
	tests := []struct {
		name    string
		request func() *http.Request
		want    error
	}{
		{"good", func() *http.Request { return signedRequest(t, testSecret, now, body) }, nil},
		{"a little clock skew", func() *http.Request { return signedRequest(t, testSecret, now.Add(-4*time.Minute), body) }, nil},
		{"forged", func() *http.Request { return signedRequest(t, "not-the-secret", now, body) }, slack.ErrBadSignature},
		{"body changed", func() *http.Request {
			r := signedRequest(t, testSecret, now, body)
			r.Body = io.NopCloser(strings.NewReader(body + "&x=1"))
			return r
		}, slack.ErrBadSignature},
		{"stale", func() *http.Request { return signedRequest(t, testSecret, now.Add(-6*time.Minute), body) }, slack.ErrStaleTimestamp},
		{"from the future", func() *http.Request { return signedRequest(t, testSecret, now.Add(6*time.Minute), body) }, slack.ErrStaleTimestamp},
		{"no signature", func() *http.Request {
			r := signedRequest(t, testSecret, now, body)
			r.Header.Del("X-Slack-Signature")
			return r
		}, slack.ErrMissingSignature},
		{"no timestamp", func() *http.Request {
			r := signedRequest(t, testSecret, now, body)
			r.Header.Del("X-Slack-Request-Timestamp")
			return r
		}, slack.ErrMissingSignature},
		{"signature not hex", func() *http.Request {
			r := signedRequest(t, testSecret, now, body)
			r.Header.Set("X-Slack-Signature", "v0=zz")
			return r
		}, slack.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := slack.VerifyRequest(tt.request(), testSecret, now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if tt.want == nil && string(got) != body {
				t.Errorf("body = %q, want %q", got, body)
			}
		})
	}
}

// TestParseInteractionReadsThePage reads the page key a button carries, and still
// reads buttons posted before they carried one.
func TestParseInteractionReadsThePage(t *testing.T) {
	t.Parallel()
	click := func(value string) []byte {
		payload, _ := json.Marshal(map[string]any{"type": "block_actions", "user": map[string]string{"id": "U1", "name": "taro"},
			"actions": []map[string]string{{"action_id": "xsoc_acknowledge", "block_id": "xsoc_decisions", "value": value}}})
		return []byte(url.Values{"payload": {string(payload)}}.Encode())
	}
	tests := []struct {
		name, value, page string
	}{
		{"with the page", `{"incident":"incident/acme/generic/a1","decision":"acknowledge","page":"incident/acme/generic/a1#1/page/customer/0/0/slack"}`,
			"incident/acme/generic/a1#1/page/customer/0/0/slack"},
		{"posted before page keys", `{"incident":"incident/acme/generic/a1","decision":"acknowledge"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, err := slack.ParseInteraction(click(tt.value))
			if err != nil {
				t.Fatal(err)
			}
			if in.IncidentID != "incident/acme/generic/a1" || in.Decision != "acknowledge" || in.Page != tt.page {
				t.Errorf("interaction = %+v, want page %q", in, tt.page)
			}
		})
	}
}

func TestParseInteractionRefuses(t *testing.T) {
	t.Parallel()
	form := func(payload string) []byte { return []byte(url.Values{"payload": {payload}}.Encode()) }
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"no payload", []byte("a=b"), "no payload"},
		{"not a form", []byte("%zz"), "not a form"},
		{"not JSON", form("{"), "not an interaction"},
		{"other type", form(`{"type":"view_submission"}`), "view_submission"},
		{"foreign button", form(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"other","block_id":"b","value":"v"}]}`), "none of its 1 actions"},
		{"value not ours", form(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"xsoc_contain","block_id":"xsoc_decisions","value":"contain"}]}`), "value is not ours"},
		{"value incomplete", form(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"xsoc_contain","block_id":"xsoc_decisions","value":"{\"decision\":\"contain\"}"}]}`), "lacks incident"},
		{"no user", form(`{"type":"block_actions","actions":[{"action_id":"xsoc_contain","block_id":"xsoc_decisions","value":"{\"incident\":\"i\",\"decision\":\"contain\"}"}]}`), "no user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := slack.ParseInteraction(tt.body)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func FuzzParseInteraction(f *testing.F) {
	f.Add([]byte("payload=" + url.QueryEscape(`{"type":"block_actions","user":{"id":"U1","name":"taro"},"container":{"channel_id":"C1","message_ts":"1.2"},"actions":[{"action_id":"xsoc_contain","block_id":"xsoc_decisions","value":"{\"incident\":\"i\",\"decision\":\"contain\"}"}]}`)))
	f.Add([]byte("payload=%7B%7D"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := slack.ParseInteraction(body)
		if err == nil && (in.IncidentID == "" || in.Decision == "" || in.UserID == "") {
			t.Errorf("accepted %q as %+v", body, in)
		}
	})
}
