// Package account is the Account workflow: a customer's ledger of option tickets
// and monthly figures (billing, the monthly report, the managers' view).
package account

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/identity"
	"xsoc/integrations/messages"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// Account is a customer's durable ledger of prepaid option tickets and monthly
// figures. It runs for as long as the customer is configured, continuing as new so
// that its history stays small over the years.
//
// Tickets: each lot is valid one year from purchase; consumption takes from the lot
// that expires first; expired tickets never count and nothing carries over. The
// customer is told 30 days before a lot expires with tickets left, and at expiry the
// unused count is reported as convertible to another service.
func Account(ctx workflow.Context, in Input) error {
	acc := &account{state: in.State, in: in}
	acc.state.Customer = in.Customer
	if in.Plan != "" {
		acc.state.Plan, acc.state.IDs = in.Plan, in.IDs
	}
	if in.Timezone != "" {
		acc.state.Timezone = in.Timezone
	}
	acc.zone = config.LoadLocation(acc.state.Timezone)
	acc.countLive(ctx)
	acc.mergePurchases(ctx, in.Purchases)
	if err := acc.setup(ctx); err != nil {
		return err
	}
	// The lot events due at the start were done as the purchases merged: the first
	// turn waits first.
	if err := acc.Wait(ctx); err != nil {
		return err
	}
	return casework.RunEntity(ctx, acc)
}

// Take takes the settings, purchases, incident summaries and moments that arrived, and
// decides whether this run ends: an Account continues as new before it processes the
// lot events due then (the next run does them first), as it always has.
func (acc *account) Take(ctx workflow.Context) {
	acc.receiveSettings()
	acc.receivePurchases(ctx)
	acc.receiveIncidents()
	acc.receiveMoments()
	acc.continuing = acc.shouldContinueAsNew(ctx)
}

// Work processes the lot expiries and sends the notices whose time has come.
func (acc *account) Work(ctx workflow.Context) {
	if !acc.continuing {
		acc.passLotEvents(ctx)
	}
}

// ContinueAsNew carries the ledger into a new run, its months trimmed, when Take
// decided so.
func (acc *account) ContinueAsNew(ctx workflow.Context) error {
	if !acc.continuing {
		return nil
	}
	acc.trimMonths()
	return workflow.NewContinueAsNewError(ctx, Account, Input{Customer: acc.in.Customer, Notify: acc.in.Notify, State: acc.state})
}

// Wait waits until something changes (a signal, an Update, a notice's outcome) or the
// next lot event is due.
func (acc *account) Wait(ctx workflow.Context) error {
	gen := acc.gen
	next, ok := acc.nextLotEvent()
	changed := func() bool {
		return acc.gen != gen || acc.purchases.Len() > 0 || acc.settings.Len() > 0 || acc.incidents.Len() > 0 ||
			acc.moments.Len() > 0 || acc.momentBatches.Len() > 0 || acc.shouldContinueAsNew(ctx)
	}
	if !ok {
		return workflow.Await(ctx, changed)
	}
	if wait := next.Sub(workflow.Now(ctx)); wait > 0 {
		_, err := workflow.AwaitWithTimeout(ctx, wait, changed)
		return err
	}
	return nil
}

// Input starts (or continues) a customer's account: api.AccountInput, and the state
// it carries across continue-as-new.
type Input struct {
	Customer  string            `json:"customer"`
	Plan      string            `json:"plan,omitempty"`
	IDs       int               `json:"ids,omitempty"`
	Purchases []config.Lot      `json:"purchases,omitempty"`
	Notify    api.AccountNotify `json:"notify"`
	// Timezone is the customer's IANA zone: its billing months run from the 1st
	// 00:00 to the 1st 00:00 there, and its lots end at midnight there.
	Timezone string `json:"timezone,omitempty"`
	State    State  `json:"state"`
}

