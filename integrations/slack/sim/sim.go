// Package sim is a Slack Web API simulator for tests and the local demo stack. It
// speaks the paths, form arguments, {"ok":…} answers and Block Kit JSON that slack-go
// sends and expects, holds channels and messages in memory, records every API
// request, injects faults, and plays the analyst who clicks a decision button: it
// posts a correctly signed block_actions interaction, as Slack does, to our callback.
//
// Slack Web API (form or JSON body; token as form field or "Authorization: Bearer"):
//
//	POST /api/auth.test
//	POST /api/chat.postMessage      channel may be an id or a name ("#acme-soc" or "acme-soc");
//	                                names get stable ids, the same on every run
//	POST /api/chat.update           channel id, ts; blocks and metadata replaced when given
//	POST /api/conversations.history channel id, latest, oldest, inclusive, limit, cursor,
//	                                include_all_metadata (metadata only when it is set)
//	POST /api/conversations.list    the channels known so far (added or posted to)
//	POST /actions/{team}/{n}        response_url target: recorded only
//
// Control API (JSON):
//
//	GET  /_sim/messages   posted messages with blocks, metadata and whether they were updated
//	GET  /_sim/calls      recorded API requests (method, path, form; tokens redacted);
//	                      /_sim/requests is the same
//	GET  /_sim/clicks     clicks made on behalf of analysts and how the callback answered
//	GET  /_sim/responses  bodies posted to response_url
//	POST /_sim/click      {"callback_url","channel","ts","decision","user","forged":false}
//	                      -> {"status": <callback's HTTP status>, "body": "<its answer>"}
//	POST /_sim/fail       {"path","status","times","retry_after","error","after_commit"}:
//	                      FailNext, or FailNextError when "error" is set with status 200 or 0,
//	                      or FailNextAfterCommit when after_commit is true
package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"xsoc/integrations/simkit"
)

// Identities the simulated workspace answers with.
const (
	TeamID    = "T0SIMTEAM"
	TeamName  = "xsoc-sim"
	BotUserID = "U0SIMBOT"
	BotID     = "B0SIMBOT"
	AppID     = "A0SIMAPP"
)

// Message is one message in a channel, as the control API shows it.
type Message struct {
	Channel     string          `json:"channel"`
	ChannelName string          `json:"channel_name"`
	TS          string          `json:"ts"`
	Text        string          `json:"text"`
	Blocks      json.RawMessage `json:"blocks,omitempty"`
	Metadata    *Metadata       `json:"metadata,omitempty"`
	Updated     bool            `json:"updated"`
	Edits       int             `json:"edits"`
}

// Metadata is Slack message metadata.
type Metadata struct {
	EventType    string         `json:"event_type"`
	EventPayload map[string]any `json:"event_payload"`
}

// Request is one recorded API request.
type Request struct {
	Time   time.Time           `json:"time"`
	Method string              `json:"method"`
	Path   string              `json:"path"`
	Form   map[string][]string `json:"form,omitempty"`
	Body   string              `json:"body,omitempty"`
}

// Click is one button press the simulator made on behalf of an analyst.
type Click struct {
	Time        time.Time `json:"time"`
	CallbackURL string    `json:"callback_url"`
	Channel     string    `json:"channel"`
	TS          string    `json:"ts"`
	Decision    string    `json:"decision"`
	User        string    `json:"user"`
	Forged      bool      `json:"forged"`
	Status      int       `json:"status"`
	Error       string    `json:"error,omitempty"`
}

type fault struct {
	status      int
	retryAfter  string
	slackError  string
	afterCommit bool
}

// Server is the simulated Slack workspace; it is an http.Handler.
type Server struct {
	signingSecret string

	// HTTPClient makes the clicks; its timeout bounds a slow callback.
	HTTPClient *http.Client
	// BaseURL is this server's own address, used in response_url. When empty it is
	// taken from the Host of the requests the server receives.
	BaseURL string
	// Now is the clock used for message timestamps and request signatures.
	Now func() time.Time

	mux *http.ServeMux

	mu        sync.Mutex
	token     string
	revoked   map[string]bool
	channels  map[string]string // name -> id
	names     map[string]string // id -> name
	messages  []*Message
	lastTS    [2]int64
	requests  []Request
	faults    simkit.Faults[fault]
	clicks    []Click
	responses []json.RawMessage
	seenBase  string
}

