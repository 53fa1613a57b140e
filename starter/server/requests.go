package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"xsoc/activities"
	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/start"
)

// hostCheckTimeout bounds the question to the vendors at the door: the sender waits on
// it, and a vendor slower than this is asked again by the workflow.
const hostCheckTimeout = 5 * time.Second

// handleRequest takes a customer's request to operate their platform for them and
// starts its Request workflow. What the customers file can tell is checked here (the
// fields the kind needs, the customer's services, what its platforms can do), and the
// customer's platforms are asked whether they know the host to isolate or release, so
// a 4xx starts nothing. The same id again answers 200 duplicate.
func (s *Server) handleRequest(w http.ResponseWriter, r *http.Request) {
	customer, body, ok := s.readAuthenticated(w, r)
	if !ok {
		return
	}
	var request api.CustomerRequest
	decoder := json.NewDecoder(bytes.NewReader(body))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&request); err != nil {
		writeError(w, http.StatusBadRequest, "request body: %v", err)
		return
	}
	in, err := start.PlanRequest(*customer, s.customers.SOC, request)
	var refusal *start.RequestRefusal
	if errors.As(err, &refusal) {
		status := http.StatusBadRequest
		if refusal.Conflict {
			status = http.StatusConflict
		}
		writeError(w, status, "%s", refusal.Reason)
		return
	}
	if err := s.checkHost(r.Context(), in); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), intakeTimeout)
	defer cancel()
	ref, err := start.Request(ctx, s.temporal, in)
	if err != nil {
		s.log.Error("starting request", "customer", customer.ID, "request", in.Request.ID, "kind", in.Request.Kind, "error", err)
		if isUnavailable(err) {
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "Temporal cannot be reached; retry later")
			return
		}
		writeError(w, http.StatusInternalServerError, "starting request %s: %v", in.Request.ID, err)
		return
	}
	status := http.StatusAccepted
	if ref.Duplicate {
		status = http.StatusOK
	}
	writeJSON(w, status, ref)
}

// checkHost asks the customer's platforms that can look hosts up whether they know the
// host of an isolate or release, as the workflow's FindHost does. It answers an error
// only when every platform asked said it does not know the host, in each vendor's
// words. A vendor that cannot answer within hostCheckTimeout (5xx, 429, no answer) or
// a client this process cannot build lets the request in: the workflow asks again,
// retrying, and declines it then if no platform knows the host.
func (s *Server) checkHost(ctx context.Context, in api.RequestInput) error {
	if !in.Request.HostMustBeKnown() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.hostCheckTimeout)
	defer cancel()
	_, err := s.platforms.FindHost(ctx, in.Customer, in.Vendors, integrations.Host{Name: in.Request.Host})
	var unknown *activities.HostUnknownError
	if err == nil || errors.As(err, &unknown) {
		return err
	}
	s.log.Warn("host not checked at the door: the request's workflow checks it", "customer", in.Customer,
		"request", in.Request.ID, "host", in.Request.Host, "vendors", in.Vendors, "error", err)
	return nil
}
