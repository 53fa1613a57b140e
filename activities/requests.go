package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"xsoc/integrations"
)

// The Account's names for requests, repeated here like the others in account.go.
const (
	accountUpdateRecordRequest = "record_request"
	accountQueryBalance        = "balance"
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
// knows the host, and answers the first that does. A platform's refusal (404, or a
// name several devices share) is remembered and the next one asked; when all refuse,
// the failure is final and carries each vendor's words. A vendor failing (5xx, 429)
// retries the activity.
func (a *Activities) FindHost(ctx context.Context, in FindHostRequest) (HostFound, error) {
	var refusals []string
	for _, vendor := range in.Vendors {
		p, err := a.platform(in.Customer, vendor)
		if err != nil {
			return HostFound{}, err
		}
		finder, ok := p.(integrations.HostFinder)
		if !ok {
			continue
		}
		facts, err := finder.FindHost(ctx, in.Host)
		if err == nil {
			return HostFound{Vendor: vendor, Facts: facts}, nil
		}
		var vendorErr *integrations.VendorError
		if !errors.As(err, &vendorErr) || vendorErr.Retryable() {
			return HostFound{}, asActivityError(fmt.Errorf("customer %s, %s: finding host %s: %w", in.Customer, vendor, in.Host.Label(), err))
		}
		refusals = append(refusals, err.Error())
	}
	if len(refusals) == 0 {
		return HostFound{}, nil
	}
	return HostFound{}, temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("host %s is not known to the platforms of customer %s: %s", in.Host.Label(), in.Customer, strings.Join(refusals, "; ")),
		ErrorHostUnknown, nil)
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
		p, err := a.platform(in.Customer, vendor)
		if err != nil {
			return all, err
		}
		lookup, ok := p.(integrations.IndicatorLookup)
		if !ok {
			continue
		}
		findings, err := lookup.LookUpIndicators(ctx, in.Indicators)
		if err != nil {
			return all, asActivityError(fmt.Errorf("customer %s, %s: looking up indicators: %w", in.Customer, vendor, err))
		}
		summaries = append(summaries, findings.Summary)
		all.Indicators = append(all.Indicators, findings.Indicators...)
		all.Details = append(all.Details, findings.Details...)
	}
	all.Summary = strings.Join(summaries, "; ")
	return all, nil
}

// TicketBalance is the customer's option tickets as the Account's `balance` query
// answers them.
type TicketBalance struct {
	Remaining int       `json:"remaining"`
	Lots      []LotView `json:"lots"`
}

// ReadTicketBalance answers the customer's option tickets, lot by lot: what a refused
// consumption tells the requester.
func (a *Activities) ReadTicketBalance(ctx context.Context, customer string) (TicketBalance, error) {
	var balance TicketBalance
	value, err := a.Temporal.QueryWorkflow(ctx, accountID(customer), "", accountQueryBalance)
	if err != nil {
		return balance, accountError(customer, err)
	}
	if err := value.Get(&balance); err != nil {
		return balance, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("decoding the ticket balance of customer %s: %v", customer, err), "AccountRefused", err)
	}
	return balance, nil
}

// RequestSummary is what a customer request reports to its customer's Account when
// it ends: the monthly report counts requests by kind and state.
type RequestSummary struct {
	Customer string    `json:"customer"`
	Request  string    `json:"request"`
	Kind     string    `json:"kind"`
	State    string    `json:"state"`
	Urgent   bool      `json:"urgent,omitempty"`
	OpenedAt time.Time `json:"opened_at"`
	ClosedAt time.Time `json:"closed_at"`
	// Ack is how the request's ack clock ended (met, breached, not_needed).
	Ack string `json:"ack,omitempty"`
}

// RecordRequest hands an ended request's summary to the customer's Account, once (the
// request id is the Update id).
func (a *Activities) RecordRequest(ctx context.Context, in RequestSummary) error {
	return a.updateAccount(ctx, in.Customer, accountUpdateRecordRequest, "record/"+in.Request, in, nil)
}
