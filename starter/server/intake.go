package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/start"
)

// maxBody is the largest alert body intake takes (1 MiB).
const maxBody = 1 << 20

// intakeTimeout bounds how long a sender waits for its incidents to start.
const intakeTimeout = 20 * time.Second

type intakeAnswer struct {
	Incidents []start.IncidentRef `json:"incidents"`
	Clean     int                 `json:"clean,omitempty"`
	// Failed lists the alerts of the body that have no incident (answers other than 2xx).
	Failed []failedAlert `json:"failed,omitempty"`
	Error  string        `json:"error,omitempty"`
}

// failedAlert is an alert of the body that intake did not start, and why.
type failedAlert struct {
	Alert string `json:"alert"`
	Error string `json:"error"`
}

// handleAlert takes an alert (or a page of alerts) in a vendor's native JSON or the
// normalized format and starts one incident per alert. A 2xx answer means every alert
// of the body has its incident. Otherwise (503 when Temporal is unreachable, else 500)
// the answer lists the incidents started or found (`incidents`) and the alerts that
// were not (`failed`); sending the same body again starts the rest and answers the
// others duplicate. A body refused before delivery (4xx) started nothing.
func (s *Server) handleAlert(w http.ResponseWriter, r *http.Request) {
	vendor, customerID := r.PathValue("vendor"), r.PathValue("customer")
	customer, body, ok := s.readAuthenticated(w, r)
	if !ok {
		return
	}
	parse, ok := s.parsers[vendor]
	if !ok {
		writeError(w, http.StatusNotFound, "unknown vendor %q (want generic, %s)", vendor, strings.Join(integrations.VendorNames(), ", "))
		return
	}
	platform, configured := customer.Platform(vendor)
	if vendor != "generic" && !configured {
		writeError(w, http.StatusNotFound, "customer %q has no %s platform configured", customerID, vendor)
		return
	}
	alerts, clean, err := parse(body, platform.SeverityMap)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%s payload: %v", vendor, err)
		return
	}
	for i, alert := range alerts {
		if err := alert.Validate(); err != nil {
			writeError(w, http.StatusBadRequest, "%s payload, alert %d: %v", vendor, i, err)
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), intakeTimeout)
	defer cancel()
	answer := intakeAnswer{Incidents: []start.IncidentRef{}, Clean: clean}
	status := http.StatusOK
	unreachable := false
	for _, alert := range alerts {
		if unreachable {
			// One start already found Temporal down: the sender retries the whole body.
			answer.Failed = append(answer.Failed, failedAlert{Alert: alert.ID, Error: "not tried: Temporal cannot be reached"})
			continue
		}
		ref, err := s.intake.Deliver(ctx, *customer, vendor, alert)
		if err != nil {
			s.log.Error("starting incident", "customer", customerID, "vendor", vendor, "alert", alert.ID, "error", err)
			unreachable = isUnavailable(err)
			answer.Failed = append(answer.Failed, failedAlert{Alert: alert.ID, Error: err.Error()})
			continue
		}
		if !ref.Duplicate {
			status = http.StatusAccepted
		}
		answer.Incidents = append(answer.Incidents, ref)
	}
	s.metrics.alerts.WithLabelValues(customerID, vendor).Add(float64(len(answer.Incidents)))
	if len(answer.Failed) > 0 {
		status = http.StatusInternalServerError
		answer.Error = fmt.Sprintf("%d of %d alerts have no incident (see failed); %d started or found: send the same body again",
			len(answer.Failed), len(alerts), len(answer.Incidents))
		if unreachable {
			status = http.StatusServiceUnavailable
			answer.Error = "Temporal cannot be reached; retry later: " + answer.Error
			w.Header().Set("Retry-After", "5")
		}
	}
	writeJSON(w, status, answer)
}

// readAuthenticated reads the body a customer posted (at most maxBody) and checks
// its credentials. It answers 413, 400, 429 or 401 itself, and false, when the call
// goes no further. An unknown customer is answered exactly as a known one with a
// wrong secret: nothing tells a prober which customers exist.
func (s *Server) readAuthenticated(w http.ResponseWriter, r *http.Request) (*config.Customer, []byte, bool) {
	customerID := r.PathValue("customer")
	limit := addressKey(clientAddress(r, s.trustedProxy)) + "/" + customerID
	if !tooManyFailures(w, s.intakeFailures, limit) {
		return nil, nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "body over %d bytes", maxBody)
			return nil, nil, false
		}
		writeError(w, http.StatusBadRequest, "reading body: %v", err)
		return nil, nil, false
	}
	customer, ok := s.customerCredentials(w, r, body, false)
	return customer, body, ok
}

