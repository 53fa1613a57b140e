package start

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/api"
)

// StartRequest starts a customer request, or finds the one with the same id, running
// or ended: the id is the customer's own reference, so posting it again never starts
// a second request (Duplicate). It answers as soon as the request is durably started,
// without waiting for a worker, and goes through the client's data converter. The
// search attributes of the SOC's list of open requests are set at once, so the
// request shows there even before a worker picks it up.
func Request(ctx context.Context, c client.Client, in api.RequestInput) (api.RequestRef, error) {
	id := api.RequestWorkflowID(in.Customer, in.Request.ID)
	attributes := []temporal.SearchAttributeUpdate{
		api.SACustomer.ValueSet(in.Customer), api.SAState.ValueSet(api.StateRequested), api.SASLAState.ValueSet(api.SLAOnTrack),
		api.SASLADueAt.ValueSet(time.Now().Add(in.Ack.D())),
	}
	if in.Request.Host != "" {
		attributes = append(attributes, api.SAHost.ValueSet(in.Request.Host))
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: api.TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(attributes...),
		// Pinned from its start, like an incident (versions.go).
		VersioningOverride: versionsOf(c).clientOverride(id),
	}, api.RequestWorkflowType, in)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &already) {
		return api.RequestRef{WorkflowID: id, RunID: already.RunId, Duplicate: true}, nil
	}
	if err != nil {
		return api.RequestRef{}, err
	}
	return api.RequestRef{WorkflowID: id, RunID: run.GetRunID()}, nil
}

// RequestRefusal is why a request is refused at the door, before anything starts.
// Conflict marks a well-formed request the customer's contract does not allow (HTTP
// 409); otherwise the request is malformed or impossible on the customer's platforms
// (HTTP 400).
type RequestRefusal struct {
	Conflict bool
	Reason   string
}

func (r *RequestRefusal) Error() string { return r.Reason }

func invalid(format string, args ...any) error {
	return &RequestRefusal{Reason: fmt.Sprintf(format, args...)}
}

// requestIDLimit bounds a request id: it is part of the workflow id.
const requestIDLimit = 128

// blockableTypes are the indicators a denylist takes; hashes are looked up, not blocked.
var blockableTypes = []string{"url", "domain", "ip"}

// PlanRequest checks a request against what the customers file can tell (the fields
// its kind needs, the customer's services, what its platforms can do) and answers the
// workflow's input. Whether the platform knows the host only the vendor can tell: the
// starter asks it before starting (HostMustBeKnown), and the workflow asks again.
func PlanRequest(customer config.Customer, soc *config.SOC, r api.CustomerRequest) (api.RequestInput, error) {
	r = trimRequest(r)
	if err := validate(r); err != nil {
		return api.RequestInput{}, err
	}
	if r.NeedsRespond() && !customer.HasService("respond") {
		return api.RequestInput{}, &RequestRefusal{Conflict: true, Reason: fmt.Sprintf(
			"customer %s is not subscribed to respond: xsoc does not %s on its platforms (ask for investigate, or subscribe to respond)",
			customer.ID, r.Kind)}
	}
	vendors, err := platforms(r, customer)
	if err != nil {
		return api.RequestInput{}, err
	}
	ack := config.DefaultRequests
	if soc != nil {
		ack = soc.Requests
	}
	in := api.RequestInput{Customer: customer.ID, Request: r, Vendors: vendors, Policy: PolicyFor(customer, soc, integrations.Capabilities{}), Ack: ack.Normal}
	if r.Urgent {
		in.Ack = ack.Urgent
	}
	if address, err := mail.ParseAddress(r.By); err == nil {
		in.RequesterEmail = address.Address
	}
	return in, nil
}

func trimRequest(r api.CustomerRequest) api.CustomerRequest {
	r.ID, r.Kind, r.Host = strings.TrimSpace(r.ID), strings.ToLower(strings.TrimSpace(r.Kind)), strings.TrimSpace(r.Host)
	r.By, r.Service, r.Vendor = strings.TrimSpace(r.By), strings.TrimSpace(r.Service), strings.ToLower(strings.TrimSpace(r.Vendor))
	for i := range r.Indicators {
		r.Indicators[i].Type = strings.ToLower(strings.TrimSpace(r.Indicators[i].Type))
		r.Indicators[i].Value = strings.TrimSpace(r.Indicators[i].Value)
	}
	return r
}

