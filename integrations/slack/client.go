// Package slack posts incident messages with decision buttons to Slack, replaces the
// buttons with who decided what, and reads the analysts' clicks back from Slack's
// interactivity requests. It speaks Slack's Web API through slack-go; the texts arrive
// already written in the customer's language and are only carried.
//
// Every post carries an idempotency key in its message metadata, so that an activity
// retried after a lost answer finds its earlier message in the channel's history
// instead of paging the channel twice.
//
// Scopes the bot token needs: chat:write, channels:read and groups:read (to turn
// "#name" into a channel id), channels:history and groups:history (to find an earlier
// post by its key). The bot must be a member of the channels it posts to.
package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackutilsx"

	"xsoc/integrations"
)

const vendor = "slack"

// Decisions a button can carry (Button.Decision).
const (
	DecisionAcknowledge   = "acknowledge"
	DecisionTruePositive  = "verdict_true_positive"
	DecisionFalsePositive = "verdict_false_positive"
	DecisionContain       = "contain"
)

const (
	// MetadataEventType marks the messages xsoc posted; the event payload holds "key"
	// (the idempotency key) and, for incident messages, "incident_id".
	MetadataEventType = "xsoc_notification"
	// ActionsBlockID names the block that holds the decision buttons.
	ActionsBlockID = "xsoc_decisions"
	// ActionIDPrefix starts every button's action_id; the decision follows it.
	ActionIDPrefix = "xsoc_"

	outcomeBlockID = "xsoc_outcome"

	// historyLookback is how many of a channel's latest messages are searched for an
	// earlier post with the same key. Retries come within minutes, and a SOC channel
	// does not see this many messages in that time.
	historyLookback = 200

	// Block Kit limits; Slack refuses the whole message beyond them.
	maxHeaderText  = 150
	maxSectionText = 3000
	maxButtonLabel = 75
	maxButtonValue = 2000
	maxButtons     = 25
)