// customerCredentials checks a customer's request against its webhook secret, and
// answers 401 itself (counting the failure) when they do not hold. A signature must
// carry X-Xsoc-Timestamp when requireTimestamp (reports: a GET has no body to sign).
func (s *Server) customerCredentials(w http.ResponseWriter, r *http.Request, body []byte, requireTimestamp bool) (*config.Customer, bool) {
	customerID := r.PathValue("customer")
	customer, known := s.customers.Customer(customerID)
	secret := s.unknownCustomerSecret // compared as any secret: the same work, the same answer
	if known {
		if secret = lookupSecret(customer.WebhookSecretEnv); secret == "" {
			// Checked at start; an environment changed since is the operator's to see.
			s.log.Error("a customer's webhook secret is not set on the starter: every call of theirs is refused",
				"customer", customerID, "variable", customer.WebhookSecretEnv)
			secret = s.unknownCustomerSecret
		}
	}
	err := authenticate(r, body, secret, time.Now(), requireTimestamp)
	if err == nil && known {
		return customer, true
	}
	if err == nil {
		err = errBadBearer // the unknown customer's random secret guessed: never
	}
	s.intakeFailures.failed(addressKey(clientAddress(r, s.trustedProxy)) + "/" + customerID)
	writeError(w, http.StatusUnauthorized, "%v", err)
	return nil, false
}

// lookupSecret reads a customer's webhook secret from the starter's environment.
func lookupSecret(name string) string { return os.Getenv(name) }

// signatureWindow is how far X-Xsoc-Timestamp may be from the starter's clock: a
// signed request captured on the way is refused once it is older.
const signatureWindow = 5 * time.Minute

const (
	headerSignature = "X-Xsoc-Signature"
	headerTimestamp = "X-Xsoc-Timestamp"
)

var errBadBearer = errors.New("bad bearer secret")

// authenticate accepts a bearer secret or an HMAC-SHA256 signature, both compared in
// constant time. Without X-Xsoc-Timestamp the signature covers the body (as it always
// did); with it, the string "<timestamp>.<METHOD> <path?query>\n<body>", and the
// timestamp (Unix seconds) must be within signatureWindow of now: a captured request
// cannot be sent again later, nor to another path. requireTimestamp refuses a
// signature without one.
func authenticate(r *http.Request, body []byte, secret string, now time.Time, requireTimestamp bool) error {
	if secret == "" {
		return errors.New("no webhook secret to check against")
	}
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if sameSecret(strings.TrimSpace(bearer), secret) {
			return nil
		}
		return errBadBearer
	}
	signature, ok := strings.CutPrefix(r.Header.Get(headerSignature), "sha256=")
	if !ok {
		return errors.New("missing credentials: send Authorization: Bearer <secret> or X-Xsoc-Signature: sha256=<hmac> (docs/security.md: Who may talk to xsoc)")
	}
	given, err := hex.DecodeString(strings.TrimSpace(signature))
	if err != nil {
		return errors.New("X-Xsoc-Signature is not hex")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	stamp := r.Header.Get(headerTimestamp)
	switch {
	case stamp != "":
		seconds, err := strconv.ParseInt(strings.TrimSpace(stamp), 10, 64)
		if err != nil {
			return fmt.Errorf("X-Xsoc-Timestamp %q is not a Unix time in seconds", stamp)
		}
		if skew := now.Sub(time.Unix(seconds, 0)); skew > signatureWindow || skew < -signatureWindow {
			return fmt.Errorf("X-Xsoc-Timestamp is %s from the starter's clock, more than %s: sign the request when you send it", skew.Abs().Truncate(time.Second), signatureWindow)
		}
		_, _ = fmt.Fprintf(mac, "%s.%s %s\n", strings.TrimSpace(stamp), r.Method, r.URL.RequestURI()) // a hash never fails a write
	case requireTimestamp:
		return errors.New("a signature here must carry X-Xsoc-Timestamp and cover it with the path: sha256=HMAC(secret, \"<timestamp>.GET <path?query>\\n\")")
	}
	mac.Write(body)
	if hmac.Equal(given, mac.Sum(nil)) {
		return nil
	}
	return errors.New("bad X-Xsoc-Signature")
}

func isUnavailable(err error) bool {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	return errors.As(err, &unavailable) || errors.As(err, &deadline) ||
		errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "connection refused")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}
