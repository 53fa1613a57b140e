package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"
)

// Why VerifyRequest refused a request; all of them mean "answer 401".
var (
	ErrMissingSignature = errors.New("missing X-Slack-Signature or X-Slack-Request-Timestamp header")
	ErrStaleTimestamp   = errors.New("stale X-Slack-Request-Timestamp")
	ErrBadSignature     = errors.New("bad X-Slack-Signature")
)

// MaxSkew is how far a request's timestamp may be from now: Slack's own advice, and
// what keeps a captured request from being replayed later.
const MaxSkew = 5 * time.Minute

// maxInteractionBody bounds an interactivity request; a block_actions payload carries
// the whole message and stays well under this.
const maxInteractionBody = 1 << 20

// VerifyRequest checks that r was signed by Slack with signingSecret within MaxSkew
// of now, and answers its body (r.Body is left readable again). The error wraps
// ErrMissingSignature, ErrStaleTimestamp or ErrBadSignature and says why.
//
// now should be the wall clock: slack-go's verifier, which checks the signature, also
// refuses timestamps more than five minutes from time.Now().
func VerifyRequest(r *http.Request, signingSecret string, now time.Time) ([]byte, error) {
	if signingSecret == "" {
		return nil, errors.New("slack request: no signing secret configured")
	}
	signature, stamp := r.Header.Get("X-Slack-Signature"), r.Header.Get("X-Slack-Request-Timestamp")
	switch {
	case signature == "":
		return nil, fmt.Errorf("slack request: %w: no X-Slack-Signature", ErrMissingSignature)
	case stamp == "":
		return nil, fmt.Errorf("slack request: %w: no X-Slack-Request-Timestamp", ErrMissingSignature)
	}
	secs, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("slack request: %w: %q is not a Unix time", ErrStaleTimestamp, stamp)
	}
	if skew := now.Sub(time.Unix(secs, 0)); skew > MaxSkew || skew < -MaxSkew {
		return nil, fmt.Errorf("slack request: %w: signed %s from now, more than %s", ErrStaleTimestamp,
			skew.Abs().Truncate(time.Second), MaxSkew)
	}
	if r.Body == nil {
		return nil, errors.New("slack request: no body")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxInteractionBody+1))
	if err != nil {
		return nil, fmt.Errorf("slack request: reading body: %w", err)
	}
	if len(body) > maxInteractionBody {
		return nil, fmt.Errorf("slack request: body over %d bytes", maxInteractionBody)
	}
	verifier, err := slackapi.NewSecretsVerifier(r.Header, signingSecret)
	switch {
	case errors.Is(err, slackapi.ErrExpiredTimestamp):
		return nil, fmt.Errorf("slack request: %w: more than %s from this machine's clock", ErrStaleTimestamp, MaxSkew)
	case err != nil:
		return nil, fmt.Errorf("slack request: %w: %v", ErrBadSignature, err)
	}
	if _, err := verifier.Write(body); err != nil {
		return nil, fmt.Errorf("slack request: hashing body: %w", err)
	}
	if err := verifier.Ensure(); err != nil {
		return nil, fmt.Errorf("slack request: %w: it does not match the body and timestamp", ErrBadSignature)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// Interaction is one click on one of our decision buttons.
type Interaction struct {
	IncidentID  string // the Temporal workflow id the button carried
	Decision    string // acknowledge | verdict_true_positive | verdict_false_positive | contain
	Page        string // the key of the page the button was on; empty on buttons older than page keys
	Run         string // the incident's run that posted the button; empty on buttons older than that
	UserID      string
	UserName    string
	ChannelID   string
	MessageTS   string
	ResponseURL string
}

// ParseInteraction reads the form body of an interactivity request (payload=<JSON of
// a block_actions interaction>) and answers the click on our decision button.
func ParseInteraction(body []byte) (Interaction, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return Interaction{}, fmt.Errorf("slack interaction: body is not a form: %w", err)
	}
	payload := form.Get("payload")
	if payload == "" {
		return Interaction{}, errors.New("slack interaction: no payload field in the form")
	}
	var callback slackapi.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &callback); err != nil {
		return Interaction{}, fmt.Errorf("slack interaction: payload is not an interaction: %w", err)
	}
	if callback.Type != slackapi.InteractionTypeBlockActions {
		return Interaction{}, fmt.Errorf("slack interaction: type %q, want %q", callback.Type, slackapi.InteractionTypeBlockActions)
	}
	action, err := decisionAction(callback.ActionCallback.BlockActions)
	if err != nil {
		return Interaction{}, err
	}
	var value buttonValue
	if err := json.Unmarshal([]byte(action.Value), &value); err != nil {
		return Interaction{}, fmt.Errorf("slack interaction: button %q value is not ours: %w", action.ActionID, err)
	}
	if value.Incident == "" || value.Decision == "" {
		return Interaction{}, fmt.Errorf("slack interaction: button %q value %q lacks incident or decision", action.ActionID, action.Value)
	}
	in := Interaction{
		IncidentID:  value.Incident,
		Decision:    value.Decision,
		Page:        value.Page,
		Run:         value.Run,
		UserID:      callback.User.ID,
		UserName:    firstNonEmpty(callback.User.Name, callback.User.Username),
		ChannelID:   firstNonEmpty(callback.Container.ChannelID, callback.Channel.ID),
		MessageTS:   firstNonEmpty(callback.Container.MessageTs, callback.Message.Timestamp),
		ResponseURL: callback.ResponseURL,
	}
	if in.UserID == "" {
		return Interaction{}, errors.New("slack interaction: no user id")
	}
	return in, nil
}

func decisionAction(actions []*slackapi.BlockAction) (*slackapi.BlockAction, error) {
	for _, a := range actions {
		if a != nil && (a.BlockID == ActionsBlockID || strings.HasPrefix(a.ActionID, ActionIDPrefix)) {
			return a, nil
		}
	}
	return nil, fmt.Errorf("slack interaction: none of its %d actions is an xsoc decision button", len(actions))
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