var (
	channelIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{8,}$`)
	decisionPattern  = regexp.MustCompile(`^[a-z][a-z_]*$`)
)

// Client posts to one Slack workspace with one bot token.
type Client struct {
	api *slackapi.Client
	// channelIDs caches "name" -> "C…": conversations.history only takes ids, and
	// listing a large workspace's channels is slow and rate limited.
	channelIDs sync.Map
}

// New returns a client for the bot token. apiURL "" means Slack's real API
// (https://slack.com/api/); anything else, such as a simulator's
// "http://127.0.0.1:9999/api/", replaces it.
func New(token, apiURL string) *Client {
	options := []slackapi.Option{slackapi.OptionHTTPClient(&http.Client{
		Timeout:   30 * time.Second,
		Transport: exchangeRecorder{next: http.DefaultTransport},
	})}
	if apiURL != "" {
		if !strings.HasSuffix(apiURL, "/") {
			apiURL += "/"
		}
		options = append(options, slackapi.OptionAPIURL(apiURL))
	}
	return &Client{api: slackapi.New(token, options...)}
}

// Button is one decision an analyst can take from the message.
type Button struct {
	Decision string // acknowledge | verdict_true_positive | verdict_false_positive | contain
	Label    string
}

// IncidentMessage is what Post sends.
type IncidentMessage struct {
	Channel    string // "#name", "name" or a channel id
	IncidentID string // the Temporal workflow id, carried back by every button
	Title      string
	Text       string
	Buttons    []Button
	// Key is the idempotency key (e.g. "<incident>/<step>/<round>"): posting twice
	// with the same key posts once. Every button carries it back as the page the
	// click answers, so the incident knows whose chain (SOC or customer) it stops.
	Key string
	// Run is the incident's run (its first run id) that posted the message, carried
	// back by every button so that a click decides for that run only; empty on
	// messages not bound to a run.
	Run string
}

// buttonValue is what a button carries back to us in its value. Page is empty on
// buttons posted before buttons carried the page key, Run on those posted before
// they carried the run.
type buttonValue struct {
	Incident string `json:"incident"`
	Decision string `json:"decision"`
	Page     string `json:"page,omitempty"`
	Run      string `json:"run,omitempty"`
}

func (m IncidentMessage) validate() error {
	var problems []string
	if strings.TrimSpace(m.Channel) == "" {
		problems = append(problems, "Channel is empty")
	}
	if m.IncidentID == "" {
		problems = append(problems, "IncidentID is empty")
	}
	if strings.TrimSpace(m.Title) == "" {
		problems = append(problems, "Title is empty")
	}
	if m.Key == "" {
		problems = append(problems, "Key is empty")
	}
	if len(m.Buttons) > maxButtons {
		problems = append(problems, fmt.Sprintf("%d buttons, Slack allows %d", len(m.Buttons), maxButtons))
	}
	seen := map[string]bool{}
	for i, b := range m.Buttons {
		switch {
		case !decisionPattern.MatchString(b.Decision):
			problems = append(problems, fmt.Sprintf("Buttons[%d].Decision %q is not a decision name", i, b.Decision))
		case seen[b.Decision]:
			problems = append(problems, fmt.Sprintf("Buttons[%d].Decision %q appears twice", i, b.Decision))
		}
		seen[b.Decision] = true
		if strings.TrimSpace(b.Label) == "" {
			problems = append(problems, fmt.Sprintf("Buttons[%d].Label is empty", i))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("slack message for incident %q: %s", m.IncidentID, strings.Join(problems, "; "))
	}
	return nil
}

// Post sends the incident message: a header with the title, a section with the text
// and an actions block with one button per decision. It is idempotent: when the
// channel's recent history already holds a message with the same Key, it answers that
// message's channel and ts without posting again.
func (c *Client) Post(ctx context.Context, m IncidentMessage) (channelID, ts string, err error) {
	if err := m.validate(); err != nil {
		return "", "", err
	}
	blocks, err := incidentBlocks(m)
	if err != nil {
		return "", "", err
	}
	payload := map[string]any{"key": m.Key, "incident_id": m.IncidentID}
	return c.postOnce(ctx, m.Channel, m.Key, payload,
		slackapi.MsgOptionText(m.Title, true), slackapi.MsgOptionBlocks(blocks...))
}

// PostText sends a plain status update and answers its ts, with the same idempotency
// by key as Post.
func (c *Client) PostText(ctx context.Context, channel, text, key string) (string, error) {
	switch {
	case strings.TrimSpace(channel) == "":
		return "", errors.New("slack status update: channel is empty")
	case strings.TrimSpace(text) == "":
		return "", fmt.Errorf("slack status update to %s: text is empty", channel)
	case key == "":
		return "", fmt.Errorf("slack status update to %s: key is empty", channel)
	}
	_, ts, err := c.postOnce(ctx, channel, key, map[string]any{"key": key}, slackapi.MsgOptionText(text, true))
	return ts, err
}

// Update replaces a message's buttons with text saying who did what, keeping its
// title, body and metadata. Updating twice leaves one outcome line: the last.
func (c *Client) Update(ctx context.Context, channelID, ts, text string) error {
	switch {
	case channelID == "":
		return errors.New("slack update: channel is empty")
	case ts == "":
		return fmt.Errorf("slack update in %s: ts is empty", channelID)
	case strings.TrimSpace(text) == "":
		return fmt.Errorf("slack update of %s in %s: text is empty", ts, channelID)
	}
	id, err := c.channelID(ctx, channelID)
	if err != nil {
		return err
	}
	if id == "" {
		return &integrations.VendorError{Vendor: vendor, Operation: "chat.update", StatusCode: http.StatusNotFound,
			Message: fmt.Sprintf("channel_not_found: %s is not among the channels the bot can see", channelID)}
	}
	original, err := c.message(ctx, id, ts)
	if err != nil {
		return err
	}
	options := []slackapi.MsgOption{slackapi.MsgOptionBlocks(outcomeBlocks(original, text)...)}
	if original.Text != "" {
		// Already escaped by Slack when it was first posted.
		options = append(options, slackapi.MsgOptionText(original.Text, false))
	}
	if original.Metadata.EventType != "" {
		options = append(options, slackapi.MsgOptionMetadata(original.Metadata))
	}
	ctx, ex := withExchange(ctx)
	if _, _, _, err := c.api.UpdateMessageContext(ctx, id, ts, options...); err != nil {
		return vendorError("chat.update", err, ex)
	}
	return nil
}

// Check asks Slack whether the token is valid (auth.test), for readiness probes.
func (c *Client) Check(ctx context.Context) error {
	ctx, ex := withExchange(ctx)
	if _, err := c.api.AuthTestContext(ctx); err != nil {
		return vendorError("auth.test", err, ex)
	}
	return nil
}

// postOnce posts unless the channel already holds a message with key in its metadata.
func (c *Client) postOnce(ctx context.Context, channel, key string, payload map[string]any, options ...slackapi.MsgOption) (string, string, error) {
	channelID, ts, found, err := c.earlierPost(ctx, channel, key)
	if err != nil || found {
		return channelID, ts, err
	}
	target := channel
	if channelID != "" {
		target = channelID
	}
	options = append(options, slackapi.MsgOptionMetadata(slackapi.SlackMetadata{
		EventType: MetadataEventType, EventPayload: payload,
	}))
	ctx, ex := withExchange(ctx)
	postedIn, ts, err := c.api.PostMessageContext(ctx, target, options...)
	if err != nil {
		return "", "", vendorError("chat.postMessage", err, ex)
	}
	if channelID == "" && postedIn != "" {
		c.channelIDs.Store(channelName(channel), postedIn)
	}
	return postedIn, ts, nil
}

type firstAttemptKey struct{}

// FirstAttempt marks ctx as the first attempt at its posts: nothing carrying their
// keys can have been posted before (an activity's first attempt), so Post and
// PostText post without searching the channel's latest messages for an earlier one.
// The search reads and decodes up to historyLookback messages: in a storm, every page
// paid for it, and it was most of a worker's CPU.
func FirstAttempt(ctx context.Context) context.Context {
	return context.WithValue(ctx, firstAttemptKey{}, true)
}

func isFirstAttempt(ctx context.Context) bool {
	first, _ := ctx.Value(firstAttemptKey{}).(bool)
	return first
}

// earlierPost looks for a message carrying key among the channel's latest messages
// (unless ctx is a FirstAttempt).
// A lookup Slack refuses for good (a missing scope, a channel the bot cannot read) is
// logged and skipped: paging the channel matters more than never paging it twice.
// A lookup that may succeed later fails the post, so that the retry looks again.
func (c *Client) earlierPost(ctx context.Context, channel, key string) (channelID, ts string, found bool, err error) {
	channelID, err = c.channelID(ctx, channel)
	if err == nil && channelID != "" && !isFirstAttempt(ctx) {
		ts, found, err = c.findByKey(ctx, channelID, key)
	}
	var vendorErr *integrations.VendorError
	if err != nil && errors.As(err, &vendorErr) && !vendorErr.Retryable() {
		slog.WarnContext(ctx, "slack: cannot look for an earlier post, posting without the duplicate check",
			"channel", channel, "key", key, "err", err)
		return channelID, "", false, nil
	}
	return channelID, ts, found, err
}

// channelID answers the id of a channel given by id, "#name" or "name", or "" when
// no channel the bot can see has that name.
func (c *Client) channelID(ctx context.Context, channel string) (string, error) {
	if channelIDPattern.MatchString(channel) {
		return channel, nil
	}
	name := channelName(channel)
	if id, ok := c.channelIDs.Load(name); ok {
		return id.(string), nil
	}
	ctx, ex := withExchange(ctx)
	params := &slackapi.GetConversationsParameters{
		ExcludeArchived: true, Limit: 200, Types: []string{"public_channel", "private_channel"},
	}
	found := ""
	for {
		channels, next, err := c.api.GetConversationsContext(ctx, params)
		if err != nil {
			return "", vendorError("conversations.list", err, ex)
		}
		for _, ch := range channels {
			c.channelIDs.Store(ch.Name, ch.ID)
			if ch.Name == name {
				found = ch.ID
			}
		}
		if found != "" || next == "" {
			return found, nil
		}
		params.Cursor = next
	}
}

func channelName(channel string) string {
	return strings.TrimPrefix(strings.TrimSpace(channel), "#")
}

func (c *Client) findByKey(ctx context.Context, channelID, key string) (string, bool, error) {
	ctx, ex := withExchange(ctx)
	history, err := c.api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
		ChannelID: channelID, Limit: historyLookback, IncludeAllMetadata: true,
	})
	if err != nil {
		return "", false, vendorError("conversations.history", err, ex)
	}
	for _, m := range history.Messages {
		if m.Metadata.EventType == MetadataEventType && m.Metadata.EventPayload["key"] == key {
			return m.Timestamp, true, nil
		}
	}
	return "", false, nil
}

// message reads one message, the way Slack documents it: history bounded by its ts.
func (c *Client) message(ctx context.Context, channelID, ts string) (slackapi.Message, error) {
	ctx, ex := withExchange(ctx)
	history, err := c.api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
		ChannelID: channelID, Latest: ts, Oldest: ts, Inclusive: true, Limit: 1, IncludeAllMetadata: true,
	})
	if err != nil {
		return slackapi.Message{}, vendorError("conversations.history", err, ex)
	}
	for _, m := range history.Messages {
		if m.Timestamp == ts {
			return m, nil
		}
	}
	return slackapi.Message{}, &integrations.VendorError{Vendor: vendor, Operation: "conversations.history",
		StatusCode: http.StatusNotFound, Message: fmt.Sprintf("message_not_found: no message %s in channel %s", ts, channelID)}
}

func incidentBlocks(m IncidentMessage) ([]slackapi.Block, error) {
	blocks := []slackapi.Block{
		slackapi.NewHeaderBlock(slackapi.NewTextBlockObject(slackapi.PlainTextType, integrations.Truncate(m.Title, maxHeaderText), true, false)),
	}
	if strings.TrimSpace(m.Text) != "" {
		// Escaped because alert content (detection names, hosts) comes from outside and
		// must not turn into links or @channel mentions.
		text := integrations.Truncate(slackutilsx.EscapeMessage(m.Text), maxSectionText)
		blocks = append(blocks, slackapi.NewSectionBlock(slackapi.NewTextBlockObject(slackapi.MarkdownType, text, false, false), nil, nil))
	}
	if len(m.Buttons) == 0 {
		return blocks, nil
	}
	elements := make([]slackapi.BlockElement, 0, len(m.Buttons))
	for _, b := range m.Buttons {
		value, err := json.Marshal(buttonValue{Incident: m.IncidentID, Decision: b.Decision, Page: m.Key, Run: m.Run})
		if err != nil {
			return nil, fmt.Errorf("slack message for incident %q: encoding button %q: %w", m.IncidentID, b.Decision, err)
		}
		if len(value) > maxButtonValue {
			return nil, fmt.Errorf("slack message for incident %q: button %q value is %d bytes, Slack allows %d",
				m.IncidentID, b.Decision, len(value), maxButtonValue)
		}
		button := slackapi.NewButtonBlockElement(ActionIDPrefix+b.Decision, string(value),
			slackapi.NewTextBlockObject(slackapi.PlainTextType, integrations.Truncate(b.Label, maxButtonLabel), true, false))
		switch b.Decision {
		case DecisionAcknowledge:
			button = button.WithStyle(slackapi.StylePrimary)
		case DecisionContain:
			button = button.WithStyle(slackapi.StyleDanger)
		}
		elements = append(elements, button)
	}
	return append(blocks, slackapi.NewActionBlock(ActionsBlockID, elements...)), nil
}

// outcomeBlocks keeps what the message said, drops its buttons and any earlier
// outcome, and appends the outcome text.
func outcomeBlocks(original slackapi.Message, outcome string) []slackapi.Block {
	var blocks []slackapi.Block
	for _, b := range original.Blocks.BlockSet {
		if id := b.ID(); id == ActionsBlockID || id == outcomeBlockID {
			continue
		}
		blocks = append(blocks, b)
	}
	if len(blocks) == 0 && strings.TrimSpace(original.Text) != "" {
		blocks = append(blocks, slackapi.NewSectionBlock(
			slackapi.NewTextBlockObject(slackapi.MarkdownType, integrations.Truncate(original.Text, maxSectionText), false, false), nil, nil))
	}
	text := integrations.Truncate(slackutilsx.EscapeMessage(outcome), maxSectionText)
	return append(blocks, slackapi.NewSectionBlock(
		slackapi.NewTextBlockObject(slackapi.MarkdownType, text, false, false), nil, nil,
		slackapi.SectionBlockOptionBlockID(outcomeBlockID)))
}

// exchange is what we saw of a non-200 answer: slack-go keeps only the status code
// (and Retry-After only when it is in seconds), and the person reading the incident
// needs Slack's own error.
type exchange struct {
	status     int
	statusText string
	header     http.Header
	body       []byte
}

type exchangeKey struct{}

func withExchange(ctx context.Context) (context.Context, *exchange) {
	ex := &exchange{}
	return context.WithValue(ctx, exchangeKey{}, ex), ex
}

// exchangeRecorder copies non-200 answers into the request's exchange.
type exchangeRecorder struct{ next http.RoundTripper }

// maxErrorBody bounds what we keep of an error answer; Slack's are a few hundred bytes.
const maxErrorBody = 64 << 10

func (t exchangeRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode == http.StatusOK {
		return resp, err
	}
	ex, ok := req.Context().Value(exchangeKey{}).(*exchange)
	if !ok {
		return resp, nil
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	if readErr != nil {
		body = nil
	}
	ex.status, ex.statusText, ex.header, ex.body = resp.StatusCode, resp.Status, resp.Header.Clone(), body
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// vendorError turns a slack-go error into a *integrations.VendorError. Slack refuses
// most requests with HTTP 200 and {"ok":false,"error":"<code>"}; those codes are
// given the HTTP status that says what they mean, so that Retryable() is right.
func vendorError(operation string, err error, ex *exchange) error {
	if ex.status != 0 {
		return &integrations.VendorError{
			Vendor:     vendor,
			Operation:  operation,
			StatusCode: ex.status,
			Message:    integrations.VendorMessage(ex.body, ex.statusText),
			RetryAfter: integrations.ParseRetryAfter(ex.header.Get("Retry-After"), time.Now()),
		}
	}
	var refusal slackapi.SlackErrorResponse
	if errors.As(err, &refusal) {
		message := refusal.Err
		if refusal.Needed != "" {
			message += fmt.Sprintf(" (needed scope %s, token has %s)", refusal.Needed, refusal.Provided)
		}
		return &integrations.VendorError{Vendor: vendor, Operation: operation,
			StatusCode: statusOfSlackError(refusal.Err), Message: message}
	}
	var limited *slackapi.RateLimitedError
	if errors.As(err, &limited) {
		return &integrations.VendorError{Vendor: vendor, Operation: operation,
			StatusCode: http.StatusTooManyRequests, Message: "ratelimited", RetryAfter: limited.RetryAfter}
	}
	// No answer at all (connection refused, timeout, cancelled): worth another try.
	return &integrations.VendorError{Vendor: vendor, Operation: operation, Message: err.Error()}
}

func statusOfSlackError(code string) int {
	switch code {
	case "not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired", "no_permission":
		return http.StatusUnauthorized
	case "missing_scope", "not_in_channel", "is_archived", "restricted_action", "cant_update_message",
		"edit_window_closed", "ekm_access_denied", "access_denied":
		return http.StatusForbidden
	case "channel_not_found", "message_not_found", "user_not_found":
		return http.StatusNotFound
	case "ratelimited", "rate_limited":
		return http.StatusTooManyRequests
	case "request_timeout":
		return http.StatusRequestTimeout
	case "internal_error", "fatal_error", "service_unavailable":
		return http.StatusServiceUnavailable
	default:
		return http.StatusBadRequest
	}
}
