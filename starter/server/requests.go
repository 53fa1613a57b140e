package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"xsoc/workflows"
)

// handleRequest takes a customer's request to operate their platform for them and
// starts its Request workflow. What the customers file can tell is checked here (the
// fields the kind needs, the customer's services, what its platforms can do), so a
// 4xx starts nothing; whether the platform knows the host is the workflow's first
// step, because only the vendor can tell. The same id again answers 200 duplicate.
func (s *Server) handleRequest(w http.ResponseWriter, r *http.Request) {
	customer, body, ok := s.readAuthenticated(w, r)
	if !ok {
		return
	}
	var request workflows.CustomerRequest
	decoder := json.NewDecoder(bytes.NewReader(body))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&request); err != nil {
		writeError(w, http.StatusBadRequest, "request body: %v", err)
		return
	}
	in, err := workflows.PlanRequest(*customer, s.customers.SOC, request)
	var refusal *workflows.RequestRefusal
	if errors.As(err, &refusal) {
		status := http.StatusBadRequest
		if refusal.Conflict {
			status = http.StatusConflict
		}
		writeError(w, status, "%s", refusal.Reason)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), intakeTimeout)
	defer cancel()
	ref, err := workflows.StartRequest(ctx, s.temporal, in)
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
