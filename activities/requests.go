package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"

	"xsoc/integrations"
)

// FindHostRequest asks the customer's platforms, in order, which one knows a host.
type FindHostRequest struct {
	Customer string            `json:"customer"`
	Vendors  []string          `json:"vendors"`
	Host     integrations.Host `json:"host"`
}

// HostFound is the platform that knows the host and what it says of it. Vendor is
// empty when none of the platforms can look hosts up: nobody could check.
type HostFound struct {
	Vendor string                 `json:"vendor,omitempty"`
	Facts  integrations.HostFacts `json:"facts"`
}

// ErrorHostUnknown is the type of FindHost's failure when every platform asked
// answered that it does not know the host.
const ErrorHostUnknown = "HostUnknown"

// FindHost asks each of the customer's platforms that can look hosts up whether it
// knows the host (Platforms.FindHost). When all refuse, the failure is final and
// carries each vendor's words; a vendor failing (5xx, 429) retries the activity.
func (a *Activities) FindHost(ctx context.Context, in FindHostRequest) (HostFound, error) {
	found, err := a.Platforms.FindHost(ctx, in.Customer, in.Vendors, in.Host)
	var unknown *HostUnknownError
	if errors.As(err, &unknown) {
		return HostFound{}, temporal.NewNonRetryableApplicationError(unknown.Error(), ErrorHostUnknown, nil)
	}
	return found, AsActivityError(err)
}

// HostUnknownError says that every platform asked answered that it does not know the
// host, in each vendor's words.
type HostUnknownError struct {
	Customer string
	Host     integrations.Host
	// Asked are the platforms that can look hosts up, in the order asked; Refusals
	// their answers, in the same order.
	Asked    []string
	Refusals []string
}

func (e *HostUnknownError) Error() string {
	return fmt.Sprintf("host %s is not known to the platforms of customer %s (asked %s): %s",
		e.Host.Label(), e.Customer, strings.Join(e.Asked, ", "), strings.Join(e.Refusals, "; "))
}

// FindHost asks each of the customer's vendors, in order, that can look hosts up
// whether it knows the host, and answers the first that does. A platform's refusal
// (404, or a name several devices share) is remembered and the next one asked; when
// all refuse, it answers a *HostUnknownError. A vendor failing (5xx, 429, the
// context's deadline) or a client that cannot be built ends the search with that
// error: nobody can tell yet. When none of the vendors can look hosts up it answers
// an empty HostFound: nobody could check. The worker's FindHost activity and the
// starter's check at the door both ask through here.
func (p *Platforms) FindHost(ctx context.Context, customer string, vendors []string, host integrations.Host) (HostFound, error) {
	unknown := &HostUnknownError{Customer: customer, Host: host}
	for _, vendor := range vendors {
		client, err := p.Client(customer, vendor)
		if err != nil {
			return HostFound{}, err
		}
		finder, ok := client.(integrations.HostFinder)
		if !ok {
			continue
		}
		facts, err := finder.FindHost(ctx, host)
		if err == nil {
			return HostFound{Vendor: vendor, Facts: facts}, nil
		}
		var vendorErr *integrations.VendorError
		if !errors.As(err, &vendorErr) || vendorErr.Retryable() {
			return HostFound{}, fmt.Errorf("customer %s, %s: finding host %s: %w", customer, vendor, host.Label(), err)
		}
		unknown.Asked = append(unknown.Asked, vendor)
		unknown.Refusals = append(unknown.Refusals, err.Error())
	}
	if len(unknown.Asked) == 0 {
		return HostFound{}, nil
	}
	return HostFound{}, unknown
}

// LookUpRequest asks the customer's platforms what they know of indicators.
type LookUpRequest struct {
	Customer   string                   `json:"customer"`
	Vendors    []string                 `json:"vendors"`
	Indicators []integrations.Indicator `json:"indicators"`
}

// LookUpIndicators asks every platform of the customer that can look indicators up
// outside an alert, and answers their findings together. Summary is empty when no
// platform could: the SOC looks them up by hand.
func (a *Activities) LookUpIndicators(ctx context.Context, in LookUpRequest) (integrations.Findings, error) {
	var all integrations.Findings
	var summaries []string
	for _, vendor := range in.Vendors {
		p, err := a.Platforms.Client(in.Customer, vendor)
		if err != nil {
			return all, err
		}
		lookup, ok := p.(integrations.IndicatorLookup)
		if !ok {
			continue
		}
		findings, err := lookup.LookUpIndicators(ctx, in.Indicators)
		if err != nil {
			return all, AsActivityError(fmt.Errorf("customer %s, %s: looking up indicators: %w", in.Customer, vendor, err))
		}
		summaries = append(summaries, findings.Summary)
		all.Indicators = append(all.Indicators, findings.Indicators...)
		all.Details = append(all.Details, findings.Details...)
	}
	all.Summary = strings.Join(summaries, "; ")
	return all, nil
}
