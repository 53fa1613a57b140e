// Package activities holds everything xsoc does to the outside world, as methods on
// one struct that holds the clients: vendor platforms, notifiers and Temporal itself.
// Each activity is small, idempotent and takes and returns plain structs.
package activities

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"xsoc/config"
	"xsoc/integrations"
)

// PlatformFactory builds the client of one customer's vendor platform; credentials
// come from the worker's environment, never from workflow inputs.
type PlatformFactory func(customer config.Customer, platform config.Platform) (integrations.Platform, error)

// Activities holds the clients every activity uses.
type Activities struct {
	Customers   *config.Customers
	Settings    config.Settings
	Temporal    client.Client
	NewPlatform PlatformFactory
	Mailer      Mailer
	Slack       SlackPoster
	Phone       Phone
	Log         *slog.Logger
	// Deliver hands polled alerts to their incidents; the worker wires it to the
	// same intake as pushed alerts.
	Deliver Deliverer
	// sentMail remembers, for this worker's life, the keys of mail already handed to
	// the SMTP server: SMTP has no idempotency key, so a retry after a lost answer is
	// caught here, and the stable Message-ID covers a retry on another worker.
	sentMail    sync.Map
	platformsMu sync.Mutex
	platforms   map[string]integrations.Platform
}

// platform answers the (cached) client of a customer's vendor platform.
func (a *Activities) platform(customer, vendor string) (integrations.Platform, error) {
	key := customer + "/" + vendor
	a.platformsMu.Lock()
	defer a.platformsMu.Unlock()
	if p, ok := a.platforms[key]; ok {
		return p, nil
	}
	c, ok := a.Customers.Customer(customer)
	if !ok {
		return nil, temporal.NewNonRetryableApplicationError("unknown customer "+customer, "ConfigError", nil)
	}
	pc, ok := c.Platform(vendor)
	if !ok {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("customer %s has no %s platform configured", customer, vendor), "ConfigError", nil)
	}
	p, err := a.NewPlatform(*c, pc)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("customer %s, %s: %v", customer, vendor, err), "ConfigError", err)
	}
	if a.platforms == nil {
		a.platforms = map[string]integrations.Platform{}
	}
	a.platforms[key] = p
	return p, nil
}

// asActivityError tells Temporal how to treat a vendor's failure: a 4xx (or an
// unsupported action) fails at once with the vendor's message; a 5xx or 429 retries,
// no sooner than the vendor's Retry-After. The message is the whole error, so that
// what the caller wrapped around the vendor's words (customer, host) shows too.
func asActivityError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, integrations.ErrUnsupported) {
		return temporal.NewNonRetryableApplicationError(err.Error(), "Unsupported", err)
	}
	var vendorErr *integrations.VendorError
	if errors.As(err, &vendorErr) {
		options := temporal.ApplicationErrorOptions{NonRetryable: !vendorErr.Retryable(), Cause: err}
		if vendorErr.RetryAfter > 0 {
			options.NextRetryDelay = vendorErr.RetryAfter
		}
		return temporal.NewApplicationErrorWithOptions(err.Error(), "VendorError", options)
	}
	return err
}
