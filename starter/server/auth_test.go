package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"xsoc/config"
)

const authSecret = "acme-webhook-secret-0123456789"

// sign answers X-Xsoc-Signature for the request: over the body alone without a
// timestamp, else over "<timestamp>.<METHOD> <path?query>\n<body>".
func sign(secret, stamp, method, requestURI string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	if stamp != "" {
		_, _ = fmt.Fprintf(mac, "%s.%s %s\n", stamp, method, requestURI) // a hash never fails a write
	}
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestAuthenticate(t *testing.T) {
	now := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	body := []byte(`{"id":"a1"}`)
	fresh := strconv.FormatInt(now.Add(-4*time.Minute).Unix(), 10)
	stale := strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10)
	ahead := strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10)
	const path = "/v1/alerts/generic/acme"
	for _, tc := range []struct {
		name             string
		headers          map[string]string
		requireTimestamp bool
		want             string // "" passes
	}{
		{"bearer", map[string]string{"Authorization": "Bearer " + authSecret}, false, ""},
		{"wrong bearer", map[string]string{"Authorization": "Bearer nope"}, false, "bad bearer secret"},
		{"nothing", nil, false, "missing credentials"},
		{"signature of the body, as always", map[string]string{"X-Xsoc-Signature": sign(authSecret, "", "", "", body)}, false, ""},
		{"signature with a timestamp", map[string]string{"X-Xsoc-Signature": sign(authSecret, fresh, "POST", path, body), "X-Xsoc-Timestamp": fresh}, false, ""},
		{"a stale timestamp", map[string]string{"X-Xsoc-Signature": sign(authSecret, stale, "POST", path, body), "X-Xsoc-Timestamp": stale}, false, "more than 5m0s"},
		{"a timestamp ahead", map[string]string{"X-Xsoc-Signature": sign(authSecret, ahead, "POST", path, body), "X-Xsoc-Timestamp": ahead}, false, "more than 5m0s"},
		{"a timestamp that is not one", map[string]string{"X-Xsoc-Signature": sign(authSecret, "", "", "", body), "X-Xsoc-Timestamp": "yesterday"}, false, "not a Unix time"},
		{"the timestamp swapped", map[string]string{"X-Xsoc-Signature": sign(authSecret, stale, "POST", path, body), "X-Xsoc-Timestamp": fresh}, false, "bad X-Xsoc-Signature"},
		{"signed for another path", map[string]string{"X-Xsoc-Signature": sign(authSecret, fresh, "POST", "/v1/requests/acme", body), "X-Xsoc-Timestamp": fresh}, false, "bad X-Xsoc-Signature"},
		{"the body-only signature with a timestamp added", map[string]string{"X-Xsoc-Signature": sign(authSecret, "", "", "", body), "X-Xsoc-Timestamp": fresh}, false, "bad X-Xsoc-Signature"},
		{"a timestamp required", map[string]string{"X-Xsoc-Signature": sign(authSecret, "", "", "", body)}, true, "must carry X-Xsoc-Timestamp"},
		{"not hex", map[string]string{"X-Xsoc-Signature": "sha256=zz"}, false, "not hex"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			err := authenticate(r, body, authSecret, now, tc.requireTimestamp)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("authenticate: %v, want %q", err, tc.want)
			}
		})
	}
}

// unreachable is a Temporal that cannot be reached: a request that passes the door
// is answered 503, one that does not never gets there.
type unreachable struct{ client.Client }

func (unreachable) QueryWorkflow(context.Context, string, string, string, ...any) (converter.EncodedValue, error) {
	return nil, serviceerror.NewUnavailable("down")
}

func authServer(t *testing.T) http.Handler {
	t.Helper()
	t.Setenv("ACME_AUTH_SECRET", authSecret)
	customers := &config.Customers{Customers: []config.Customer{{ID: "acme", WebhookSecretEnv: "ACME_AUTH_SECRET"}}}
	return testServerWith(t, customers, unreachable{}, testRing(t), config.Settings{})
}