// State is everything the ledger knows, carried across continue-as-new.
type State struct {
	Customer     string                   `json:"customer"`
	Plan         string                   `json:"plan"`
	IDs          int                      `json:"ids"`
	Timezone     string                   `json:"timezone,omitempty"`
	Lots         []Lot                    `json:"lots"`
	Consumptions []api.Consumption        `json:"consumptions"`
	Months       map[string]*MonthFigures `json:"months"`
	// Applied holds the request ids already applied, so that a retried consume or
	// a re-reported incident counts once even across continue-as-new.
	Applied []string `json:"applied"`
	// Sent holds the keys of the ticket notices delivered, so that a notice that
	// reached some contacts and not others is retried to the others only.
	Sent []string `json:"sent,omitempty"`
	// TimeToAck, TimeToCustomerAck and BreachTotals count over the Account's whole
	// life, for the starter's Prometheus metrics, which must never go down.
	TimeToAck         api.Histogram  `json:"time_to_ack"`
	TimeToCustomerAck api.Histogram  `json:"time_to_customer_ack,omitzero"`
	BreachTotals      map[string]int `json:"breach_totals,omitempty"`
	// Live is set once the Account counts each figure at its moment (moments.go);
	// the months counted before keep their figures, marked CountedAtConclusion.
	Live bool `json:"live,omitempty"`
	// Open are the incidents that told their moments and have not concluded yet,
	// oldest first: what each one counted, and which were open at a month's end.
	Open []OpenIncident `json:"open,omitempty"`
	// Conversions are the tickets converted to another service (convert_tickets).
	Conversions []api.Conversion `json:"conversions,omitempty"`
	// Replays are the stamps of the people whose decisions the Account took in the
	// last minutes (docs/identity-contract.md).
	Replays identity.Replays `json:"replays,omitzero"`
	// Stamps are the stamps of the consumptions taken in the last minutes: a copy of a
	// stamped consume sent as another Update is refused.
	Stamps identity.Replays `json:"stamps,omitzero"`
}

// Lot is one purchase of option tickets.
type Lot struct {
	Purchased time.Time `json:"purchased"`
	Expires   time.Time `json:"expires"`
	Count     int       `json:"count"`
	Used      int       `json:"used"`
	// Converted counts the tickets converted to another service, before or after
	// the lot expired; Expired those that expired unused and are not converted since.
	Converted int `json:"converted,omitempty"`
	Expired   int `json:"expired"`
	// NoticeSent: the notice 30 days before expiry reached every contact.
	NoticeSent bool `json:"notice_sent,omitempty"`
	// ExpiryProcessed: the expired tickets are counted in the month's figures.
	ExpiryProcessed bool `json:"expiry_processed,omitempty"`
	// ExpiryNoticeDue: the expiry notice has not reached every contact yet.
	ExpiryNoticeDue bool `json:"expiry_notice_due,omitempty"`
	// NoticeRetryAt is when a notice that failed to reach a contact is tried again,
	// NoticeFailures how often it failed (the wait doubles, up to a day).
	NoticeRetryAt  time.Time `json:"notice_retry_at,omitzero"`
	NoticeFailures int       `json:"notice_failures,omitempty"`
}

// Remaining is what is left to use of a lot.
func (l Lot) Remaining() int { return l.Count - l.Used - l.Converted - l.Expired }

// MonthFigures are one month's billable work and SLA outcomes, each counted in the
// month its moment fell in (moments.go).
type MonthFigures struct {
	Incidents      int                       `json:"incidents"`
	Billable       int                       `json:"billable"`
	NotBillable    int                       `json:"not_billable"`
	BySeverity     map[string]int            `json:"by_severity"`
	ByVerdict      map[string]int            `json:"by_verdict"`
	SLA            map[string]map[string]int `json:"sla"`
	TicketsUsed    int                       `json:"tickets_used"`
	TicketsExpired int                       `json:"tickets_expired"`
	// ActiveIDs are the endpoints each vendor reported active at the month's end
	// (per_id plan), set beside the contracted IDs.
	ActiveIDs map[string]int `json:"active_ids,omitempty"`
	// Requests counts the customer requests that ended in the month by kind and state;
	// RequestsAck how their ack clocks ended.
	Requests    map[string]map[string]int `json:"requests,omitempty"`
	RequestsAck map[string]int            `json:"requests_ack,omitempty"`
	// The managers' figures (performance.go): where the alerts went, how long each
	// step took, which clocks were breached, what each suppression rule closed.
	Funnel    api.Funnel                 `json:"funnel"`
	Durations map[string]*DurationSample `json:"durations,omitempty"`
	Breaches  []api.Breach               `json:"breaches,omitempty"`
	RuleHits  map[string]int             `json:"rule_hits,omitempty"`
	// Severities is each Severity's share of the month.
	Severities map[string]*SeverityFigures `json:"severities,omitempty"`
	// OpenAtEnd lists the incidents that were open when the month ended and have
	// concluded since (the first openAtEndLimit); OpenAtEndCount counts them all.
	// Those still open are in State.Open.
	OpenAtEnd      []api.OpenAtEnd `json:"open_at_end,omitempty"`
	OpenAtEndCount int             `json:"open_at_end_count,omitempty"`
	// RequestAccept samples how long the SOC took to accept the month's requests.
	RequestAccept *DurationSample `json:"request_accept,omitempty"`
	// TicketsConverted counts the tickets converted in the month.
	TicketsConverted int `json:"tickets_converted,omitempty"`
	// CountedAtConclusion marks a month counted (at least in part) before the
	// Account counted live: its incidents counted when they concluded.
	CountedAtConclusion bool `json:"counted_at_conclusion,omitempty"`
}

