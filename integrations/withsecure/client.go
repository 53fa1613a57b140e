// Package withsecure is xsoc's WithSecure Elements integration: it polls EDR incidents
// (Broad Context Detections), reads their detections, isolates and releases devices,
// and writes verdicts back to the incident, all through the Elements API
// (https://api.connect.withsecure.com) with OAuth2 client credentials.
package withsecure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"xsoc/integrations"
)

// Vendor is the name customers write in the platforms list and the intake URL.
const Vendor = "withsecure"

// tokenScope asks for reading incidents and for the write rights that isolation and
// write-back need; a read-only API client is refused on those calls by the vendor.
const tokenScope = "connect.api.read connect.api.write"

// Page sizes are the Elements API maxima for each list.
const (
	incidentsPageSize  = 50
	detectionsPageSize = 100
	devicesPageSize    = 200
)

// Client is one customer's WithSecure Elements. It is safe for concurrent use.
type Client struct {
	baseURL     string
	clientID    string
	secret      string
	http        *http.Client
	severityMap map[string]string
	now         func() time.Time

	mu          sync.Mutex
	token       string
	tokenExpiry time.Time

	// known remembers devices met while reading detections, so that an alert storm on
	// the same machines does not ask the devices API once per incident. Containment
	// never reads it: isolation state must be fresh.
	knownMu sync.Mutex
	known   map[string]deviceInfo
}

// knownDevicesMax bounds the device memory; past it, it starts over.
const knownDevicesMax = 10000

var (
	_ integrations.Platform = (*Client)(nil)
	_ integrations.Poller   = (*Client)(nil)
)

func init() {
	integrations.Register(integrations.Vendor{
		Name: Vendor,
		// WithSecure isolates devices and keeps its own incident record; it has no
		// indicator denylist that xsoc manages.
		Capabilities: integrations.Capabilities{IsolateHost: true, Investigate: true, WriteBackVerdict: true},
		Credentials:  []integrations.Credential{integrations.ClientID, integrations.Secret},
		Polled:       true,
		NewClient:    func(c integrations.Connection) (integrations.Platform, error) { return New(c) },
		Parse:        integrations.EveryEventAnAlert(ParseAlerts),
	})
}

// New builds a client for one customer's WithSecure Elements, authenticating with the
// connection's API client id and secret.
func New(c integrations.Connection) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(c.URL), "/")
	if u, err := url.Parse(base); base == "" || err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("withsecure: url %q is not an absolute URL (want e.g. https://api.connect.withsecure.com)", c.URL)
	}
	return &Client{
		baseURL:     base,
		clientID:    c.Secrets[integrations.ClientID],
		secret:      c.Secrets[integrations.Secret],
		http:        integrations.NewHTTPClient(30 * time.Second),
		severityMap: c.SeverityMap,
		now:         time.Now,
		known:       map[string]deviceInfo{},
	}, nil
}

// log is the process logger, read when used so that one configured after New counts.
func (c *Client) log() *slog.Logger {
	return slog.Default().With("vendor", Vendor, "url", c.baseURL)
}

// accessToken answers a cached token, or asks for a new one when it is about to expire.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.tokenExpiry) {
		return c.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {tokenScope}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+"/as/token.oauth2", strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("withsecure: building token request: %w", err)
	}
	req.SetBasicAuth(c.clientID, c.secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "xsoc")
	var answer struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := integrations.SendJSON(c.http, Vendor, "authenticate", req, &answer); err != nil {
		return "", err
	}
	if answer.AccessToken == "" {
		return "", &integrations.VendorError{Vendor: Vendor, Operation: "authenticate", StatusCode: http.StatusOK,
			Message: "token answer has no access_token"}
	}
	if answer.TokenType != "" && !strings.EqualFold(answer.TokenType, "bearer") {
		return "", &integrations.VendorError{Vendor: Vendor, Operation: "authenticate", StatusCode: http.StatusOK,
			Message: fmt.Sprintf("token type %q is not Bearer", answer.TokenType)}
	}
	lifetime := time.Duration(answer.ExpiresIn) * time.Second
	// Renew a little early so that a token does not expire between our check and the
	// vendor's, but never spend more than a tenth of a short lifetime on the margin.
	margin := min(30*time.Second, lifetime/10)
	c.token = answer.AccessToken
	c.tokenExpiry = c.now().Add(lifetime - margin)
	return c.token, nil
}

// forgetToken drops a token the vendor refused, unless another caller already replaced it.
func (c *Client) forgetToken(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == token {
		c.token = ""
		c.tokenExpiry = time.Time{}
	}
}

