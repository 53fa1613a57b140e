// Package twilio phones and texts the people on an escalation chain through
// twilio-go, builds the TwiML that asks them to press a key, and checks the
// signatures of the callbacks Twilio sends back. Texts arrive already written in the
// customer's language and are only carried.
//
// Idempotency. Every call and SMS has a key, so that an activity retried after a lost
// answer does not ring a person twice:
//
//   - SMS: the Message resource echoes the body, so the body ends with a short
//     reference derived from the key ("(ref 1a2b3c4d5e)"); before sending, the latest
//     messages to that number from our number are searched for it. This holds across
//     processes.
//   - Calls: the key travels in the StatusCallback URL's query (KeyParam), which the
//     callbacks carry back and the signature covers. The Call resource, however, echoes
//     nothing we set besides To and From (not the callback URL, not the TwiML), so a
//     listed call cannot be matched to a key. The client therefore remembers the calls
//     it placed by key; and when an earlier attempt ended without a clear answer (no
//     answer, 5xx), it lists the calls to that number from our number and takes the
//     one created since that attempt. A retry in another process after a lost answer
//     can still ring twice.
package twilio

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	twilioclient "github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"xsoc/integrations"
)

const vendor = "twilio"

// KeyParam is the query parameter of the StatusCallback URL that carries the call's
// idempotency key.
const KeyParam = "xsoc_key"

// StatusCallbackEvents are the call progress events Twilio reports to StatusCallback.
var StatusCallbackEvents = []string{"initiated", "ringing", "answered", "completed"}

const (
	// Twilio's limits: the Twiml parameter and an SMS body.
	maxTwiML   = 4000
	maxSMSBody = 1600

	// recentLookback is how many of the latest calls or messages to a number are
	// searched for an earlier attempt.
	recentLookback = 50
	// clockSkew allows for the difference between our clock and Twilio's when
	// matching a call to the attempt that created it.
	clockSkew = 30 * time.Second
	// rememberFor is how long placed calls are remembered by key; an activity's
	// retries are over well before.
	rememberFor = 24 * time.Hour
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// Client calls and texts from one Twilio number of one account.
type Client struct {
	accountSID, authToken, from string
	base                        *url.URL // nil: Twilio's own https://api.twilio.com
	baseErr                     error
	timeout                     time.Duration

	mu    sync.Mutex
	calls map[string]placedCall
}

// placedCall is what we know of the call made for a key: its sid, or (sid "") that an
// attempt started at attempted ended without telling us whether the call exists.
type placedCall struct {
	sid       string
	attempted time.Time
}

// New returns a client for the account, calling and texting from the number from.
// apiURL "" means Twilio's real API; anything else (e.g. a simulator's
// "http://127.0.0.1:9998") stands in for https://api.twilio.com.
func New(accountSID, authToken, from, apiURL string) *Client {
	c := &Client{accountSID: accountSID, authToken: authToken, from: from,
		timeout: 30 * time.Second, calls: map[string]placedCall{}}
	if apiURL != "" {
		u, err := url.Parse(apiURL)
		switch {
		case err != nil:
			c.baseErr = fmt.Errorf("twilio API URL %q: %w", apiURL, err)
		case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
			c.baseErr = fmt.Errorf("twilio API URL %q: want http(s)://host[:port]", apiURL)
		default:
			c.base = u
		}
	}
	return c
}

// Call is one phone call to place.
type Call struct {
	To             string // E.164, e.g. "+81300000001"
	TwiML          string // what the call plays, e.g. from CallTwiML
	StatusCallback string // absolute URL; KeyParam is added to its query
	// MachineDetection asks Twilio to tell a person from voicemail (AnsweredBy).
	MachineDetection bool
	Key              string // idempotency key
}

func (c *Client) configured() error {
	var problems []string
	if c.baseErr != nil {
		problems = append(problems, c.baseErr.Error())
	}
	if c.accountSID == "" {
		problems = append(problems, "account SID is empty")
	}
	if c.authToken == "" {
		problems = append(problems, "auth token is empty")
	}
	if !e164.MatchString(c.from) {
		problems = append(problems, fmt.Sprintf("From number %q is not E.164 (+<country><number>)", c.from))
	}
	if len(problems) > 0 {
		return fmt.Errorf("twilio client: %s", strings.Join(problems, "; "))
	}
	return nil
}

func (call Call) validate() error {
	var problems []string
	if !e164.MatchString(call.To) {
		problems = append(problems, fmt.Sprintf("To %q is not E.164 (+<country><number>)", call.To))
	}
	switch n := utf8.RuneCountInString(call.TwiML); {
	case n == 0:
		problems = append(problems, "TwiML is empty")
	case n > maxTwiML:
		problems = append(problems, fmt.Sprintf("TwiML is %d characters, Twilio allows %d", n, maxTwiML))
	}
	if err := checkCallbackURL(call.StatusCallback); err != nil {
		problems = append(problems, "StatusCallback "+err.Error())
	}
	if call.Key == "" {
		problems = append(problems, "Key is empty")
	}
	if len(problems) > 0 {
		return fmt.Errorf("twilio call to %s: %s", call.To, strings.Join(problems, "; "))
	}
	return nil
}

func checkCallbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q: %v", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return nil
}

