package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"xsoc/integrations"
)

// PollRequest asks for a platform's alerts since the cursor.
type PollRequest struct {
	Customer string    `json:"customer"`
	Vendor   string    `json:"vendor"`
	Cursor   string    `json:"cursor"`
	Since    time.Time `json:"since"`
}

// PollResult says where the next poll starts and whether more is waiting now.
type PollResult struct {
	NextCursor string `json:"next_cursor"`
	More       bool   `json:"more"`
	Delivered  int    `json:"delivered"`
	New        int    `json:"new"`
}

// Deliverer hands an alert to its incident (the same path as pushed alerts).
type Deliverer func(ctx context.Context, customer, vendor string, alert integrations.Alert) (duplicate bool, err error)

// PollPlatform fetches one page of new alerts and delivers each to its incident.
// The cursor only moves once every alert of the page is delivered, so a failure
// re-polls the page and re-delivery lands in the same incidents: nothing is lost
// and nothing is started twice.
func (a *Activities) PollPlatform(ctx context.Context, in PollRequest) (PollResult, error) {
	p, err := a.platform(in.Customer, in.Vendor)
	if err != nil {
		return PollResult{}, err
	}
	poller, ok := p.(integrations.Poller)
	if !ok {
		return PollResult{}, temporal.NewNonRetryableApplicationError(in.Vendor+" is not polled", "Unsupported", nil)
	}
	page, err := poller.Poll(ctx, in.Cursor, in.Since)
	if err != nil {
		return PollResult{}, asActivityError(fmt.Errorf("customer %s: polling %s: %w", in.Customer, in.Vendor, err))
	}
	result := PollResult{NextCursor: page.NextCursor, More: page.More}
	for _, alert := range page.Alerts {
		if err := alert.Validate(); err != nil {
			a.Log.Warn("polled alert is invalid, skipped", "customer", in.Customer, "vendor", in.Vendor, "alert", alert.ID, "error", err)
			continue
		}
		duplicate, err := a.Deliver(ctx, in.Customer, in.Vendor, alert)
		if err != nil {
			return PollResult{}, fmt.Errorf("customer %s: delivering polled %s alert %s: %w", in.Customer, in.Vendor, alert.ID, err)
		}
		result.Delivered++
		if !duplicate {
			result.New++
		}
		activity.RecordHeartbeat(ctx, result.Delivered)
	}
	return result, nil
}
