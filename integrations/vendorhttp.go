package integrations

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxVendorBody bounds what we read of a vendor answer: enough for any page we ask for.
const maxVendorBody = 32 << 20

// NewHTTPClient is the client every vendor integration uses: bounded in time, so that a
// hung vendor fails the activity attempt instead of holding a worker slot.
func NewHTTPClient(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &http.Client{Timeout: timeout}
}

// Send performs req and answers the body of a 2xx (or 207) response. Anything else
// becomes a *VendorError with the vendor's own message and any Retry-After.
func Send(client *http.Client, vendor, operation string, req *http.Request) (*http.Response, []byte, error) {
	resp, err := client.Do(req) //nolint:gosec // G704: the URL is the customer's vendor console, from the customers file the operator writes
	if err != nil {
		return nil, nil, &VendorError{Vendor: vendor, Operation: operation, StatusCode: 0, Message: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxVendorBody))
	if err != nil {
		return resp, nil, &VendorError{Vendor: vendor, Operation: operation, StatusCode: resp.StatusCode, Message: "reading answer: " + err.Error()}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, body, &VendorError{
			Vendor:     vendor,
			Operation:  operation,
			StatusCode: resp.StatusCode,
			Message:    VendorMessage(body, resp.Status),
			RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	}
	return resp, body, nil
}

// SendJSON is Send followed by decoding the answer into out (when out is not nil).
func SendJSON(client *http.Client, vendor, operation string, req *http.Request, out any) error {
	_, body, err := Send(client, vendor, operation, req)
	if err != nil {
		return err
	}
	if out == nil || len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &VendorError{Vendor: vendor, Operation: operation, StatusCode: 200,
			Message: fmt.Sprintf("answer is not the expected JSON: %v", err)}
	}
	return nil
}

// VendorMessage digs the human message out of a vendor error body: the common JSON
// fields vendors use, else the body's text, else the HTTP status line.
func VendorMessage(body []byte, status string) string {
	var fields map[string]any
	if json.Unmarshal(body, &fields) == nil {
		for _, key := range []string{"message", "error_description", "errorMessage", "error", "detail", "title"} {
			if s, ok := fields[key].(string); ok && s != "" {
				return s
			}
		}
	}
	text := strings.TrimSpace(string(body))
	if text == "" {
		return status
	}
	return Truncate(text, 500)
}