// PlaceCall creates the call: the TwiML inline, progress events
// initiated/ringing/answered/completed POSTed to StatusCallback (with the key in its
// query), answering-machine detection when asked (synchronous, so the TwiML only
// plays once Twilio knows who answered). Placing the same key again answers the
// first call's sid; see the package comment for how far that holds.
func (c *Client) PlaceCall(ctx context.Context, call Call) (string, error) {
	if err := c.configured(); err != nil {
		return "", err
	}
	if err := call.validate(); err != nil {
		return "", err
	}
	callback := withKey(call.StatusCallback, call.Key)

	known, ok := c.placed(call.Key)
	if ok && known.sid != "" {
		return known.sid, nil
	}
	if ok {
		sid, found, err := c.callSince(ctx, call.To, known.attempted)
		if err != nil {
			return "", err
		}
		if found {
			c.remember(call.Key, placedCall{sid: sid})
			return sid, nil
		}
	}

	params := &openapi.CreateCallParams{}
	params.SetTo(call.To).SetFrom(c.from).SetTwiml(call.TwiML).
		SetStatusCallback(callback).SetStatusCallbackEvent(StatusCallbackEvents).SetStatusCallbackMethod(http.MethodPost)
	if call.MachineDetection {
		params.SetMachineDetection("Enable").SetAsyncAmd("false")
	}
	attempted := time.Now()
	api, ex, done := c.api(ctx)
	defer done()
	created, err := api.CreateCall(params)
	if err != nil {
		vendorErr := vendorError("create call to "+call.To, err, ex)
		if unclear(vendorErr) {
			c.remember(call.Key, placedCall{attempted: attempted})
		}
		return "", vendorErr
	}
	if created.Sid == nil || *created.Sid == "" {
		return "", &integrations.VendorError{Vendor: vendor, Operation: "create call to " + call.To,
			StatusCode: http.StatusOK, Message: "answer has no call sid"}
	}
	c.remember(call.Key, placedCall{sid: *created.Sid})
	return *created.Sid, nil
}

// SendSMS texts body to the number to and answers the message sid. The body ends with
// a reference derived from key; a message to the same number already carrying it is
// answered instead of sending again.
func (c *Client) SendSMS(ctx context.Context, to, body, key string) (string, error) {
	if err := c.configured(); err != nil {
		return "", err
	}
	switch {
	case !e164.MatchString(to):
		return "", fmt.Errorf("twilio SMS: To %q is not E.164 (+<country><number>)", to)
	case strings.TrimSpace(body) == "":
		return "", fmt.Errorf("twilio SMS to %s: body is empty", to)
	case key == "":
		return "", fmt.Errorf("twilio SMS to %s: key is empty", to)
	}
	ref := Reference(key)
	text := integrations.Truncate(body, maxSMSBody-utf8.RuneCountInString(ref)-1) + "\n" + ref

	sid, found, err := c.messageWith(ctx, to, ref)
	if err != nil || found {
		return sid, err
	}
	params := &openapi.CreateMessageParams{}
	params.SetTo(to).SetFrom(c.from).SetBody(text)
	api, ex, done := c.api(ctx)
	defer done()
	created, err := api.CreateMessage(params)
	if err != nil {
		return "", vendorError("send SMS to "+to, err, ex)
	}
	if created.Sid == nil || *created.Sid == "" {
		return "", &integrations.VendorError{Vendor: vendor, Operation: "send SMS to " + to,
			StatusCode: http.StatusOK, Message: "answer has no message sid"}
	}
	return *created.Sid, nil
}

// Reference is the tag an SMS sent with key ends with: short, and the same for the
// same key in every process.
func Reference(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "(ref " + hex.EncodeToString(sum[:5]) + ")"
}

func (c *Client) placed(key string) (placedCall, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.calls[key]
	return p, ok
}

func (c *Client) remember(key string, p placedCall) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if p.attempted.IsZero() {
		p.attempted = now
	}
	for k, old := range c.calls {
		if now.Sub(old.attempted) > rememberFor {
			delete(c.calls, k)
		}
	}
	c.calls[key] = p
}

