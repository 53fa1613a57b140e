package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
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
// its credentials. It answers 404, 413, 400 or 401 itself, and false, when the call
// goes no further.
func (s *Server) readAuthenticated(w http.ResponseWriter, r *http.Request) (*config.Customer, []byte, bool) {
	customerID := r.PathValue("customer")
	customer, ok := s.customers.Customer(customerID)
	if !ok {
		writeError(w, http.StatusNotFound, "unknown customer %q", customerID)
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
	if err := authenticate(r, body, lookupSecret(customer.WebhookSecretEnv)); err != nil {
		writeError(w, http.StatusUnauthorized, "%v", err)
		return nil, nil, false
	}
	return customer, body, true
}

// lookupSecret reads a customer's webhook secret from the starter's environment.
func lookupSecret(name string) string { return os.Getenv(name) }

// authenticate accepts either a bearer secret or an HMAC-SHA256 signature of the
// body, both compared in constant time.
func authenticate(r *http.Request, body []byte, secret string) error {
	if secret == "" {
		return errors.New("this customer has no webhook secret set on the server")
	}
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(bearer)), []byte(secret)) == 1 {
			return nil
		}
		return errors.New("bad bearer secret")
	}
	if signature, ok := strings.CutPrefix(r.Header.Get("X-Xsoc-Signature"), "sha256="); ok {
		given, err := hex.DecodeString(strings.TrimSpace(signature))
		if err != nil {
			return errors.New("X-Xsoc-Signature is not hex")
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		if hmac.Equal(given, mac.Sum(nil)) {
			return nil
		}
		return errors.New("bad X-Xsoc-Signature")
	}
	return errors.New("missing credentials: send Authorization: Bearer <secret> or X-Xsoc-Signature: sha256=<hmac of body>")
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