// call performs one Elements API request with a bearer token. A 401 means the token
// was revoked or expired early: it is renewed and the request sent once more.
func (c *Client) call(ctx context.Context, operation, method, path string, query url.Values, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("withsecure %s: encoding request: %w", operation, err)
		}
	}
	target := c.baseURL + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	for attempt := 1; ; attempt++ {
		token, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		var reader io.Reader
		if payload != nil {
			reader = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, target, reader)
		if err != nil {
			return fmt.Errorf("withsecure %s: building request: %w", operation, err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "xsoc")
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		err = integrations.SendJSON(c.http, Vendor, operation, req, out)
		var vendorErr *integrations.VendorError
		if attempt == 1 && errors.As(err, &vendorErr) && vendorErr.StatusCode == http.StatusUnauthorized {
			c.log().InfoContext(ctx, "access token refused, renewing it", "operation", operation)
			c.forgetToken(token)
			continue
		}
		return err
	}
}

// page is the Elements API's list answer.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextAnchor string `json:"nextAnchor"`
}

// detections lists every detection of an incident, following nextAnchor.
func (c *Client) detections(ctx context.Context, incidentID string) ([]detection, error) {
	var all []detection
	anchor := ""
	for {
		query := url.Values{"incidentId": {incidentID}, "limit": {fmt.Sprint(detectionsPageSize)}}
		if anchor != "" {
			query.Set("anchor", anchor)
		}
		var p page[detection]
		if err := c.call(ctx, "list detections", http.MethodGet, "/incidents/v1/detections", query, nil, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.NextAnchor == "" || p.NextAnchor == anchor {
			return all, nil
		}
		anchor = p.NextAnchor
	}
}

// devices lists the devices matching query, following nextAnchor.
func (c *Client) devices(ctx context.Context, query url.Values) ([]deviceInfo, error) {
	var all []deviceInfo
	if err := c.devicePages(ctx, query, func(items []deviceInfo) { all = append(all, items...) }); err != nil {
		return nil, err
	}
	return all, nil
}

// devicePages reads the devices matching query a page at a time, following
// nextAnchor, and hands each page to visit.
func (c *Client) devicePages(ctx context.Context, query url.Values, visit func([]deviceInfo)) error {
	anchor := ""
	for {
		q := url.Values{"limit": {fmt.Sprint(devicesPageSize)}}
		for k, v := range query {
			q[k] = v
		}
		if anchor != "" {
			q.Set("anchor", anchor)
		}
		var p page[deviceInfo]
		if err := c.call(ctx, "list devices", http.MethodGet, "/devices/v1/devices", q, nil, &p); err != nil {
			return err
		}
		visit(p.Items)
		if p.NextAnchor == "" || p.NextAnchor == anchor {
			return nil
		}
		anchor = p.NextAnchor
	}
}

// deviceByID answers the device, or ok=false when WithSecure does not know the id.
func (c *Client) deviceByID(ctx context.Context, id string) (deviceInfo, bool, error) {
	found, err := c.devices(ctx, url.Values{"deviceId": {id}})
	if err != nil {
		return deviceInfo{}, false, err
	}
	for _, d := range found {
		if d.ID == id {
			return d, true, nil
		}
	}
	return deviceInfo{}, false, nil
}

// evidence reads an incident's detections and the devices they happened on.
func (c *Client) evidence(ctx context.Context, incidentID string) (evidence, error) {
	dets, err := c.detections(ctx, incidentID)
	if err != nil {
		return evidence{}, err
	}
	ev := evidence{detections: dets, devices: map[string]deviceInfo{}}
	for _, d := range dets {
		id := strings.TrimSpace(d.DeviceID)
		if id == "" {
			continue
		}
		if _, known := ev.devices[id]; known || containsString(ev.unknownDevices, id) {
			continue
		}
		if dev, ok := c.knownDevice(id); ok {
			ev.devices[id] = dev
			continue
		}
		dev, ok, err := c.deviceByID(ctx, id)
		if err != nil {
			return evidence{}, err
		}
		if !ok {
			ev.unknownDevices = append(ev.unknownDevices, id)
			continue
		}
		c.rememberDevice(dev)
		ev.devices[id] = dev
	}
	return ev, nil
}

func (c *Client) knownDevice(id string) (deviceInfo, bool) {
	c.knownMu.Lock()
	defer c.knownMu.Unlock()
	d, ok := c.known[id]
	return d, ok
}

func (c *Client) rememberDevice(d deviceInfo) {
	c.knownMu.Lock()
	defer c.knownMu.Unlock()
	if len(c.known) >= knownDevicesMax {
		c.known = map[string]deviceInfo{}
	}
	c.known[d.ID] = d
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
