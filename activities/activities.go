// Package activities holds what xsoc does to the outside world (vendor platforms and
// notifiers), as methods on one struct that holds the clients. Each activity is small,
// idempotent and takes and returns plain structs. The activities that speak to xsoc's
// own workflows (the Accounts, intake of polled alerts) live beside those workflows,
// in package workflows.
package activities

import (
	"errors"
	"log/slog"

	"go.temporal.io/sdk/temporal"

	"xsoc/config"
	"xsoc/integrations"
)

// Activities holds the clients every activity uses.
type Activities struct {
	Settings  config.Settings
	Platforms *Platforms
	Mailer    Mailer
	Slack     SlackPoster
	Phone     Phone
	Log       *slog.Logger
	// sentMail remembers the keys of mail already handed to the SMTP server: SMTP has
	// no idempotency key, so a retry after a lost answer is caught here, and the
	// stable Message-ID covers a retry on another worker.
	sentMail recentKeys
}

// AsActivityError tells Temporal how to treat a vendor's failure: a 4xx (or an
// unsupported action) fails at once with the vendor's message; a 5xx or 429 retries,
// no sooner than the vendor's Retry-After. The message is the whole error, so that
// what the caller wrapped around the vendor's words (customer, host) shows too.
func AsActivityError(err error) error {
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
