// Package cybereason connects xsoc to a customer's Cybereason console: it reads MalOps
// (pushed bodies through ParseAlerts, polled ones through Client.Poll), isolates and
// releases machines through their sensors, gathers what the console knows about a
// MalOp, and writes the verdict back as a comment and a MalOp status.
//
// Cybereason authenticates with a form login (POST /login.html) that answers a
// JSESSIONID cookie. An expired session is not an HTTP error: a /rest call then answers
// 200 with the HTML login page. The client logs in again once and repeats the call.
package cybereason

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"xsoc/integrations"
)

// Vendor is the platform name in the customers file, alert URLs and workflow ids.
const Vendor = "cybereason"

// requestTimeout bounds one call to the console; the visualsearch queries behind
// Investigate are the slow ones and still answer well within it.
const requestTimeout = 60 * time.Second

// Client is one customer's Cybereason console. It is safe for concurrent use: calls
// share one session, and a session that expires is renewed once for all of them.
type Client struct {
	baseURL     string
	username    string
	password    string
	http        *http.Client
	severityMap map[string]integrations.Severity
	now         func() time.Time

	session integrations.Session
}

var (
	_ integrations.Platform = (*Client)(nil)
	_ integrations.Poller   = (*Client)(nil)
)

func init() {
	integrations.Register(integrations.Vendor{
		Name: Vendor,
		// Cybereason isolates machines; it has no indicator denylist xsoc drives.
		Capabilities: integrations.Capabilities{IsolateHost: true, Investigate: true, WriteBackVerdict: true},
		Credentials:  []integrations.Credential{integrations.Username, integrations.Password},
		Polled:       true,
		NewClient:    func(c integrations.Connection) (integrations.Platform, error) { return New(c) },
		Parse:        integrations.EveryEventAnAlert(ParseAlerts),
	})
}

// New builds a client for one customer's Cybereason console, logging in with the
// connection's username and password.
func New(c integrations.Connection) (*Client, error) {
	base, err := baseURL(c.URL)
	if err != nil {
		return nil, err
	}
	severityMap, err := normalizeSeverityMap(c.SeverityMap)
	if err != nil {
		return nil, err
	}
	return &Client{
		baseURL:     base,
		username:    c.Secrets[integrations.Username],
		password:    c.Secrets[integrations.Password],
		http:        integrations.NewHTTPClient(requestTimeout),
		severityMap: severityMap,
		now:         time.Now,
	}, nil
}

func baseURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("cybereason: url is required (e.g. https://acme.cybereason.net)")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("cybereason: url %q is not an http(s) URL of the console", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// errSessionExpired marks an answer that shows the session is no longer valid.
var errSessionExpired = errors.New("session expired")

// postJSON sends v as JSON to a /rest path and decodes the answer into out.
func (c *Client) postJSON(ctx context.Context, op, path string, v, out any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("cybereason %s: encoding the request: %w", op, err)
	}
	return c.call(ctx, op, http.MethodPost, path, "application/json", body, out)
}

// call sends one request in the current session, logging in again once if the
// console shows the session has expired. out, when not nil, receives the JSON answer.
func (c *Client) call(ctx context.Context, op, method, path, contentType string, body []byte, out any) error {
	session, err := c.session.Current(ctx, c.login)
	if err != nil {
		return err
	}
	answer, err := c.send(ctx, op, method, path, contentType, body, session)
	if errors.Is(err, errSessionExpired) {
		slog.InfoContext(ctx, "cybereason session expired, logging in again", "vendor", Vendor, "console", c.baseURL, "operation", op)
		if session, err = c.session.Renew(ctx, session, c.login); err != nil {
			return err
		}
		answer, err = c.send(ctx, op, method, path, contentType, body, session)
		if errors.Is(err, errSessionExpired) {
			return &integrations.VendorError{Vendor: Vendor, Operation: op, StatusCode: http.StatusUnauthorized,
				Message: fmt.Sprintf("the console refused the session right after a fresh login as %q: check that this user has API access", c.username)}
		}
	}
	if err != nil {
		return err
	}
	if out == nil || len(bytes.TrimSpace(answer)) == 0 {
		return nil
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return &integrations.VendorError{Vendor: Vendor, Operation: op, StatusCode: http.StatusOK,
			Message: fmt.Sprintf("answer is not the expected JSON: %v", err)}
	}
	return nil
}

