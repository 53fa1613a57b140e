package integrations

import (
	"context"
	"errors"
	"time"
)

// Capabilities say what containment a platform can do: EDRs isolate hosts, a
// secure web gateway (Zscaler) can only block indicators.
type Capabilities struct {
	IsolateHost      bool `json:"isolate_host"`
	BlockIndicators  bool `json:"block_indicators"`
	Investigate      bool `json:"investigate"`
	WriteBackVerdict bool `json:"write_back_verdict"`
}

// ActionResult records what a containment call did, for the incident's timeline.
// AlreadyInPlace is true when the vendor already showed the wanted state, so nothing
// was sent: the mark of an idempotent retry.
type ActionResult struct {
	Action         string   `json:"action"`
	Targets        []string `json:"targets"`
	AlreadyInPlace bool     `json:"already_in_place,omitempty"`
	VendorAnswer   string   `json:"vendor_answer,omitempty"`
}

// Findings are what the vendor can tell about an alert, summarized for the analyst.
type Findings struct {
	Summary    string      `json:"summary"`
	Hosts      []Host      `json:"hosts,omitempty"`
	Users      []string    `json:"users,omitempty"`
	Processes  []string    `json:"processes,omitempty"`
	Indicators []Indicator `json:"indicators,omitempty"`
	Details    []string    `json:"details,omitempty"`
}

// Conclusion is what we write back into the vendor's console when an incident ends.
type Conclusion struct {
	AlertID string `json:"alert_id"`
	Verdict string `json:"verdict"`
	Note    string `json:"note"`
	By      string `json:"by"`
}

// Platform is one customer's vendor product instance, as the incident workflow uses
// it. A platform that lacks a capability returns ErrUnsupported from that method.
type Platform interface {
	Isolate(ctx context.Context, host Host) (ActionResult, error)
	Release(ctx context.Context, host Host) (ActionResult, error)
	Block(ctx context.Context, indicators []Indicator) (ActionResult, error)
	Unblock(ctx context.Context, indicators []Indicator) (ActionResult, error)
	Investigate(ctx context.Context, alert Alert) (Findings, error)
	WriteBack(ctx context.Context, conclusion Conclusion) error
}

// Poller is a platform that does not push: it answers the alerts raised since the
// cursor and the cursor to ask from next time. An empty cursor means "from since".
type Poller interface {
	Poll(ctx context.Context, cursor string, since time.Time) (PollPage, error)
}

// PollPage is one page of polled alerts. More is true when the vendor has further
// pages at NextCursor right now.
type PollPage struct {
	Alerts     []Alert `json:"alerts"`
	NextCursor string  `json:"next_cursor"`
	More       bool    `json:"more"`
}

// EndpointCounter is a platform that can tell how many endpoints it protects right
// now (sensors, devices): under the per_id plan the month's bill is the contracted
// ID count, and this active count shows the customer's over-use beside it.
type EndpointCounter interface {
	CountEndpoints(ctx context.Context) (int, error)
}

// HostBatchContainer is a platform whose API isolates and releases many hosts in one
// call (Cybereason's isolate command takes a list of sensors, WithSecure's device
// operations a list of devices): a worm's new hosts are contained by one vendor call
// per batch, not one call each. A call that fails as a whole (network, 5xx, 429) is an
// error to retry; a host the vendor refuses is that host's HostResult.
type HostBatchContainer interface {
	IsolateHosts(ctx context.Context, hosts []Host) ([]HostResult, error)
	ReleaseHosts(ctx context.Context, hosts []Host) ([]HostResult, error)
}

// HostResult is one host's outcome in a batch: its ActionResult when done (or already
// in place), else the vendor's refusal and whether asking again may change it.
type HostResult struct {
	Host      Host         `json:"host"`
	Result    ActionResult `json:"result"`
	Error     string       `json:"error,omitempty"`
	Retryable bool         `json:"retryable,omitempty"`
}

// Done tells whether the host is in the wanted state.
func (r HostResult) Done() bool { return r.Error == "" }

// HostRefused is the HostResult of a host the vendor refused, from its error.
func HostRefused(host Host, action string, err error) HostResult {
	result := HostResult{Host: host, Result: ActionResult{Action: action, Targets: []string{host.Label()}}, Error: err.Error(), Retryable: true}
	var vendorErr *VendorError
	if errors.As(err, &vendorErr) {
		result.Retryable = vendorErr.Retryable()
	}
	return result
}
