package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"xsoc/integrations"
)

// heartbeatEvery is how often a vendor call tells Temporal it is alive: well inside
// the workflows' 10 s heartbeat timeout, so that a worker that dies mid-call is
// noticed in seconds and the call retried on another, not after a whole
// start-to-close timeout.
const heartbeatEvery = 3 * time.Second

// heartbeating heartbeats until the returned stop is called.
func heartbeating(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	go func() {
		ticker := time.NewTicker(heartbeatEvery)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-ticker.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}

// Investigate gathers what the vendor knows about the alert.
func (a *Activities) Investigate(ctx context.Context, in InvestigateRequest) (integrations.Findings, error) {
	defer heartbeating(ctx)()
	p, err := a.Platforms.Client(in.Customer, in.Vendor)
	if err != nil {
		return integrations.Findings{}, err
	}
	findings, err := p.Investigate(ctx, in.Alert)
	return findings, AsActivityError(err)
}

// IsolateHost cuts a host off the network. The platform checks the host's state
// first, so a retry never isolates twice.
func (a *Activities) IsolateHost(ctx context.Context, in HostAction) (integrations.ActionResult, error) {
	return a.hostAction(ctx, in, "isolate", integrations.Platform.Isolate)
}

// ReleaseHost gives an isolated host its network back, idempotently.
func (a *Activities) ReleaseHost(ctx context.Context, in HostAction) (integrations.ActionResult, error) {
	return a.hostAction(ctx, in, "release", integrations.Platform.Release)
}

func (a *Activities) hostAction(ctx context.Context, in HostAction, what string,
	act func(integrations.Platform, context.Context, integrations.Host) (integrations.ActionResult, error)) (integrations.ActionResult, error) {
	defer heartbeating(ctx)()
	p, err := a.Platforms.Client(in.Customer, in.Vendor)
	if err != nil {
		return integrations.ActionResult{}, err
	}
	result, err := act(p, ctx, in.Host)
	if err != nil {
		err = fmt.Errorf("customer %s, %s: %s host %s: %w", in.Customer, in.Vendor, what, in.Host.Label(), err)
	}
	a.logAction(in.Customer, in.Vendor, in.IncidentID, what, result, err)
	return result, AsActivityError(err)
}

// BlockIndicators puts the incident's URLs, domains and IPs on the customer's denylist.
func (a *Activities) BlockIndicators(ctx context.Context, in IndicatorAction) (integrations.ActionResult, error) {
	return a.indicatorAction(ctx, in, "block", integrations.Platform.Block)
}

// UnblockIndicators takes them off again.
func (a *Activities) UnblockIndicators(ctx context.Context, in IndicatorAction) (integrations.ActionResult, error) {
	return a.indicatorAction(ctx, in, "unblock", integrations.Platform.Unblock)
}

func (a *Activities) indicatorAction(ctx context.Context, in IndicatorAction, what string,
	act func(integrations.Platform, context.Context, []integrations.Indicator) (integrations.ActionResult, error)) (integrations.ActionResult, error) {
	defer heartbeating(ctx)()
	p, err := a.Platforms.Client(in.Customer, in.Vendor)
	if err != nil {
		return integrations.ActionResult{}, err
	}
	result, err := act(p, ctx, in.Indicators)
	if err != nil {
		err = fmt.Errorf("customer %s, %s: %s indicators: %w", in.Customer, in.Vendor, what, err)
	}
	a.logAction(in.Customer, in.Vendor, in.IncidentID, what, result, err)
	return result, AsActivityError(err)
}

// WriteBack sets the vendor's own status of the alert to our conclusion.
func (a *Activities) WriteBack(ctx context.Context, in WriteBackRequest) error {
	defer heartbeating(ctx)()
	p, err := a.Platforms.Client(in.Customer, in.Vendor)
	if err != nil {
		return err
	}
	err = p.WriteBack(ctx, in.Conclusion)
	if errors.Is(err, integrations.ErrUnsupported) {
		return nil
	}
	return AsActivityError(err)
}

func (a *Activities) logAction(customer, vendor, incident, what string, result integrations.ActionResult, err error) {
	if a.Log == nil {
		return
	}
	if err != nil {
		a.Log.Error("containment action failed", "customer", customer, "vendor", vendor, "incident", incident, "action", what, "error", err)
		return
	}
	a.Log.Info("containment action", "customer", customer, "vendor", vendor, "incident", incident, "action", what,
		"targets", result.Targets, "already_in_place", result.AlreadyInPlace)
}

// ContainHosts isolates or releases many hosts of one platform: in one call per batch
// where the vendor's API takes a list (integrations.HostBatchContainer), else host by
// host. Each host's outcome is answered; a host the vendor refused does not fail the
// others. Only a failure of the vendor's API itself (network, 5xx, 429, bad
// credentials) fails the activity, to be retried as a whole: each platform checks the
// hosts' state first, so a retry never acts twice.
func (a *Activities) ContainHosts(ctx context.Context, in HostsAction) ([]integrations.HostResult, error) {
	defer heartbeating(ctx)()
	if in.Action != "isolate" && in.Action != "release" {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("action %q: want isolate or release", in.Action), "BadRequest", nil)
	}
	p, err := a.Platforms.Client(in.Customer, in.Vendor)
	if err != nil {
		return nil, err
	}
	var results []integrations.HostResult
	if batch, ok := p.(integrations.HostBatchContainer); ok {
		act := batch.IsolateHosts
		if in.Action == "release" {
			act = batch.ReleaseHosts
		}
		results, err = act(ctx, in.Hosts)
	} else {
		results, err = hostByHost(ctx, p, in.Action, in.Hosts)
	}
	if err != nil {
		err = fmt.Errorf("customer %s, %s: %s %d hosts: %w", in.Customer, in.Vendor, in.Action, len(in.Hosts), err)
		a.logAction(in.Customer, in.Vendor, in.IncidentID, in.Action, integrations.ActionResult{Action: in.Action}, err)
		return nil, AsActivityError(err)
	}
	for _, r := range results {
		var refused error
		if !r.Done() {
			refused = errors.New(r.Error)
		}
		a.logAction(in.Customer, in.Vendor, in.IncidentID, in.Action, r.Result, refused)
	}
	return results, nil
}

// hostByHost contains hosts one call each, for platforms whose API takes one host.
func hostByHost(ctx context.Context, p integrations.Platform, action string, hosts []integrations.Host) ([]integrations.HostResult, error) {
	act := p.Isolate
	if action == "release" {
		act = p.Release
	}
	results := make([]integrations.HostResult, 0, len(hosts))
	for _, host := range hosts {
		result, err := act(ctx, host)
		if err != nil {
			refused := integrations.HostRefused(host, action, err)
			if refused.Retryable {
				return nil, err
			}
			results = append(results, refused)
			continue
		}
		results = append(results, integrations.HostResult{Host: host, Result: result})
	}
	return results, nil
}