// callSince answers the earliest call to the number from our number created since an
// attempt that left us without an answer.
func (c *Client) callSince(ctx context.Context, to string, attempted time.Time) (string, bool, error) {
	params := &openapi.ListCallParams{}
	params.SetTo(to).SetFrom(c.from).SetPageSize(recentLookback)
	api, ex, done := c.api(ctx)
	defer done()
	page, err := api.PageCall(params, "", "")
	if err != nil {
		return "", false, vendorError("list calls to "+to, err, ex)
	}
	sid, earliest := "", time.Time{}
	for _, call := range page.Calls {
		if call.Sid == nil || call.DateCreated == nil {
			continue
		}
		created, err := time.Parse(time.RFC1123Z, *call.DateCreated)
		if err != nil || created.Before(attempted.Add(-clockSkew)) {
			continue
		}
		if sid == "" || created.Before(earliest) {
			sid, earliest = *call.Sid, created
		}
	}
	return sid, sid != "", nil
}

// messageWith answers a recent message to the number from our number whose body
// carries ref.
func (c *Client) messageWith(ctx context.Context, to, ref string) (string, bool, error) {
	params := &openapi.ListMessageParams{}
	params.SetTo(to).SetFrom(c.from).SetPageSize(recentLookback)
	api, ex, done := c.api(ctx)
	defer done()
	page, err := api.PageMessage(params, "", "")
	if err != nil {
		return "", false, vendorError("list messages to "+to, err, ex)
	}
	for _, m := range page.Messages {
		if m.Sid != nil && m.Body != nil && strings.Contains(*m.Body, ref) {
			return *m.Sid, true, nil
		}
	}
	return "", false, nil
}

// withKey adds the key to the callback URL's query. The URL was checked by validate.
func withKey(callback, key string) string {
	u, _ := url.Parse(callback)
	query := u.Query()
	query.Set(KeyParam, key)
	u.RawQuery = query.Encode()
	return u.String()
}

// unclear says whether a failed create may still have created the call.
func unclear(err *integrations.VendorError) bool {
	return err.StatusCode == 0 || err.StatusCode >= 500
}

// api answers a twilio-go service bound to ctx for one operation. twilio-go takes no
// context and keeps no answer headers on error, so the HTTP client under it carries
// ctx and notes the failed answer (status, Retry-After, body) in ex.
func (c *Client) api(ctx context.Context) (*openapi.ApiService, *exchange, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	ex := &exchange{}
	httpClient := &http.Client{
		Transport: boundTransport{ctx: ctx, next: http.DefaultTransport, ex: ex},
		// As twilio-go's own client: a 3xx is an answer, not a place to go.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	base := &twilioclient.Client{Credentials: twilioclient.NewCredentials(c.accountSID, c.authToken), HTTPClient: httpClient}
	base.SetAccountSid(c.accountSID)
	var client twilioclient.BaseClient = base
	if c.base != nil {
		client = rebasedClient{Client: base, base: c.base}
	}
	return openapi.NewApiServiceWithClient(client), ex, cancel
}

// rebasedClient sends what twilio-go addresses to https://api.twilio.com (or a
// regional host) to the configured base instead.
type rebasedClient struct {
	*twilioclient.Client
	base *url.URL
}

func (r rebasedClient) SendRequest(method, rawURL string, data url.Values, headers map[string]interface{}, body ...byte) (*http.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	u.Scheme, u.Host = r.base.Scheme, r.base.Host
	u.Path = strings.TrimSuffix(r.base.Path, "/") + u.Path
	return r.Client.SendRequest(method, u.String(), data, headers, body...)
}

type exchange struct {
	status     int
	statusText string
	header     http.Header
	body       []byte
}

type boundTransport struct {
	ctx  context.Context
	next http.RoundTripper
	ex   *exchange
}

// maxErrorBody bounds what we keep of an error answer; Twilio's are a few hundred bytes.
const maxErrorBody = 64 << 10

func (t boundTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req.WithContext(t.ctx))
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	if readErr != nil {
		body = nil
	}
	t.ex.status, t.ex.statusText, t.ex.header, t.ex.body = resp.StatusCode, resp.Status, resp.Header.Clone(), body
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// vendorError turns a twilio-go error into a *integrations.VendorError with Twilio's
// message and error code.
func vendorError(operation string, err error, ex *exchange) *integrations.VendorError {
	vendorErr := &integrations.VendorError{Vendor: vendor, Operation: operation, Message: err.Error()}
	var rest *twilioclient.TwilioRestError
	if errors.As(err, &rest) {
		vendorErr.StatusCode = rest.Status
		vendorErr.Message = rest.Message
		if rest.Code != 0 {
			vendorErr.Message = fmt.Sprintf("%s (Twilio error %d, %s)", rest.Message, rest.Code, rest.MoreInfo)
		}
	}
	if ex.status != 0 {
		vendorErr.StatusCode = ex.status
		vendorErr.RetryAfter = integrations.ParseRetryAfter(ex.header.Get("Retry-After"), time.Now())
		if rest == nil || rest.Message == "" {
			vendorErr.Message = integrations.VendorMessage(ex.body, ex.statusText)
		}
	}
	return vendorErr
}
