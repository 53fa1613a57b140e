package integrations

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// ErrUnsupported is returned by a Platform method the vendor cannot do.
var ErrUnsupported = errors.New("not supported by this platform")

// VendorError is a vendor API's refusal or failure, carrying the vendor's own message
// so that the person reading the incident knows what the vendor said.
type VendorError struct {
	Vendor     string
	Operation  string
	StatusCode int
	Message    string
	RetryAfter time.Duration
}

func (e *VendorError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Vendor, e.Operation, e.StatusCode, e.Message)
}

// Retryable is false for 4xx other than 408 and 429: asking again cannot help.
func (e *VendorError) Retryable() bool {
	if e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusRequestTimeout {
		return true
	}
	return e.StatusCode < 400 || e.StatusCode >= 500
}

// ParseRetryAfter reads a Retry-After header in seconds or as an HTTP date.
func ParseRetryAfter(value string, now time.Time) time.Duration {
	if value == "" {
		return 0
	}
	if secs, err := strconv.Atoi(value); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(value); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}