// ticketValidityYears is how long a lot may be used after purchase: calendar years,
// so that a leap day does not end a lot a day early.
const ticketValidityYears = 1

// expiryNotice is how long before expiry the customer hears about unused tickets.
const expiryNotice = 30 * 24 * time.Hour

// appliedLimit bounds the remembered request ids; far more than can be in flight.
const appliedLimit = 2000

// sentLimit bounds the remembered notice keys: a lot's two notices to a few contacts
// each, for far more lots than are ever being told about at once.
const sentLimit = 500

// noticeRetry is the first wait before a notice that failed is tried again; it
// doubles with each failure up to noticeRetryMax, and never gives up.
const (
	noticeRetry    = time.Hour
	noticeRetryMax = 24 * time.Hour
)

type account struct {
	in        Input
	state     State
	gen       int
	purchases workflow.ReceiveChannel
	settings  workflow.ReceiveChannel
	// incidents are the concluded incidents' summaries (SignalRecordIncident), from
	// incidents started before they told their moments.
	incidents workflow.ReceiveChannel
	// moments are what incidents tell as it happens (SignalIncidentMoments).
	moments workflow.ReceiveChannel
	// momentBatches are moments many incidents told at once (SignalIncidentMomentsBatch).
	momentBatches workflow.ReceiveChannel
	// live: this run counts each figure at its moment (liveFiguresVersion).
	live bool
	// zone is the customer's time zone (state.Timezone), where months and lots end.
	zone *time.Location
	// inflight are the notification activities running: a continue-as-new would
	// drop them.
	inflight casework.InFlight
	// continuing is set by a turn's Take when this run is to continue as new.
	continuing bool
	// telling holds the notices (noticeKey) being sent now, which are neither due
	// again nor delivered yet.
	telling map[string]bool
}

