package account

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/identity"
	"xsoc/workflows/api"
)

// Unused option tickets are converted to another service (security training, or
// whatever the customer and the SOC agree on) with convert_tickets: the tickets leave
// the lot's balance, while it is valid or until api.ConvertibleAfterExpiry after it
// expired, and the conversion is recorded in the month's report.

// convertibleUntil is the last moment a lot's tickets may be converted.
func (acc *account) convertibleUntil(l Lot) time.Time {
	return acc.endOf(l).Add(api.ConvertibleAfterExpiry)
}

// convertible is how many of a lot's tickets may be converted: those left to use while
// it is valid, those that expired unused after.
func (l Lot) convertible() int {
	if l.ExpiryProcessed {
		return l.Expired
	}
	return l.Remaining()
}

// lotNamed finds the lot a conversion names: by its lot key ("2026-04-01#2", as the
// balance lists it) or by its purchase day when that day has one lot.
func (acc *account) lotNamed(name string) (int, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return -1, fmt.Errorf(`"lot" is required: the lot's purchase day, e.g. %q (lots: %s)`, "2026-04-01", acc.lotNames())
	}
	sameDay := 0
	found := -1
	for i := range acc.state.Lots {
		key := acc.lotKey(i)
		if key == name {
			return i, nil
		}
		if acc.state.Lots[i].Purchased.Format(time.DateOnly) == name {
			sameDay++
			found = i
		}
	}
	if sameDay > 1 {
		return -1, fmt.Errorf("%d lots were bought on %s: name one as the balance does (lots: %s)", sameDay, name, acc.lotNames())
	}
	if found < 0 {
		return -1, fmt.Errorf("customer %s has no lot %q (lots: %s)", acc.state.Customer, name, acc.lotNames())
	}
	return found, nil
}

func (acc *account) lotNames() string {
	if len(acc.state.Lots) == 0 {
		return "none"
	}
	names := make([]string, len(acc.state.Lots))
	for i := range acc.state.Lots {
		names[i] = acc.lotKey(i)
	}
	return strings.Join(names, ", ")
}

// validateConversion refuses a conversion that does not apply, naming the lot and what
// it has; it is also the Update's validator.
func (acc *account) validateConversion(ctx workflow.Context, c api.ConvertTickets) error {
	_, _, err := acc.checkConversion(ctx, c)
	return err
}

// checkConversion answers the lot a conversion takes from and who asked for it.
func (acc *account) checkConversion(ctx workflow.Context, c api.ConvertTickets) (int, identity.Author, error) {
	now := workflow.Now(ctx)
	author, err := c.Author(c.By, now)
	if err != nil {
		return -1, identity.Author{}, err
	}
	if err := acc.state.Replays.Check(c.Principal); err != nil {
		return -1, identity.Author{}, err
	}
	if c.Count <= 0 {
		return -1, identity.Author{}, fmt.Errorf(`"count" must be at least 1, got %d`, c.Count)
	}
	if strings.TrimSpace(c.To) == "" {
		return -1, identity.Author{}, errors.New(`"to" is required: "training", or the service the tickets become, in words`)
	}
	i, err := acc.lotNamed(c.Lot)
	if err != nil {
		return -1, identity.Author{}, err
	}
	lot, name := acc.state.Lots[i], acc.lotKey(i)
	if until := acc.convertibleUntil(lot); !now.Before(until) {
		return -1, identity.Author{}, fmt.Errorf("lot %s expired on %s: its unused tickets could be converted until %s", name,
			lot.Expires.Format(time.DateOnly), until.In(acc.zone).Format(time.DateOnly))
	}
	if have := lot.convertible(); c.Count > have {
		return -1, identity.Author{}, fmt.Errorf("lot %s has %d ticket(s) to convert, asked %d", name, have, c.Count)
	}
	return i, author, nil
}

// convertTickets takes the tickets out of the lot and records the conversion. The
// same Update again (a retry) answers the conversion it recorded.
func (acc *account) convertTickets(ctx workflow.Context, c api.ConvertTickets) (api.Conversion, error) {
	id := "convert/" + workflow.GetCurrentUpdateInfo(ctx).ID
	if j := slices.IndexFunc(acc.state.Conversions, func(done api.Conversion) bool { return done.ID == id }); j >= 0 {
		return acc.state.Conversions[j], nil
	}
	i, author, err := acc.checkConversion(ctx, c)
	if err != nil {
		return api.Conversion{}, temporal.NewApplicationError(err.Error(), "ConversionRefused")
	}
	now := workflow.Now(ctx)
	_ = acc.state.Replays.Take(c.Principal, now)
	lot := &acc.state.Lots[i]
	conversion := api.Conversion{ID: id, At: now, Lot: acc.lotKey(i), Expires: lot.Expires.Format(time.DateOnly), Tickets: c.Count,
		To: strings.TrimSpace(c.To), By: author.Name, Verified: author.Verified, Via: author.Via, Note: c.Note, AfterExpiry: lot.ExpiryProcessed}
	if lot.ExpiryProcessed {
		lot.Expired -= c.Count
	}
	lot.Converted += c.Count
	acc.state.Conversions = append(acc.state.Conversions, conversion)
	acc.month(now).TicketsConverted += c.Count
	acc.gen++
	return conversion, nil
}
