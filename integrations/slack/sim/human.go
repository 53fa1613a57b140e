package sim

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// VerificationToken is the deprecated verification token Slack still puts in
// interaction payloads; receivers should rely on the signature instead.
const VerificationToken = "simverificationtoken"

// Sign answers Slack's v0 request signature of body sent at timestamp (Unix seconds).
func Sign(signingSecret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(signingSecret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// errNoButton says the click cannot be made: no such message or button.
var errNoButton = errors.New("cannot click")

// Click plays the analyst user pressing the button for decision on the message at ts
// in channel (an id or a name): it posts a signed block_actions interaction to
// callbackURL as Slack does (form field payload=<JSON>). The caller closes the answer's body.
func (s *Server) Click(ctx context.Context, callbackURL, channel, ts, decision, user string) (*http.Response, error) {
	return s.click(ctx, callbackURL, channel, ts, decision, user, false)
}

// ForgedClick is Click with a signature made with the wrong secret, as an attacker
// who does not know the signing secret would send it.
func (s *Server) ForgedClick(ctx context.Context, callbackURL, channel, ts, decision, user string) (*http.Response, error) {
	return s.click(ctx, callbackURL, channel, ts, decision, user, true)
}

func (s *Server) click(ctx context.Context, callbackURL, channel, ts, decision, user string, forged bool) (*http.Response, error) {
	payload, err := s.interaction(channel, ts, decision, user)
	if err != nil {
		return nil, err
	}
	body := url.Values{"payload": {string(payload)}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, callbackURL, strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: callback URL %q: %v", errNoButton, callbackURL, err)
	}
	secret := s.signingSecret
	if forged {
		secret = "forged-" + secret
	}
	stamp := strconv.FormatInt(s.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", Sign(secret, stamp, []byte(body)))
	resp, err := s.HTTPClient.Do(req)

	record := Click{Time: s.Now().UTC(), CallbackURL: callbackURL, Channel: channel, TS: ts,
		Decision: decision, User: user, Forged: forged}
	if err != nil {
		record.Error = err.Error()
	} else {
		record.Status = resp.StatusCode
	}
	s.mu.Lock()
	s.clicks = append(s.clicks, record)
	s.mu.Unlock()
	return resp, err
}

type wireButton struct {
	Type     string          `json:"type"`
	ActionID string          `json:"action_id"`
	Value    string          `json:"value"`
	Style    string          `json:"style,omitempty"`
	Text     json.RawMessage `json:"text"`
}

// interaction builds the block_actions payload Slack sends for this click.
func (s *Server) interaction(channel, ts, decision, user string) ([]byte, error) {
	if user == "" {
		return nil, fmt.Errorf("%w: no user given", errNoButton)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	channelID, ok := s.resolveChannel(channel, false)
	if !ok {
		return nil, fmt.Errorf("%w: no channel %q", errNoButton, channel)
	}
	m := s.find(channelID, ts)
	if m == nil {
		return nil, fmt.Errorf("%w: no message %s in channel %s", errNoButton, ts, channel)
	}
	blockID, button, offered := findButton(m.Blocks, decision)
	if button == nil {
		return nil, fmt.Errorf("%w: message %s in %s has no %q button (it has %v)", errNoButton, ts, channel, decision, offered)
	}
	base := s.BaseURL
	if base == "" {
		base = s.seenBase
	}
	now := s.Now()
	action := map[string]any{
		"action_id": button.ActionID, "block_id": blockID, "text": button.Text, "value": button.Value,
		"type": button.Type, "action_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000),
	}
	if button.Style != "" {
		action["style"] = button.Style
	}
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  map[string]any{"id": UserID(user), "username": user, "name": user, "team_id": TeamID},
		"api_app_id":            AppID,
		"token":                 VerificationToken,
		"container":             map[string]any{"type": "message", "message_ts": ts, "channel_id": channelID, "is_ephemeral": false},
		"trigger_id":            fmt.Sprintf("%d.%d.%s", now.Unix(), now.UnixNano()%1e9, UserID(user)),
		"team":                  map[string]any{"id": TeamID, "domain": TeamName},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": channelID, "name": s.names[channelID]},
		"message":               wireMessage(m, false),
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          fmt.Sprintf("%s/actions/%s/%d", base, TeamID, now.UnixNano()),
		"actions":               []any{action},
	}
	return json.Marshal(payload)
}

// findButton finds the button for decision: the one whose value names it (xsoc's
// buttons carry {"decision": …}) or whose action_id ends with it.
func findButton(rawBlocks json.RawMessage, decision string) (string, *wireButton, []string) {
	var blocks []struct {
		Type     string       `json:"type"`
		BlockID  string       `json:"block_id"`
		Elements []wireButton `json:"elements"`
	}
	if len(rawBlocks) == 0 || json.Unmarshal(rawBlocks, &blocks) != nil {
		return "", nil, nil
	}
	var offered []string
	for _, b := range blocks {
		if b.Type != "actions" {
			continue
		}
		for i, e := range b.Elements {
			if e.Type != "button" {
				continue
			}
			var value struct {
				Decision string `json:"decision"`
			}
			_ = json.Unmarshal([]byte(e.Value), &value)
			if value.Decision == decision || e.ActionID == decision || strings.HasSuffix(e.ActionID, "_"+decision) {
				return b.BlockID, &b.Elements[i], offered
			}
			offered = append(offered, firstNonEmpty(value.Decision, e.ActionID))
		}
	}
	return "", nil, offered
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// UserID gives each analyst name a stable Slack member id: the id a customers file
// maps to that analyst (soc.analysts[].slack_user).
func UserID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "U" + strings.ToUpper(hex.EncodeToString(sum[:]))[:10]
}

func (s *Server) controlMessages(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Messages())
}

func (s *Server) controlRequests(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Requests())
}

func (s *Server) controlClicks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Clicks())
}