func (acc *account) setup(ctx workflow.Context) error {
	err := workflow.SetUpdateHandlerWithOptions(ctx, api.UpdateConsume, acc.consume, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, r api.ConsumeRequest) error {
			r.RequestID = consumeRequestID(ctx, r)
			if slices.Contains(acc.state.Applied, r.RequestID) {
				return nil // a retry: answered as the first time
			}
			author, err := casework.ValidAuthor(r.Stamp, r.By, workflow.Now(ctx), &acc.state.Stamps)
			if err != nil {
				return err
			}
			r.By = author.Name
			return acc.validateConsume(workflow.Now(ctx), r)
		},
		Description: `Consume option tickets for an incident. {"incident": "<workflow id>", "service": "forensics", "tickets": 2} ("by" is you: sent through the codec server it may be left out)`,
	})
	if err != nil {
		return err
	}
	err = workflow.SetUpdateHandlerWithOptions(ctx, api.UpdateRecordIncident, acc.recordIncident, workflow.UpdateHandlerOptions{
		Description: "Internal: a concluded incident reports its summary for the monthly figures.",
	})
	if err != nil {
		return err
	}
	err = workflow.SetUpdateHandlerWithOptions(ctx, api.UpdateRecordRequest, acc.recordRequest, workflow.UpdateHandlerOptions{
		Description: "Internal: an ended customer request reports its kind and state for the monthly figures.",
	})
	if err != nil {
		return err
	}
	err = workflow.SetUpdateHandlerWithOptions(ctx, api.UpdateRecordActiveIDs, acc.recordActiveIDs, workflow.UpdateHandlerOptions{
		Validator: validateActiveIDs,
		Description: `Internal: the endpoints each vendor reported active in a month (per_id plan), replacing what was recorded. ` +
			`{"month": "2026-11", "counts": {"cybereason": 180, "withsecure": 20}}`,
	})
	if err != nil {
		return err
	}
	acc.purchases = workflow.GetSignalChannelWithOptions(ctx, api.SignalPurchases, workflow.SignalChannelOptions{
		Description: "Internal: the lots of the customers file, merged in on every worker start.",
	})
	acc.incidents = workflow.GetSignalChannelWithOptions(ctx, api.SignalRecordIncident, workflow.SignalChannelOptions{
		Description: "Internal: a concluded incident of an earlier version reports its summary for the monthly figures.",
	})
	acc.moments = workflow.GetSignalChannelWithOptions(ctx, api.SignalIncidentMoments, workflow.SignalChannelOptions{
		Description: "Internal: an incident tells what happened to it as it happens (in, acknowledged, breached, contained, verdict, concluded).",
	})
	acc.momentBatches = workflow.GetSignalChannelWithOptions(ctx, api.SignalIncidentMomentsBatch, workflow.SignalChannelOptions{
		Description: "Internal: what many incidents told at the same moment, gathered by a worker into one signal.",
	})
	err = workflow.SetUpdateHandlerWithOptions(ctx, api.UpdateIncidentMomentsBatch, acc.tellMoments, workflow.UpdateHandlerOptions{
		Description: "Internal: what many incidents told at the same moment, gathered by a worker into one Update.",
	})
	if err != nil {
		return err
	}
	err = workflow.SetUpdateHandlerWithOptions(ctx, api.UpdateConvertTickets, acc.convertTickets, workflow.UpdateHandlerOptions{
		Validator: acc.validateConversion,
		Description: `Convert unused option tickets of a lot to another service (until 90 days after the lot expired). ` +
			`{"lot": "2026-04-01", "count": 3, "to": "training", "by": "<who>", "note": "..."}`,
	})
	if err != nil {
		return err
	}
	acc.settings = workflow.GetSignalChannelWithOptions(ctx, api.SignalSettings, workflow.SignalChannelOptions{
		Description: "Internal: the plan, IDs, contacts, language and time zone of the customers file, on every worker start.",
	})
	if err := workflow.SetQueryHandlerWithOptions(ctx, api.QueryBalance, func() (api.Balance, error) {
		return acc.balance(), nil
	}, workflow.QueryHandlerOptions{Description: "Option tickets left, lot by lot."}); err != nil {
		return err
	}
	if err := workflow.SetQueryHandlerWithOptions(ctx, api.QueryPerformance, func(month string) (api.Performance, error) {
		return acc.performance(month)
	}, workflow.QueryHandlerOptions{Description: `The managers' figures of a month and the trend of the 6 months ending with it. Argument: "YYYY-MM".`}); err != nil {
		return err
	}
	return workflow.SetQueryHandlerWithOptions(ctx, api.QueryReport, func(month string) (api.Report, error) {
		return acc.report(month)
	}, workflow.QueryHandlerOptions{Description: `The monthly report. Argument: "YYYY-MM".`})
}

// receivePurchases merges every purchases signal received so far.
func (acc *account) receivePurchases(ctx workflow.Context) {
	for {
		var lots []config.Lot
		if !acc.purchases.ReceiveAsync(&lots) {
			return
		}
		acc.mergePurchases(ctx, lots)
		acc.gen++
	}
}

// receiveSettings applies the latest settings signalled: the plan and IDs of the
// reports to come, the contacts and language of the notices to come, and the time
// zone of the months to come (months already counted keep their figures).
func (acc *account) receiveSettings() {
	for {
		var settings api.AccountSettings
		if !acc.settings.ReceiveAsync(&settings) {
			return
		}
		acc.state.Plan, acc.state.IDs = settings.Plan, settings.IDs
		acc.in.Notify = settings.Notify
		if settings.Timezone != "" {
			acc.state.Timezone = settings.Timezone
			acc.zone = config.LoadLocation(settings.Timezone)
		}
		acc.gen++
	}
}