func call(h http.Handler, method, target string, body []byte, headers map[string]string, remote string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	r.RemoteAddr = remote
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// Nothing tells a prober which customers exist: an unknown customer is answered as
// a known one with a wrong secret, whatever the credentials.
func TestUnknownCustomersAreAnsweredAsWrongSecrets(t *testing.T) {
	h := authServer(t)
	body := []byte(`{"id":"a1","detection":"x","severity":"high","hosts":[{"name":"pc"}]}`)
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	for i, headers := range []map[string]string{
		{"Authorization": "Bearer wrong-secret"},
		{"X-Xsoc-Signature": sign("wrong-secret", "", "", "", body)},
		{"X-Xsoc-Signature": sign("wrong-secret", stamp, "POST", "/v1/alerts/generic/acme", body), "X-Xsoc-Timestamp": stamp},
		{},
	} {
		remote := fmt.Sprintf("192.0.2.%d:4000", i+1)
		known := call(h, http.MethodPost, "/v1/alerts/generic/acme", body, headers, remote)
		unknown := call(h, http.MethodPost, "/v1/alerts/generic/initech", body, headers, remote)
		if known.Code != http.StatusUnauthorized || unknown.Code != known.Code || unknown.Body.String() != known.Body.String() {
			t.Errorf("credentials %v: acme answered %d %s; initech %d %s", headers, known.Code, known.Body, unknown.Code, unknown.Body)
		}
		for _, path := range []string{"/v1/reports/initech?month=2026-11", "/v1/requests/initech"} {
			method := http.MethodGet
			if strings.HasPrefix(path, "/v1/requests") {
				method = http.MethodPost
			}
			if rec := call(h, method, path, body, headers, remote); rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "initech") {
				t.Errorf("%s answered %d %s", path, rec.Code, rec.Body)
			}
		}
	}
}

// A report's signature covers a timestamp and the path with its query: an old one,
// or one made for another month, is refused.
func TestReportSignaturesCoverTheTimeAndThePath(t *testing.T) {
	h := authServer(t)
	const target = "/v1/reports/acme?month=2026-11"
	now := strconv.FormatInt(time.Now().Unix(), 10)
	old := strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
	for _, tc := range []struct {
		name    string
		headers map[string]string
		code    int
		want    string
	}{
		{"signed now", map[string]string{"X-Xsoc-Signature": sign(authSecret, now, "GET", target, nil), "X-Xsoc-Timestamp": now}, http.StatusServiceUnavailable, ""},
		{"the bearer", map[string]string{"Authorization": "Bearer " + authSecret}, http.StatusServiceUnavailable, ""},
		{"signed ten minutes ago", map[string]string{"X-Xsoc-Signature": sign(authSecret, old, "GET", target, nil), "X-Xsoc-Timestamp": old}, http.StatusUnauthorized, "more than 5m0s"},
		{"signed for another month", map[string]string{"X-Xsoc-Signature": sign(authSecret, now, "GET", "/v1/reports/acme?month=2026-10", nil), "X-Xsoc-Timestamp": now}, http.StatusUnauthorized, "bad X-Xsoc-Signature"},
		{"the empty body's signature of old", map[string]string{"X-Xsoc-Signature": sign(authSecret, "", "", "", nil)}, http.StatusUnauthorized, "must carry X-Xsoc-Timestamp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := call(h, http.MethodGet, target, nil, tc.headers, "198.51.100.1:4000")
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("answered %d %s, want %d with %q", rec.Code, rec.Body, tc.code, tc.want)
			}
		})
	}
}

// Failed credentials are limited per address and customer: a sender guessing acme's
// secret waits; the same address still reaches another customer, and another address acme.
func TestIntakeFailuresAreLimitedPerAddressAndCustomer(t *testing.T) {
	h := authServer(t)
	body := []byte(`{}`)
	for range failureBurst {
		call(h, http.MethodPost, "/v1/alerts/generic/acme", body, map[string]string{"Authorization": "Bearer wrong"}, "203.0.113.1:4000")
	}
	rec := call(h, http.MethodPost, "/v1/alerts/generic/acme", body, map[string]string{"Authorization": "Bearer " + authSecret}, "203.0.113.1:4000")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("after %d failures the right secret answered %d", failureBurst, rec.Code)
	}
	if rec := call(h, http.MethodPost, "/v1/alerts/generic/acme", body, map[string]string{"Authorization": "Bearer " + authSecret}, "203.0.113.2:4000"); rec.Code == http.StatusTooManyRequests || rec.Code == http.StatusUnauthorized {
		t.Fatalf("another address answered %d %s", rec.Code, rec.Body)
	}
	if rec := call(h, http.MethodPost, "/v1/alerts/generic/globex", body, map[string]string{"Authorization": "Bearer wrong"}, "203.0.113.1:4000"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("another customer from the same address answered %d", rec.Code)
	}
}
