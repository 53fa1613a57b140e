// Package zscaler connects xsoc to Zscaler Internet Access (ZIA): it parses the web logs
// a Cloud NSS feed pushes to the intake into alerts (alerts.go), and it drives the ZIA
// cloud service API for containment and investigation (client.go, containment.go,
// investigate.go). ZIA is a secure web gateway, not an EDR: it cannot isolate a host, so
// containment puts the alert's URLs, domains and IPs on the customer's advanced-threat
// denylist and activates the change. It pushes and is never polled.
package zscaler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"xsoc/integrations"
)

// sessionCookie is the cookie ZIA answers a login with and expects on every call.
const sessionCookie = "JSESSIONID"

// Client is one customer's ZIA tenant, as the incident workflow uses it. It is safe for
// concurrent use: activities share one session and log in again when it expires.
type Client struct {
	base     string // e.g. https://zsapi.zscaler.net/api/v1
	http     *http.Client
	apiKey   string
	username string
	password string
	now      func() time.Time

	session integrations.Session
}

var _ integrations.Platform = (*Client)(nil)

func init() {
	integrations.Register(integrations.Vendor{
		Name: Vendor,
		// ZIA blocks indicators and looks them up; it has no host isolation and no
		// alert status to write a verdict to.
		Capabilities: integrations.Capabilities{BlockIndicators: true, Investigate: true},
		Credentials:  []integrations.Credential{integrations.APIKey, integrations.Username, integrations.Password},
		// A Cloud NSS feed pushes the web logs; ZIA has no alert API to poll.
		Polled:    false,
		NewClient: func(c integrations.Connection) (integrations.Platform, error) { return New(c) },
		Parse:     ParseFeed,
	})
}

// New builds a ZIA client for one customer. c.URL is the tenant's API host (e.g.
// https://zsapi.zscaler.net); it logs in with the connection's API key, admin username
// and password.
func New(c integrations.Connection) (*Client, error) {
	base, err := apiBase(c.URL)
	if err != nil {
		return nil, err
	}
	apiKey := c.Secrets[integrations.APIKey]
	// The obfuscation picks key characters at digit+2 up to index 11.
	if len(apiKey) < 12 {
		return nil, fmt.Errorf("zscaler platform %s: the API key has %d characters; a ZIA API key has at least 12", c.URL, len(apiKey))
	}
	return &Client{
		base:     base,
		http:     integrations.NewHTTPClient(30 * time.Second),
		apiKey:   apiKey,
		username: c.Secrets[integrations.Username],
		password: c.Secrets[integrations.Password],
		now:      time.Now,
	}, nil
}

// apiBase accepts the tenant's host with or without the /api/v1 prefix.
func apiBase(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("zscaler: url %q is not an http(s) URL of the ZIA API (e.g. https://zsapi.zscaler.net)", raw)
	}
	base := strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/")
	if !strings.HasSuffix(base, "/api/v1") {
		base += "/api/v1"
	}
	return base, nil
}

// Isolate is not something a web gateway can do; containment on ZIA is Block.
func (c *Client) Isolate(_ context.Context, host integrations.Host) (integrations.ActionResult, error) {
	return integrations.ActionResult{}, fmt.Errorf("zscaler cannot isolate host %s (block its indicators instead): %w", host.Label(), integrations.ErrUnsupported)
}

// Release is not something a web gateway can do; its counterpart on ZIA is Unblock.
func (c *Client) Release(_ context.Context, host integrations.Host) (integrations.ActionResult, error) {
	return integrations.ActionResult{}, fmt.Errorf("zscaler cannot release host %s (unblock its indicators instead): %w", host.Label(), integrations.ErrUnsupported)
}

// WriteBack does nothing: an NSS web-log record is a log line, not an alert object with
// a status, and ZIA has no API to annotate it, so the verdict lives in xsoc alone.
func (c *Client) WriteBack(context.Context, integrations.Conclusion) error { return nil }

// call performs one API request with the session cookie, logging in first when there is
// no session and once more when ZIA answers 401 (the session timed out or was ended).
func (c *Client) call(ctx context.Context, operation, method, path string, body, out any) error {
	session, err := c.session.Current(ctx, c.login)
	if err != nil {
		return err
	}
	_, err = c.send(ctx, operation, method, path, session, body, out)
	var vendorErr *integrations.VendorError
	if !errors.As(err, &vendorErr) || vendorErr.StatusCode != http.StatusUnauthorized {
		return err
	}
	if session, err = c.session.Renew(ctx, session, c.login); err != nil {
		return err
	}
	_, err = c.send(ctx, operation, method, path, session, body, out)
	return err
}

