package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

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