// New returns a simulator whose interactions are signed with signingSecret.
func New(signingSecret string) *Server {
	s := &Server{
		signingSecret: signingSecret,
		HTTPClient:    &http.Client{Timeout: 10 * time.Second},
		Now:           time.Now,
		mux:           http.NewServeMux(),
		revoked:       map[string]bool{},
		channels:      map[string]string{},
		names:         map[string]string{},
	}
	s.mux.HandleFunc("POST /api/auth.test", s.api(s.authTest))
	s.mux.HandleFunc("POST /api/chat.postMessage", s.api(s.postMessage))
	s.mux.HandleFunc("POST /api/chat.update", s.api(s.update))
	s.mux.HandleFunc("POST /api/conversations.history", s.api(s.history))
	s.mux.HandleFunc("GET /api/conversations.history", s.api(s.history))
	s.mux.HandleFunc("POST /api/conversations.list", s.api(s.list))
	s.mux.HandleFunc("GET /api/conversations.list", s.api(s.list))
	s.mux.HandleFunc("/api/{method}", s.api(func(form url.Values) (int, any) {
		return http.StatusOK, refusal("unknown_method")
	}))
	s.mux.HandleFunc("POST /actions/{team}/{n}", s.responseURL)
	s.mux.HandleFunc("GET /_sim/messages", s.controlMessages)
	s.mux.HandleFunc("GET /_sim/calls", s.controlRequests)
	s.mux.HandleFunc("GET /_sim/requests", s.controlRequests)
	s.mux.HandleFunc("GET /_sim/clicks", s.controlClicks)
	s.mux.HandleFunc("GET /_sim/responses", s.controlResponses)
	s.mux.HandleFunc("POST /_sim/click", s.controlClick)
	s.mux.HandleFunc("POST /_sim/fail", s.controlFail)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if r.Host != "" {
		s.seenBase = "http://" + r.Host
	}
	s.mu.Unlock()
	s.mux.ServeHTTP(w, r)
}

// RequireToken makes the API accept only token (default: any non-empty token).
func (s *Server) RequireToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// RevokeToken makes the API refuse token with "token_revoked", as Slack does once
// a token is revoked or rotated away.
func (s *Server) RevokeToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked[token] = true
}

// AddChannel makes a channel exist (listed by conversations.list) and answers its id.
func (s *Server) AddChannel(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.channelFor(strings.TrimPrefix(name, "#"))
}

// FailNext makes the next times requests to path (e.g. "/api/chat.postMessage" or
// "chat.postMessage") answer status with {"ok":false,"error":…} and, when not
// empty, a Retry-After header. Nothing is done for a failed request.
func (s *Server) FailNext(path string, status, times int, retryAfter string) {
	s.faults.Add(normalizePath(path), fault{status: status, retryAfter: retryAfter}, times)
}

// FailNextError makes the next times requests to path answer as Slack refuses most
// requests: HTTP 200 with {"ok":false,"error":slackError}.
func (s *Server) FailNextError(path, slackError string, times int) {
	s.faults.Add(normalizePath(path), fault{status: http.StatusOK, slackError: slackError}, times)
}

// FailNextAfterCommit makes the next times requests to path take effect and then
// answer status, as when the answer is lost on the way back.
func (s *Server) FailNextAfterCommit(path string, status, times int) {
	s.faults.Add(normalizePath(path), fault{status: status, afterCommit: true}, times)
}

func normalizePath(path string) string {
	if strings.HasPrefix(path, "/") {
		return path
	}
	return "/api/" + path
}

// Messages answers every message in posting order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages))
	for _, m := range s.messages {
		out = append(out, *m)
	}
	return out
}

// Requests answers every recorded API request.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Clicks answers the clicks made so far.
func (s *Server) Clicks() []Click {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.clicks)
}

// CountRequests answers how many requests went to path ("chat.postMessage" or a full path).
func (s *Server) CountRequests(path string) int {
	path = normalizePath(path)
	n := 0
	for _, r := range s.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

type apiHandler func(form url.Values) (status int, answer any)

// api wraps a Web API method: it reads the arguments, records the request, applies
// faults, checks the token and writes the JSON answer.
func (s *Server) api(handle apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		form, raw, err := readArguments(r)
		s.record(r, form, raw, err)
		if err != nil {
			writeJSON(w, http.StatusOK, refusal("invalid_form_data"))
			return
		}
		f := s.faults.Take(r.URL.Path)
		if f != nil && !f.afterCommit {
			writeFault(w, f)
			return
		}
		if problem := s.authenticate(r, form); problem != "" {
			writeJSON(w, http.StatusOK, refusal(problem))
			return
		}
		status, answer := handle(form)
		if f != nil {
			writeFault(w, f)
			return
		}
		writeJSON(w, status, answer)
	}
}