// login creates an API session: POST /authenticatedSession with the API key obfuscated
// by the current time, as ZIA requires, and keeps the JSESSIONID cookie it answers.
func (c *Client) login(ctx context.Context) (string, error) {
	timestamp := c.now().UnixMilli()
	body := map[string]any{
		"apiKey":    obfuscateAPIKey(c.apiKey, timestamp),
		"username":  c.username,
		"password":  c.password,
		"timestamp": timestamp,
	}
	operation := "authenticate " + c.username
	resp, err := c.send(ctx, operation, http.MethodPost, "/authenticatedSession", "", body, nil)
	if err != nil {
		return "", err
	}
	for _, cookie := range resp.Cookies() {
		if cookie.Name == sessionCookie && cookie.Value != "" {
			return cookie.Value, nil
		}
	}
	return "", &integrations.VendorError{Vendor: Vendor, Operation: operation, StatusCode: resp.StatusCode,
		Message: "authenticatedSession answered without a " + sessionCookie + " cookie"}
}

// obfuscateAPIKey is ZIA's documented key obfuscation: with n the last six digits of
// the millisecond timestamp and r = n>>1 padded to six digits, the key is the API key's
// characters at each digit of n, then at each digit of r plus 2.
func obfuscateAPIKey(apiKey string, timestamp int64) string {
	digits := strconv.FormatInt(timestamp, 10)
	if len(digits) < 6 {
		digits = strings.Repeat("0", 6-len(digits)) + digits
	}
	n := digits[len(digits)-6:]
	value, _ := strconv.Atoi(n)
	r := fmt.Sprintf("%06d", value>>1)
	var key strings.Builder
	for _, d := range n {
		if i := int(d - '0'); i < len(apiKey) {
			key.WriteByte(apiKey[i])
		}
	}
	for _, d := range r {
		if i := int(d-'0') + 2; i < len(apiKey) {
			key.WriteByte(apiKey[i])
		}
	}
	return key.String()
}

// send performs one request. A 429's wait is read from the Retry-After header and
// from the "Retry-After" ZIA writes in the JSON body ("0 seconds"), the longer one wins.
func (c *Client) send(ctx context.Context, operation, method, path, session string, body, out any) (*http.Response, error) {
	var reader io.Reader
	if body != nil {
		encoded, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("zscaler %s: encoding request: %w", operation, err)
		}
		reader = bytes.NewReader(encoded)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, reader)
	if err != nil {
		return nil, fmt.Errorf("zscaler %s: %w", operation, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "xsoc")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if session != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
	}
	resp, answer, err := integrations.Send(c.http, Vendor, operation, req)
	if err != nil {
		var vendorErr *integrations.VendorError
		if errors.As(err, &vendorErr) && vendorErr.StatusCode == http.StatusTooManyRequests {
			vendorErr.RetryAfter = max(vendorErr.RetryAfter, bodyRetryAfter(answer))
		}
		return resp, err
	}
	if out != nil && len(bytes.TrimSpace(answer)) > 0 {
		if err := json.Unmarshal(answer, out); err != nil {
			return resp, &integrations.VendorError{Vendor: Vendor, Operation: operation, StatusCode: resp.StatusCode,
				Message: fmt.Sprintf("answer is not the expected JSON: %v", err)}
		}
	}
	return resp, nil
}

var retryAfterText = regexp.MustCompile(`^\s*(\d+)\s*(s|sec|secs|second|seconds)?\s*$`)

// bodyRetryAfter reads {"message": "Rate Limit (1/SECOND) exceeded", "Retry-After": "0 seconds"}.
func bodyRetryAfter(body []byte) time.Duration {
	var fields map[string]any
	if json.Unmarshal(body, &fields) != nil {
		return 0
	}
	for key, value := range fields {
		if !strings.EqualFold(key, "Retry-After") {
			continue
		}
		text := fmt.Sprint(value)
		if m := retryAfterText.FindStringSubmatch(text); m != nil {
			if secs, err := strconv.Atoi(m[1]); err == nil {
				return time.Duration(secs) * time.Second
			}
		}
	}
	return 0
}