// mergePurchases adds lots from the customers file that the ledger does not have yet;
// a lot is known by its purchase day and position among that day's lots.
func (acc *account) mergePurchases(ctx workflow.Context, lots []config.Lot) {
	seen := map[string]int{}
	for _, purchase := range lots {
		day := purchase.Purchased.UTC().Truncate(24 * time.Hour)
		key := day.Format(time.DateOnly)
		seen[key]++
		nth := 0
		exists := slices.ContainsFunc(acc.state.Lots, func(l Lot) bool {
			if l.Purchased.Equal(day) {
				nth++
				return nth == seen[key]
			}
			return false
		})
		if !exists {
			acc.state.Lots = append(acc.state.Lots, Lot{Purchased: day, Expires: day.AddDate(ticketValidityYears, 0, 0), Count: purchase.Count})
		}
	}
	slices.SortStableFunc(acc.state.Lots, func(a, b Lot) int { return a.Expires.Compare(b.Expires) })
	acc.passLotEvents(ctx)
}

func (acc *account) available(now time.Time) int {
	total := 0
	for _, l := range acc.state.Lots {
		if now.Before(acc.endOf(l)) {
			total += l.Remaining()
		}
	}
	return total
}

func (acc *account) validateConsume(now time.Time, r api.ConsumeRequest) error {
	if r.By == "" {
		return errors.New(`"by" is required`)
	}
	if r.Service == "" {
		return errors.New(`"service" is required`)
	}
	if r.Tickets <= 0 {
		return fmt.Errorf(`"tickets" must be at least 1, got %d`, r.Tickets)
	}
	if r.RequestID != "" && slices.Contains(acc.state.Applied, r.RequestID) {
		return nil
	}
	if balance := acc.available(now); r.Tickets > balance {
		return fmt.Errorf("not enough option tickets for customer %s: asked %d, balance %d", acc.state.Customer, r.Tickets, balance)
	}
	return nil
}

// consume takes tickets from the lots that expire first and answers what is left.
func (acc *account) consume(ctx workflow.Context, r api.ConsumeRequest) (int, error) {
	now := workflow.Now(ctx)
	requestID := consumeRequestID(ctx, r)
	if slices.Contains(acc.state.Applied, requestID) {
		return acc.available(now), nil
	}
	// The author is who the stamp proves (an incident's use_tickets and a request's
	// accept forward their decision's), else the declared "by".
	author := casework.AcceptedAuthor(r.Stamp, r.By, now, &acc.state.Stamps)
	r.By = author.Name
	if err := acc.validateConsume(now, r); err != nil {
		return 0, temporal.NewApplicationError(err.Error(), "BeyondBalance")
	}
	need := r.Tickets
	use := api.Consumption{At: now, Incident: r.Incident, Service: r.Service, Tickets: r.Tickets, By: r.By, Verified: author.Verified, Via: author.Via}
	for i := range acc.state.Lots {
		lot := &acc.state.Lots[i]
		if need == 0 || !now.Before(acc.endOf(*lot)) || lot.Remaining() == 0 {
			continue
		}
		take := min(need, lot.Remaining())
		lot.Used += take
		need -= take
		use.Lots = append(use.Lots, fmt.Sprintf("%s:%d", lot.Purchased.Format(time.DateOnly), take))
	}
	acc.state.Consumptions = append(acc.state.Consumptions, use)
	acc.month(now).TicketsUsed += r.Tickets
	acc.remember(requestID)
	acc.gen++
	return acc.available(now), nil
}

// consumeRequestID is what makes a consumption the same: its request id, or for a
// request without one (from the Temporal UI) the Update id.
func consumeRequestID(ctx workflow.Context, r api.ConsumeRequest) string {
	if r.RequestID != "" {
		return r.RequestID
	}
	return workflow.GetCurrentUpdateInfo(ctx).ID
}

// recordIncident is the record_incident Update, which activities of earlier versions
// still send: the summary counts once, by the Update's id.
func (acc *account) recordIncident(ctx workflow.Context, s api.IncidentSummary) error {
	acc.applySummary(workflow.GetCurrentUpdateInfo(ctx).ID, s)
	return nil
}

// receiveIncidents applies the summaries signalled so far.
func (acc *account) receiveIncidents() {
	for {
		var s api.IncidentSummary
		if !acc.incidents.ReceiveAsync(&s) {
			return
		}
		acc.applySummary(summaryID(s), s)
	}
}

