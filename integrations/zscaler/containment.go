package zscaler

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"

	"xsoc/integrations"
)

// Block puts the indicators' URLs, domains and IPs on the tenant's advanced-threat
// denylist and activates the change. It reads the denylist first and sends only what
// is missing, so a retried activity neither duplicates entries nor activates twice; when
// everything is already there it answers AlreadyInPlace, after activating any change
// still pending from an attempt that saved the entries but failed to activate them.
func (c *Client) Block(ctx context.Context, indicators []integrations.Indicator) (integrations.ActionResult, error) {
	return c.changeDenylist(ctx, "block", indicators)
}

// Unblock takes the indicators' entries off the denylist and activates the change, with
// the same read-first idempotency as Block.
func (c *Client) Unblock(ctx context.Context, indicators []integrations.Indicator) (integrations.ActionResult, error) {
	return c.changeDenylist(ctx, "unblock", indicators)
}

func (c *Client) changeDenylist(ctx context.Context, action string, indicators []integrations.Indicator) (integrations.ActionResult, error) {
	targets, ignored := denylistEntries(indicators)
	result := integrations.ActionResult{Action: action, Targets: targets}
	if len(targets) == 0 {
		return result, fmt.Errorf("zscaler %s: none of the %d indicators is a url, domain or ip a denylist can hold: %w",
			action, len(indicators), integrations.ErrUnsupported)
	}
	current, err := c.denylist(ctx)
	if err != nil {
		return result, err
	}
	var change []string
	// Block sends what is not listed yet; unblock what is listed.
	for _, entry := range targets {
		if current[entry] == (action == "block") {
			continue
		}
		change = append(change, entry)
	}
	note := ""
	if len(ignored) > 0 {
		note = fmt.Sprintf("; not %sed (no denylist form): %s", action, strings.Join(ignored, ", "))
	}
	if len(change) == 0 {
		status, err := c.activationStatus(ctx)
		if err != nil {
			return result, err
		}
		if status != "PENDING" {
			result.AlreadyInPlace = true
			result.VendorAnswer = fmt.Sprintf("denylist already in the wanted state (activation status %s)%s", status, note)
			return result, nil
		}
		status, err = c.activate(ctx)
		if err != nil {
			return result, err
		}
		result.VendorAnswer = fmt.Sprintf("denylist already in the wanted state; activated the pending change (status %s)%s", status, note)
		return result, nil
	}
	listAction, verb := "ADD_TO_LIST", "added to"
	if action == "unblock" {
		listAction, verb = "REMOVE_FROM_LIST", "removed from"
	}
	err = c.call(ctx, action+" "+strings.Join(change, ", "), http.MethodPost,
		"/security/advanced/blacklistUrls?action="+listAction, map[string][]string{"blacklistUrls": change}, nil)
	if err != nil {
		return result, err
	}
	status, err := c.activate(ctx)
	if err != nil {
		return result, err
	}
	result.VendorAnswer = fmt.Sprintf("%s the denylist: %s; activation status %s%s", verb, strings.Join(change, ", "), status, note)
	return result, nil
}

// denylist reads the saved denylist (GET /security/advanced), keyed by entry in the
// normalized form denylistEntries produces. ZIA leaves blacklistUrls out when it is empty.
func (c *Client) denylist(ctx context.Context) (map[string]bool, error) {
	var advanced struct {
		BlacklistURLs []string `json:"blacklistUrls"`
	}
	if err := c.call(ctx, "read denylist", http.MethodGet, "/security/advanced", nil, &advanced); err != nil {
		return nil, err
	}
	entries := make(map[string]bool, len(advanced.BlacklistURLs))
	for _, entry := range advanced.BlacklistURLs {
		entries[normalizeEntry(entry)] = true
	}
	return entries, nil
}

// activationStatus is ACTIVE, PENDING (saved changes not yet activated) or INPROGRESS.
func (c *Client) activationStatus(ctx context.Context) (string, error) {
	var status struct {
		Status string `json:"status"`
	}
	if err := c.call(ctx, "read activation status", http.MethodGet, "/status", nil, &status); err != nil {
		return "", err
	}
	return status.Status, nil
}

// activate makes saved configuration changes take effect in the ZIA cloud.
func (c *Client) activate(ctx context.Context) (string, error) {
	var status struct {
		Status string `json:"status"`
	}
	if err := c.call(ctx, "activate changes", http.MethodPost, "/status/activate", nil, &status); err != nil {
		return "", err
	}
	return status.Status, nil
}

// denylistEntries turns indicators into denylist entries: URLs and domains without their
// scheme ("evil.example/path", as ZIA wants them), IPs as they are; duplicates dropped.
// Hashes have no denylist form and are returned as ignored.
func denylistEntries(indicators []integrations.Indicator) (entries, ignored []string) {
	seen := map[string]bool{}
	for _, ind := range indicators {
		var entry string
		switch ind.Type {
		case "url", "domain":
			entry = normalizeEntry(ind.Value)
		case "ip":
			if ip := net.ParseIP(strings.TrimSpace(ind.Value)); ip != nil {
				entry = ip.String()
			}
		}
		if entry == "" {
			ignored = append(ignored, ind.Type+" "+ind.Value)
			continue
		}
		if !seen[entry] {
			seen[entry] = true
			entries = append(entries, entry)
		}
	}
	return entries, ignored
}

// normalizeEntry writes a URL or domain the way it is compared with the denylist:
// no scheme, host lower-cased without a default port or trailing dot, no lone "/" path.
func normalizeEntry(value string) string {
	value = stripScheme(strings.TrimSpace(value))
	host, path := value, ""
	if i := strings.IndexAny(value, "/?#"); i >= 0 {
		host, path = value[:i], value[i:]
	}
	host = strings.ToLower(host)
	for _, port := range []string{":443", ":80"} {
		host = strings.TrimSuffix(host, port)
	}
	host = strings.TrimSuffix(host, ".")
	if path == "/" {
		path = ""
	}
	if host == "" {
		return ""
	}
	return host + path
}