func writeFault(w http.ResponseWriter, f *fault) {
	if f.retryAfter != "" {
		w.Header().Set("Retry-After", f.retryAfter)
	}
	code := f.slackError
	if code == "" {
		code = errorForStatus(f.status)
	}
	writeJSON(w, f.status, refusal(code))
}

func errorForStatus(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "ratelimited"
	case status == http.StatusUnauthorized:
		return "invalid_auth"
	case status == http.StatusForbidden:
		return "missing_scope"
	case status == http.StatusNotFound:
		return "channel_not_found"
	case status >= 500:
		return "internal_error"
	default:
		return "invalid_arguments"
	}
}

// readArguments reads a Web API call's arguments from the query, a form body or a
// JSON body, all of which Slack accepts.
func readArguments(r *http.Request) (url.Values, string, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		return nil, "", err
	}
	form := r.URL.Query()
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mediaType == "application/json" && len(bytes.TrimSpace(raw)) > 0:
		var fields map[string]any
		if err := json.Unmarshal(raw, &fields); err != nil {
			return form, string(raw), err
		}
		for k, v := range fields {
			if text, ok := v.(string); ok {
				form.Set(k, text)
				continue
			}
			encoded, _ := json.Marshal(v)
			form.Set(k, string(encoded))
		}
	case len(raw) > 0:
		body, err := url.ParseQuery(string(raw))
		if err != nil {
			return form, string(raw), err
		}
		for k, v := range body {
			form[k] = append(form[k], v...)
		}
	}
	return form, string(raw), nil
}

func (s *Server) record(r *http.Request, form url.Values, raw string, readErr error) {
	recorded := map[string][]string{}
	for k, v := range form {
		if k == "token" {
			v = []string{"(redacted)"}
		}
		recorded[k] = slices.Clone(v)
	}
	body := ""
	if readErr != nil {
		body = raw
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Time: s.Now().UTC(), Method: r.Method, Path: r.URL.Path, Form: recorded, Body: body})
}

func (s *Server) authenticate(r *http.Request, form url.Values) string {
	token := form.Get("token")
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && token == "" {
		token = bearer
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case token == "":
		return "not_authed"
	case s.revoked[token]:
		return "token_revoked"
	case s.token != "" && token != s.token:
		return "invalid_auth"
	}
	return ""
}

func refusal(code string) map[string]any {
	return map[string]any{"ok": false, "error": code}
}

// writeJSON answers JSON as Slack does.
var writeJSON = simkit.JSONWriter("application/json; charset=utf-8")

func (s *Server) authTest(url.Values) (int, any) {
	return http.StatusOK, map[string]any{
		"ok": true, "url": "https://" + TeamName + ".slack.com/", "team": TeamName, "user": "xsoc",
		"team_id": TeamID, "user_id": BotUserID, "bot_id": BotID, "is_enterprise_install": false,
	}
}

var channelNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,79}$`)

// channelFor answers the id of a channel name, creating it. Callers hold s.mu.
func (s *Server) channelFor(name string) string {
	if id, ok := s.channels[name]; ok {
		return id
	}
	sum := sha256.Sum256([]byte(name))
	id := "C" + strings.ToUpper(hex.EncodeToString(sum[:]))[:10]
	s.channels[name] = id
	s.names[id] = name
	return id
}

// resolveChannel answers the id for an id, "#name" or "name"; with create, unknown
// names are created (the bot is in every channel it is asked to post to). Callers
// hold s.mu.
func (s *Server) resolveChannel(channel string, create bool) (string, bool) {
	if _, ok := s.names[channel]; ok {
		return channel, true
	}
	name := strings.TrimPrefix(channel, "#")
	if id, ok := s.channels[name]; ok {
		return id, true
	}
	if !create || !channelNamePattern.MatchString(name) {
		return "", false
	}
	return s.channelFor(name), true
}

func (s *Server) postMessage(form url.Values) (int, any) {
	text, rawBlocks, rawMetadata := form.Get("text"), form.Get("blocks"), form.Get("metadata")
	if text == "" && rawBlocks == "" && form.Get("attachments") == "" {
		return http.StatusOK, refusal("no_text")
	}
	blocks, problem := checkBlocks(rawBlocks)
	if problem != "" {
		return http.StatusOK, refusal(problem)
	}
	metadata, problem := parseMetadata(rawMetadata)
	if problem != "" {
		return http.StatusOK, refusal(problem)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	channel, ok := s.resolveChannel(form.Get("channel"), true)
	if !ok {
		return http.StatusOK, refusal("channel_not_found")
	}
	m := &Message{Channel: channel, ChannelName: s.names[channel], TS: s.nextTS(), Text: text, Blocks: blocks, Metadata: metadata}
	s.messages = append(s.messages, m)
	return http.StatusOK, map[string]any{"ok": true, "channel": channel, "ts": m.TS, "message": wireMessage(m, false)}
}

func (s *Server) update(form url.Values) (int, any) {
	text, rawBlocks, rawMetadata := form.Get("text"), form.Get("blocks"), form.Get("metadata")
	blocks, problem := checkBlocks(rawBlocks)
	if problem != "" {
		return http.StatusOK, refusal(problem)
	}
	metadata, problem := parseMetadata(rawMetadata)
	if problem != "" {
		return http.StatusOK, refusal(problem)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	channel := form.Get("channel")
	if _, ok := s.names[channel]; !ok {
		return http.StatusOK, refusal("channel_not_found")
	}
	m := s.find(channel, form.Get("ts"))
	if m == nil {
		return http.StatusOK, refusal("message_not_found")
	}
	if text == "" && rawBlocks == "" {
		return http.StatusOK, refusal("no_text")
	}
	// Slack's documented rule: blocks replace blocks; text without blocks removes them.
	switch {
	case rawBlocks != "":
		m.Blocks = blocks
	case text != "":
		m.Blocks = nil
	}
	if text != "" {
		m.Text = text
	}
	if metadata != nil {
		m.Metadata = metadata
	}
	m.Updated = true
	m.Edits++
	return http.StatusOK, map[string]any{"ok": true, "channel": channel, "ts": m.TS, "text": m.Text, "message": wireMessage(m, false)}
}

func (s *Server) history(form url.Values) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	channel := form.Get("channel")
	if _, ok := s.names[channel]; !ok {
		return http.StatusOK, refusal("channel_not_found")
	}
	inclusive := truthy(form.Get("inclusive"))
	latest, oldest := form.Get("latest"), form.Get("oldest")
	var selected []*Message
	for i := len(s.messages) - 1; i >= 0; i-- {
		m := s.messages[i]
		if m.Channel != channel {
			continue
		}
		if latest != "" && (tsLess(latest, m.TS) || (!inclusive && m.TS == latest)) {
			continue
		}
		if oldest != "" && (tsLess(m.TS, oldest) || (!inclusive && m.TS == oldest)) {
			continue
		}
		selected = append(selected, m)
	}
	limit := 100
	if n, err := strconv.Atoi(form.Get("limit")); err == nil && n > 0 {
		limit = min(n, 999)
	}
	offset := decodeCursor(form.Get("cursor"))
	page, next := paginate(len(selected), offset, limit)
	withMetadata := truthy(form.Get("include_all_metadata"))
	messages := make([]map[string]any, 0, page[1]-page[0])
	for _, m := range selected[page[0]:page[1]] {
		messages = append(messages, wireMessage(m, withMetadata))
	}
	return http.StatusOK, map[string]any{
		"ok": true, "messages": messages, "has_more": next != "", "pin_count": 0,
		"response_metadata": map[string]any{"next_cursor": next},
	}
}

func (s *Server) list(form url.Values) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.channels))
	for name := range s.channels {
		names = append(names, name)
	}
	slices.Sort(names)
	limit := 100
	if n, err := strconv.Atoi(form.Get("limit")); err == nil && n > 0 {
		limit = min(n, 1000)
	}
	page, next := paginate(len(names), decodeCursor(form.Get("cursor")), limit)
	channels := make([]map[string]any, 0, page[1]-page[0])
	for _, name := range names[page[0]:page[1]] {
		channels = append(channels, map[string]any{
			"id": s.channels[name], "name": name, "name_normalized": name, "is_channel": true, "is_group": false,
			"is_im": false, "is_private": false, "is_archived": false, "is_member": true, "is_general": false,
			"created": 1700000000, "creator": BotUserID, "context_team_id": TeamID, "num_members": 2,
		})
	}
	return http.StatusOK, map[string]any{"ok": true, "channels": channels, "response_metadata": map[string]any{"next_cursor": next}}
}

func truthy(v string) bool { return v == "1" || v == "true" }

// paginate answers the [from, to) window of a page and the cursor of the next one.
func paginate(total, offset, limit int) ([2]int, string) {
	from := min(max(offset, 0), total)
	to := min(from+limit, total)
	if to < total {
		return [2]int{from, to}, base64.StdEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(to)))
	}
	return [2]int{from, to}, ""
}

func decodeCursor(cursor string) int {
	raw, err := base64.StdEncoding.DecodeString(cursor)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(raw), "offset:"))
	if err != nil {
		return 0
	}
	return n
}

// wireMessage is a message as Slack's API shows it.
func wireMessage(m *Message, withMetadata bool) map[string]any {
	out := map[string]any{
		"type": "message", "text": m.Text, "user": BotUserID, "bot_id": BotID, "app_id": AppID,
		"team": TeamID, "ts": m.TS,
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	if withMetadata && m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	if m.Updated {
		out["edited"] = map[string]any{"user": BotUserID, "ts": m.TS}
	}
	return out
}

// find answers the message at ts in channel. Callers hold s.mu.
func (s *Server) find(channel, ts string) *Message {
	for _, m := range s.messages {
		if m.Channel == channel && m.TS == ts {
			return m
		}
	}
	return nil
}

// nextTS answers a message timestamp after every earlier one. Callers hold s.mu.
func (s *Server) nextTS() string {
	now := s.Now()
	ts := [2]int64{now.Unix(), int64(now.Nanosecond() / 1000)}
	if ts[0] < s.lastTS[0] || (ts[0] == s.lastTS[0] && ts[1] <= s.lastTS[1]) {
		ts = [2]int64{s.lastTS[0], s.lastTS[1] + 1}
		if ts[1] >= 1_000_000 {
			ts = [2]int64{ts[0] + 1, 0}
		}
	}
	s.lastTS = ts
	return fmt.Sprintf("%d.%06d", ts[0], ts[1])
}

// tsLess compares two Slack timestamps ("seconds.micros").
func tsLess(a, b string) bool {
	as, af, _ := strings.Cut(a, ".")
	bs, bf, _ := strings.Cut(b, ".")
	ai, _ := strconv.ParseInt(as, 10, 64)
	bi, _ := strconv.ParseInt(bs, 10, 64)
	if ai != bi {
		return ai < bi
	}
	return fmt.Sprintf("%-6s", af) < fmt.Sprintf("%-6s", bf)
}

// checkBlocks enforces the Block Kit rules our messages could break, answering the
// blocks or Slack's error code.
func checkBlocks(raw string) (json.RawMessage, string) {
	if raw == "" {
		return nil, ""
	}
	var blocks []struct {
		Type    string `json:"type"`
		BlockID string `json:"block_id"`
		Text    *struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"text"`
		Elements []struct {
			Type     string `json:"type"`
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
			Text     *struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"elements"`
	}
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return nil, "invalid_blocks_format"
	}
	if len(blocks) > 50 {
		return nil, "invalid_blocks"
	}
	blockIDs := map[string]bool{}
	for _, b := range blocks {
		if b.Type == "" {
			return nil, "invalid_blocks"
		}
		if b.BlockID != "" {
			if blockIDs[b.BlockID] {
				return nil, "invalid_blocks"
			}
			blockIDs[b.BlockID] = true
		}
		switch b.Type {
		case "header":
			if b.Text == nil || b.Text.Type != "plain_text" || len([]rune(b.Text.Text)) > 150 || b.Text.Text == "" {
				return nil, "invalid_blocks"
			}
		case "section":
			if b.Text != nil && (len([]rune(b.Text.Text)) > 3000 || b.Text.Text == "") {
				return nil, "invalid_blocks"
			}
		case "actions":
			if len(b.Elements) == 0 || len(b.Elements) > 25 {
				return nil, "invalid_blocks"
			}
			actionIDs := map[string]bool{}
			for _, e := range b.Elements {
				if e.ActionID == "" || actionIDs[e.ActionID] || len(e.Value) > 2000 ||
					(e.Type == "button" && (e.Text == nil || len([]rune(e.Text.Text)) > 75)) {
					return nil, "invalid_blocks"
				}
				actionIDs[e.ActionID] = true
			}
		}
	}
	return json.RawMessage(raw), ""
}

var eventTypePattern = regexp.MustCompile(`^[a-zA-Z0-9_]+$`)

func parseMetadata(raw string) (*Metadata, string) {
	if raw == "" {
		return nil, ""
	}
	var m Metadata
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, "invalid_metadata_format"
	}
	if !eventTypePattern.MatchString(m.EventType) {
		return nil, "invalid_metadata_schema"
	}
	return &m, ""
}

func (s *Server) responseURL(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || !json.Valid(body) {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.responses = append(s.responses, json.RawMessage(body))
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "ok")
}