func (c *Client) send(ctx context.Context, op, method, path, contentType string, body []byte, session string) ([]byte, error) {
	var reader io.Reader = http.NoBody
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, reader)
	if err != nil {
		return nil, fmt.Errorf("cybereason %s: %w", op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.AddCookie(&http.Cookie{Name: "JSESSIONID", Value: session})
	_, answer, err := integrations.Send(c.http, Vendor, op, req)
	var vendorErr *integrations.VendorError
	if errors.As(err, &vendorErr) && vendorErr.StatusCode == http.StatusUnauthorized {
		return nil, errSessionExpired
	}
	if err != nil {
		return nil, err
	}
	if isHTMLPage(answer) {
		return nil, errSessionExpired
	}
	return answer, nil
}

// isHTMLPage tells a console page from an API answer: the REST API answers JSON (or
// nothing), so a page is the login form the console shows to an expired session.
func isHTMLPage(answer []byte) bool {
	trimmed := bytes.TrimSpace(answer)
	return len(trimmed) > 0 && trimmed[0] == '<'
}

// login posts the console's login form. The form answers 200 in every case: a refused
// login shows the login form again (its <app-login> element), an accepted one the
// console, with the session in the JSESSIONID cookie, possibly after redirects.
func (c *Client) login(ctx context.Context) (string, error) {
	const op = "login"
	loginURL := c.baseURL + "/login.html"
	form := url.Values{"username": {c.username}, "password": {c.password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, loginURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("cybereason login: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	jar, err := cookiejar.New(nil)
	if err != nil {
		return "", fmt.Errorf("cybereason login: %w", err)
	}
	withCookies := *c.http
	withCookies.Jar = jar
	_, page, err := integrations.Send(&withCookies, Vendor, op, req)
	if err != nil {
		return "", err
	}
	if bytes.Contains(page, []byte("app-login")) {
		return "", &integrations.VendorError{Vendor: Vendor, Operation: op, StatusCode: http.StatusUnauthorized,
			Message: fmt.Sprintf("login as %q refused: the console answered its login form again (wrong username or password?)", c.username)}
	}
	u, err := url.Parse(loginURL)
	if err != nil {
		return "", fmt.Errorf("cybereason login: %w", err)
	}
	for _, cookie := range jar.Cookies(u) {
		if cookie.Name == "JSESSIONID" && cookie.Value != "" {
			return cookie.Value, nil
		}
	}
	return "", &integrations.VendorError{Vendor: Vendor, Operation: op, StatusCode: http.StatusUnauthorized,
		Message: fmt.Sprintf("login as %q answered no JSESSIONID cookie", c.username)}
}

// checkStatus reads the {"status":"SUCCESS"|"FAILED","message":...} envelope of the
// crimes, mmng and visualsearch APIs, where a failure arrives with HTTP 200. A failed
// query may succeed when asked again (the console times queries out); a refused change
// (an unknown MalOp, a status it does not take) will not, so it is not retryable.
func checkStatus(op string, status, message text, retryable bool) error {
	s := status.String()
	if s == "" || strings.EqualFold(s, "SUCCESS") || strings.EqualFold(s, "PARTIAL_SUCCESS") {
		return nil
	}
	msg := message.String()
	if msg == "" {
		msg = "no message"
	}
	code := http.StatusUnprocessableEntity
	if retryable {
		code = http.StatusBadGateway
	}
	return &integrations.VendorError{Vendor: Vendor, Operation: op, StatusCode: code,
		Message: fmt.Sprintf("answered status %s (HTTP 200): %s", s, msg)}
}