// validate checks the fields each kind needs, and refuses those it does not take.
func validate(r api.CustomerRequest) error {
	switch {
	case r.ID == "":
		return invalid(`"id" is required: your reference for the request (e.g. "CS-2026-0412")`)
	case len(r.ID) > requestIDLimit || strings.ContainsFunc(r.ID, func(c rune) bool { return c == '/' || unicode.IsSpace(c) || unicode.IsControl(c) }):
		return invalid(`"id" %q must be at most %d characters without "/" or spaces`, r.ID, requestIDLimit)
	case !slices.Contains(api.RequestKinds, r.Kind):
		return invalid(`unknown kind %q: want one of %s`, r.Kind, strings.Join(api.RequestKinds, ", "))
	case r.By == "":
		return invalid(`"by" is required: who asks (an email address hears back on every step)`)
	case r.Tickets < 0:
		return invalid(`"tickets" must be at least 1, got %d`, r.Tickets)
	}
	if err := validIndicators(r.Indicators); err != nil {
		return err
	}
	host, indicators := r.Host != "", len(r.Indicators) > 0
	option := r.Service != "" || r.Tickets != 0
	switch r.Kind {
	case api.RequestIsolate, api.RequestRelease:
		if !host {
			return invalid(`%s needs "host": the machine to %s`, r.Kind, r.Kind)
		}
		if indicators || option {
			return invalid(`%s takes a "host" only (indicators are blocked with kind block, services ordered with kind option)`, r.Kind)
		}
	case api.RequestBlock, api.RequestUnblock:
		if !indicators {
			return invalid(`%s needs "indicators": [{"type": "domain", "value": "evil.example"}, ...]`, r.Kind)
		}
		if host || option {
			return invalid(`%s takes "indicators" only (a host is isolated with kind isolate)`, r.Kind)
		}
		for _, ind := range r.Indicators {
			if !slices.Contains(blockableTypes, ind.Type) {
				return invalid(`%s: indicator %s %q cannot go on a denylist: only %s can (ask to investigate a hash)`,
					r.Kind, ind.Type, ind.Value, strings.Join(blockableTypes, ", "))
			}
		}
	case api.RequestInvestigate:
		if !host && !indicators {
			return invalid(`investigate needs a "host" or "indicators"`)
		}
		if option {
			return invalid(`investigate takes a "host" or "indicators" (services paid with tickets are ordered with kind option)`)
		}
	case api.RequestOption:
		if r.Service == "" || r.Tickets < 1 {
			return invalid(`option needs "service" (e.g. "forensics") and "tickets" (at least 1)`)
		}
		if host || indicators {
			return invalid(`option takes "service" and "tickets"; say which host in "note"`)
		}
	}
	return nil
}

func validIndicators(indicators []integrations.Indicator) error {
	for i, ind := range indicators {
		if !slices.Contains(integrations.IndicatorTypes, ind.Type) {
			return invalid(`indicator %d: unknown type %q: want one of %s`, i, ind.Type, strings.Join(integrations.IndicatorTypes, ", "))
		}
		if ind.Value == "" {
			return invalid(`indicator %d (%s) has no value`, i, ind.Type)
		}
	}
	return nil
}

// capability answers what a platform must be able to do for the request, and how a
// person says it; nil when any platform will do.
func capability(r api.CustomerRequest) (func(integrations.Capabilities) bool, string) {
	switch {
	case r.Kind == api.RequestIsolate || r.Kind == api.RequestRelease:
		return func(c integrations.Capabilities) bool { return c.IsolateHost }, r.Kind + " a host"
	case r.Kind == api.RequestBlock || r.Kind == api.RequestUnblock:
		return func(c integrations.Capabilities) bool { return c.BlockIndicators }, r.Kind + " indicators"
	}
	// An investigation asks every platform what it knows: the EDRs of the host, the
	// web gateway of the indicators.
	return nil, ""
}

// platforms answers the customer's platforms that can do the request, in the
// customers file's order (the one the request names, if it names one).
func platforms(r api.CustomerRequest, customer config.Customer) ([]string, error) {
	var configured []string
	for _, p := range customer.Platforms {
		configured = append(configured, p.Vendor)
	}
	if r.Vendor != "" && !slices.Contains(configured, r.Vendor) {
		return nil, invalid("customer %s has no %s platform (platforms: %s)", customer.ID, r.Vendor, orNone(configured))
	}
	if r.Kind == api.RequestOption {
		return nil, nil
	}
	can, what := capability(r)
	var vendors, unable []string
	for _, vendor := range configured {
		if r.Vendor != "" && vendor != r.Vendor {
			continue
		}
		if can == nil || can(integrations.CapabilitiesOf(vendor)) {
			vendors = append(vendors, vendor)
		} else {
			unable = append(unable, vendor)
		}
	}
	if len(vendors) == 0 && can != nil {
		if r.Vendor != "" {
			return nil, invalid("%s cannot %s%s", r.Vendor, what, capabilityHint(r.Vendor))
		}
		return nil, invalid("customer %s has no platform that can %s (platforms: %s)", customer.ID, what, describePlatforms(unable))
	}
	return vendors, nil
}

// capabilityHint says what a platform does instead, for a refusal.
func capabilityHint(vendor string) string {
	c := integrations.CapabilitiesOf(vendor)
	switch {
	case c.BlockIndicators && !c.IsolateHost:
		return " (it blocks URLs, domains and IPs; it has no host isolation)"
	case c.IsolateHost && !c.BlockIndicators:
		return " (it isolates hosts; xsoc keeps no denylist there)"
	}
	return ""
}

// describePlatforms lists platforms with what each does instead, for a refusal.
func describePlatforms(vendors []string) string {
	if len(vendors) == 0 {
		return "none"
	}
	described := make([]string, len(vendors))
	for i, vendor := range vendors {
		described[i] = vendor + capabilityHint(vendor)
	}
	return strings.Join(described, ", ")
}

func orNone(values []string) string {
	if len(values) == 0 {
		return "none"
	}
	return strings.Join(values, ", ")
}
