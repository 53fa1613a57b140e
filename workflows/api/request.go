package api

import (
	"time"

	"xsoc/config"
	"xsoc/identity"
	"xsoc/integrations"
)

// RequestStatus is a customer request as the `status` query answers it: who asked,
// who acknowledged, accepted, declined or completed it, what the platform answered,
// and when each step happened (the timeline).
type RequestStatus struct {
	WorkflowID string          `json:"workflow_id"`
	Customer   string          `json:"customer"`
	Request    CustomerRequest `json:"request"`
	State      string          `json:"state"`
	// Severity is the chain the request pages: critical when urgent, else medium.
	Severity   integrations.Severity `json:"severity"`
	ReceivedAt time.Time             `json:"received_at"`
	ClosedAt   time.Time             `json:"closed_at,omitzero"`
	// Vendor is the platform that acts, and Host what it said of the host.
	Vendor       string                  `json:"vendor,omitempty"`
	Host         *integrations.HostFacts `json:"host,omitempty"`
	Acknowledged *Acknowledgement        `json:"acknowledged,omitempty"`
	Accepted     *DecisionRecord         `json:"accepted,omitempty"`
	Declined     *DecisionRecord         `json:"declined,omitempty"`
	Done         *DecisionRecord         `json:"done,omitempty"`
	// Action is the platform's answer to the action; ActionError its refusal or failure.
	Action      *integrations.ActionResult `json:"action,omitempty"`
	ActionError string                     `json:"action_error,omitempty"`
	Findings    *integrations.Findings     `json:"findings,omitempty"`
	Tickets     *TicketUse                 `json:"tickets,omitempty"`
	Clocks      []Clock                    `json:"clocks"`
	Chain       *Chain                     `json:"chain,omitempty"`
	Paged       []Page                     `json:"paged"`
	Timeline    []Entry                    `json:"timeline"`
	Decisions   int                        `json:"decisions"`
}

// RequestInput starts a customer request: the request as posted, the platforms that
// may act on it (in the customers file's order), the customer's and the SOC's policy
// (who is paged, who hears back, in which language and zone) and the time the SOC
// promises to answer in.
type RequestInput struct {
	Customer string          `json:"customer"`
	Request  CustomerRequest `json:"request"`
	Vendors  []string        `json:"vendors,omitempty"`
	Policy   Policy          `json:"policy"`
	Ack      config.Duration `json:"ack"`
	// RequesterEmail is the requester's address when "by" is one: they hear back on
	// every step.
	RequesterEmail string `json:"requester_email,omitempty"`
}

// NeedsRespond tells whether the request changes something on the customer's
// platform: only customers subscribed to respond let us.
func (r CustomerRequest) NeedsRespond() bool {
	return r.Kind == RequestIsolate || r.Kind == RequestRelease || r.Kind == RequestBlock || r.Kind == RequestUnblock
}

// HostMustBeKnown tells whether the request acts on a host (isolate, release), so
// that a host none of the customer's platforms knows refuses it: at the door when the
// vendors answer the starter in time, else as the workflow's first step. An
// investigation of an unknown host goes on: the SOC looks for it.
func (r CustomerRequest) HostMustBeKnown() bool {
	return r.Host != "" && r.NeedsRespond()
}

// CustomerRequest is what a customer posts to /v1/requests/{customer}: one thing to do
// on their platform (isolate, release, block, unblock, investigate) or an option
// service paid with tickets. Vendor (optional) names the platform to act on; without
// it, the customer's platforms that can do the kind are asked in the file's order.
type CustomerRequest struct {
	ID         string                   `json:"id"`
	Kind       string                   `json:"kind"`
	Host       string                   `json:"host,omitempty"`
	Indicators []integrations.Indicator `json:"indicators,omitempty"`
	Service    string                   `json:"service,omitempty"`
	Tickets    int                      `json:"tickets,omitempty"`
	By         string                   `json:"by"`
	Note       string                   `json:"note,omitempty"`
	Urgent     bool                     `json:"urgent,omitempty"`
	Vendor     string                   `json:"vendor,omitempty"`
}

// RequestDecision is the one JSON argument of a request's decisions: By (filled from
// the sender's stamp, as for incidents' decisions), Reason for decline, Note for done.
// Via says where it came from (a phone keypress).
type RequestDecision struct {
	identity.Stamp
	By     string `json:"by"`
	Note   string `json:"note,omitempty"`
	Reason string `json:"reason,omitempty"`
	Via    string `json:"via,omitempty"`
}

// RequestRef answers a posted request.
type RequestRef struct {
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id,omitempty"`
	Duplicate  bool   `json:"duplicate"`
}