func (s *Server) controlResponses(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	responses := append([]json.RawMessage{}, s.responses...)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, responses)
}

func (s *Server) controlClick(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CallbackURL string `json:"callback_url"`
		Channel     string `json:"channel"`
		TS          string `json:"ts"`
		Decision    string `json:"decision"`
		User        string `json:"user"`
		Forged      bool   `json:"forged"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body is not the expected JSON: " + err.Error()})
		return
	}
	var missing []string
	for field, v := range map[string]string{"callback_url": in.CallbackURL, "channel": in.Channel, "ts": in.TS, "decision": in.Decision, "user": in.User} {
		if v == "" {
			missing = append(missing, field)
		}
	}
	if len(missing) > 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "missing " + strings.Join(missing, ", ")})
		return
	}
	resp, err := s.click(r.Context(), in.CallbackURL, in.Channel, in.TS, in.Decision, in.User, in.Forged)
	switch {
	case errors.Is(err, errNoButton):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
		return
	case err != nil:
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	writeJSON(w, http.StatusOK, map[string]any{"status": resp.StatusCode, "body": string(answer)})
}

func (s *Server) controlFail(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Path        string `json:"path"`
		Status      int    `json:"status"`
		Times       int    `json:"times"`
		RetryAfter  string `json:"retry_after"`
		Error       string `json:"error"`
		AfterCommit bool   `json:"after_commit"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil || in.Path == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want {\"path\", \"status\", \"times\", \"retry_after\", \"error\", \"after_commit\"}"})
		return
	}
	switch {
	case in.Error != "" && (in.Status == 0 || in.Status == http.StatusOK):
		s.FailNextError(in.Path, in.Error, in.Times)
	case in.Status < 100 || in.Status > 599:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("status %d is not an HTTP status", in.Status)})
		return
	case in.AfterCommit:
		s.FailNextAfterCommit(in.Path, in.Status, in.Times)
	default:
		s.FailNext(in.Path, in.Status, in.Times, in.RetryAfter)
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