// applySummary counts a concluded incident that told nothing before: each of its
// moments in the month it happened, once this run counts live; all of it in the month
// it concluded in a run that began before (it replays as it ran).
func (acc *account) applySummary(id string, s api.IncidentSummary) {
	if acc.live {
		acc.applyMoments(id, momentsOfSummary(s))
		return
	}
	acc.applyIncident(id, s)
}

// summaryID names a summary's application in the Account: the incident's run, so that
// a retried report counts once and a new run of the same alert counts again.
func summaryID(s api.IncidentSummary) string {
	return "record/" + s.Incident + "/" + s.OpenedAt.UTC().Format("20060102T150405.000")
}

// applyIncident adds a concluded incident to the month it concluded in, once per id:
// how the Account counted before it counted live (liveFiguresVersion).
func (acc *account) applyIncident(id string, s api.IncidentSummary) {
	if slices.Contains(acc.state.Applied, id) {
		return
	}
	m := acc.month(s.ClosedAt)
	m.Incidents++
	if s.Billable {
		m.Billable++
	} else {
		m.NotBillable++
	}
	m.BySeverity[s.Severity]++
	verdict := s.Verdict
	if verdict == "" {
		verdict = "none"
	}
	m.ByVerdict[verdict]++
	for _, clock := range casework.SortedKeys(s.Clocks) {
		if m.SLA[clock] == nil {
			m.SLA[clock] = map[string]int{}
		}
		m.SLA[clock][s.Clocks[clock]]++
	}
	acc.recordConcludedPerformance(m, s)
	acc.remember(id)
}

func validateActiveIDs(r api.ActiveIDs) error {
	if _, err := time.Parse("2006-01", r.Month); err != nil {
		return fmt.Errorf("month %q: want YYYY-MM", r.Month)
	}
	for _, vendor := range casework.SortedKeys(r.Counts) {
		if vendor == "" {
			return errors.New("counts: a vendor name is empty")
		}
		if r.Counts[vendor] < 0 {
			return fmt.Errorf("counts: %s has %d active endpoints; a count cannot be negative", vendor, r.Counts[vendor])
		}
	}
	return nil
}

// recordActiveIDs sets a month's active endpoints by vendor. A later count of the
// same month replaces the earlier one, so a retried or repeated report records the
// figures once.
func (acc *account) recordActiveIDs(_ workflow.Context, r api.ActiveIDs) error {
	acc.monthOf(r.Month).ActiveIDs = r.Counts
	return nil
}

func (acc *account) remember(id string) {
	acc.state.Applied = append(acc.state.Applied, id)
	if over := len(acc.state.Applied) - appliedLimit; over > 0 {
		acc.state.Applied = acc.state.Applied[over:]
	}
}

// month answers the figures of the month an instant falls in, in the customer's zone.
func (acc *account) month(at time.Time) *MonthFigures {
	return acc.monthOf(acc.monthKey(at))
}

// monthKey is the month ("2026-11") an instant falls in, in the customer's zone:
// 2026-11-30T15:30Z is December in Tokyo.
func (acc *account) monthKey(at time.Time) string {
	return at.In(acc.zone).Format("2006-01")
}

// endOf is the instant a lot stops being valid: the start of its expiry day in the
// customer's zone (its dates are calendar days, kept as UTC midnights).
func (acc *account) endOf(l Lot) time.Time {
	return time.Date(l.Expires.Year(), l.Expires.Month(), l.Expires.Day(), 0, 0, 0, 0, acc.zone)
}

// monthOf answers the figures of a month ("2026-11"), empty ones for a new month.
func (acc *account) monthOf(key string) *MonthFigures {
	if acc.state.Months == nil {
		acc.state.Months = map[string]*MonthFigures{}
	}
	m, ok := acc.state.Months[key]
	if !ok {
		m = &MonthFigures{}
		acc.state.Months[key] = m
	}
	// A month carried over may hold no map where it counted nothing.
	if m.BySeverity == nil {
		m.BySeverity = map[string]int{}
	}
	if m.ByVerdict == nil {
		m.ByVerdict = map[string]int{}
	}
	if m.SLA == nil {
		m.SLA = map[string]map[string]int{}
	}
	return m
}

// nextLotEvent is the next notice or expiry still to process.
func (acc *account) nextLotEvent() (time.Time, bool) {
	var next time.Time
	for i, l := range acc.state.Lots {
		times := []time.Time{acc.expiryAt(l)}
		if at, expired, ok := acc.dueNotice(l); ok && !acc.telling[noticeKey(acc.lotKey(i), expired)] {
			times = append(times, at)
		}
		for _, at := range times {
			if !at.IsZero() && (next.IsZero() || at.Before(next)) {
				next = at
			}
		}
	}
	return next, !next.IsZero()
}

func (l Lot) notice(expired bool, count int) messages.TicketNotice {
	return messages.TicketNotice{Expired: expired, Count: count,
		Purchased: l.Purchased.Format(time.DateOnly), Expires: l.Expires.Format(time.DateOnly)}
}

// dueNotice is the notice the lot still owes its customer, and from when: the one 30
// days before expiry while tickets are left, then the one at expiry when some
// expired unused; later when the last attempt failed.
func (acc *account) dueNotice(l Lot) (at time.Time, expired, ok bool) {
	switch {
	case l.ExpiryProcessed && l.ExpiryNoticeDue:
		at, expired = acc.endOf(l), true
	case l.ExpiryProcessed || l.NoticeSent || l.Remaining() == 0:
		return time.Time{}, false, false
	default:
		at = acc.endOf(l).Add(-expiryNotice)
	}
	if l.NoticeRetryAt.After(at) {
		at = l.NoticeRetryAt
	}
	return at, expired, true
}

func (acc *account) expiryAt(l Lot) time.Time {
	if l.ExpiryProcessed {
		return time.Time{}
	}
	return acc.endOf(l)
}

// passLotEvents processes the expiries and sends the notices whose time has come.
func (acc *account) passLotEvents(ctx workflow.Context) {
	now := workflow.Now(ctx)
	for i := range acc.state.Lots {
		lot := &acc.state.Lots[i]
		if at := acc.expiryAt(*lot); !at.IsZero() && !now.Before(at) {
			lot.ExpiryProcessed = true
			lot.Expired = lot.Count - lot.Used - lot.Converted
			// A notice 30 days before that never got through is moot now.
			lot.NoticeRetryAt, lot.NoticeFailures = time.Time{}, 0
			if lot.Expired > 0 {
				acc.month(acc.endOf(*lot)).TicketsExpired += lot.Expired
				lot.ExpiryNoticeDue = true
			}
		}
		at, expired, ok := acc.dueNotice(*lot)
		if !ok || now.Before(at) || acc.telling[noticeKey(acc.lotKey(i), expired)] {
			continue
		}
		count := lot.Remaining()
		if expired {
			count = lot.Expired
		}
		acc.tell(ctx, acc.lotKey(i), lot.notice(expired, count))
	}
}

// lotKey names the i-th lot in notification keys: its purchase day, and its position
// among that day's lots when there are several (they keep their order: same day,
// same expiry, stable sort, new ones appended).
func (acc *account) lotKey(i int) string {
	lot := acc.state.Lots[i]
	nth := 0
	for _, other := range acc.state.Lots[:i] {
		if other.Purchased.Equal(lot.Purchased) {
			nth++
		}
	}
	key := lot.Purchased.Format(time.DateOnly)
	if nth > 0 {
		key += fmt.Sprintf("#%d", nth+1)
	}
	return key
}

// lotOf answers the lot a lotKey names: lots may have moved since (a purchase
// merged in between).
func (acc *account) lotOf(lotKey string) (*Lot, bool) {
	for i := range acc.state.Lots {
		if acc.lotKey(i) == lotKey {
			return &acc.state.Lots[i], true
		}
	}
	return nil, false
}

// noticeKey names one notice of a lot.
func noticeKey(lotKey string, expired bool) string {
	if expired {
		return "expired/" + lotKey
	}
	return "notice/" + lotKey
}

// tell sends a ticket notice to the customer's status update contacts, by every
// channel but calls, skipping those it already reached. lotKey tells the lot apart
// from others bought the same day, whose notices would otherwise be taken for
// retries of this one and dropped. The notice is marked sent once it reached them
// all; a failure leaves it due again later.
func (acc *account) tell(ctx workflow.Context, lotKey string, notice messages.TicketNotice) {
	key := noticeKey(lotKey, notice.Expired)
	telling := &telling{lotKey: lotKey, expired: notice.Expired}
	n := activities.Notification{Customer: acc.state.Customer, Language: acc.in.Notify.Language, Kind: activities.KindNotice,
		Incident: activities.Brief{CustomerName: acc.in.Notify.CustomerName, Notice: &notice}}
	for i, contact := range acc.in.Notify.Contacts {
		for _, m := range casework.Messages(contact, fmt.Sprintf("%s/tickets/%s/%d", api.AccountWorkflowID(acc.state.Customer), key, i), false, n) {
			if slices.Contains(acc.state.Sent, m.Notification.Key) {
				continue
			}
			telling.pending++
			acc.send(ctx, m, telling)
		}
	}
	if telling.pending == 0 {
		acc.told(ctx, telling)
		return
	}
	if acc.telling == nil {
		acc.telling = map[string]bool{}
	}
	acc.telling[key] = true
}

// telling is one notice on its way to the contacts.
type telling struct {
	lotKey  string
	expired bool
	pending int
	failed  []string
}

// send sends one message of a notice beside the loop, and records how it went.
func (acc *account) send(ctx workflow.Context, m casework.Message, t *telling) {
	send := func(ctx workflow.Context) workflow.Future { return casework.Send(ctx, casework.NotifyOptions, m) }
	acc.inflight.Start(ctx, send, func(ctx workflow.Context, get func(any) error) {
		if err := get(nil); err != nil {
			t.failed = append(t.failed, fmt.Sprintf("%s %s: %v", m.Channel.Name, m.Channel.Address, err))
		} else {
			acc.state.Sent = append(acc.state.Sent, m.Notification.Key)
			if over := len(acc.state.Sent) - sentLimit; over > 0 {
				acc.state.Sent = acc.state.Sent[over:]
			}
		}
		if t.pending--; t.pending == 0 {
			delete(acc.telling, noticeKey(t.lotKey, t.expired))
			acc.told(ctx, t)
		}
	})
}

// noticeRetryVersion guards retrying a notice that failed: before it, the notice
// counted as sent when it was handed to the channels, and Accounts whose history
// holds such a failure must replay as they ran.
const noticeRetryVersion = "account-notice-retry"

// told records how a notice went: sent once it reached every contact; due again
// after a wait that doubles with each failure otherwise.
func (acc *account) told(ctx workflow.Context, t *telling) {
	lot, ok := acc.lotOf(t.lotKey)
	if !ok {
		return
	}
	if len(t.failed) > 0 && workflow.GetVersion(ctx, noticeRetryVersion, workflow.DefaultVersion, 1) != workflow.DefaultVersion {
		wait := min(noticeRetry<<min(lot.NoticeFailures, 5), noticeRetryMax)
		lot.NoticeFailures++
		lot.NoticeRetryAt = workflow.Now(ctx).Add(wait)
		workflow.GetLogger(ctx).Warn("ticket notice not delivered; trying again later",
			"customer", acc.state.Customer, "notice", noticeKey(t.lotKey, t.expired), "retry_in", wait, "failed", t.failed)
		acc.gen++
		return
	}
	lot.NoticeRetryAt, lot.NoticeFailures = time.Time{}, 0
	if t.expired {
		lot.ExpiryNoticeDue = false
	} else {
		lot.NoticeSent = true
	}
}

func (acc *account) balance() api.Balance {
	b := api.Balance{Lots: []api.LotView{}}
	for i := range acc.state.Lots {
		view := acc.lotView(i)
		b.Remaining += view.Remaining
		b.Lots = append(b.Lots, view)
	}
	return b
}

// lotView is the i-th lot as a balance or a report shows it.
func (acc *account) lotView(i int) api.LotView {
	l := acc.state.Lots[i]
	remaining := 0
	if !l.ExpiryProcessed {
		remaining = l.Remaining()
	}
	return api.LotView{Lot: acc.lotKey(i), Purchased: l.Purchased.Format(time.DateOnly), Expires: l.Expires.Format(time.DateOnly),
		Count: l.Count, Used: l.Used, Converted: l.Converted, Expired: l.Expired, Remaining: remaining,
		ConvertibleUntil: acc.convertibleUntil(l)}
}

// shouldContinueAsNew: the ledger runs for years; carry its state into a fresh run
// when the history grows, between handlers and once no notice is being sent (one in
// flight would be dropped with this run; one that failed is due again in the next).
func (acc *account) shouldContinueAsNew(ctx workflow.Context) bool {
	return casework.MayContinueAsNew(ctx, acc.inflight.Idle())
}
