package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations/messages"
)

// Account is a customer's durable ledger of prepaid option tickets and monthly
// figures. It runs for as long as the customer is configured, continuing as new so
// that its history stays small over the years.
//
// Tickets: each lot is valid one year from purchase; consumption takes from the lot
// that expires first; expired tickets never count and nothing carries over. The
// customer is told 30 days before a lot expires with tickets left, and at expiry the
// unused count is reported as convertible to another service.
func Account(ctx workflow.Context, in AccountInput) error {
	acc := &account{state: in.State, in: in}
	acc.state.Customer = in.Customer
	if in.Plan != "" {
		acc.state.Plan, acc.state.IDs = in.Plan, in.IDs
	}
	acc.mergePurchases(ctx, in.Purchases)
	if err := acc.setup(ctx); err != nil {
		return err
	}
	for {
		gen := acc.gen
		next, ok := acc.nextLotEvent()
		wait := time.Duration(0)
		if ok {
			wait = next.Sub(workflow.Now(ctx))
		}
		changed := func() bool { return acc.gen != gen || acc.purchases.Len() > 0 || acc.shouldContinueAsNew(ctx) }
		if !ok {
			if err := workflow.Await(ctx, changed); err != nil {
				return err
			}
		} else if wait > 0 {
			if _, err := workflow.AwaitWithTimeout(ctx, wait, changed); err != nil {
				return err
			}
		}
		// Purchases are taken here, not by a goroutine blocked on the channel: a signal
		// handed to a blocked receiver that has not run yet would be lost to the
		// continue-as-new below.
		acc.receivePurchases(ctx)
		if acc.shouldContinueAsNew(ctx) {
			acc.trimMonths()
			return workflow.NewContinueAsNewError(ctx, Account, AccountInput{Customer: in.Customer, Notify: in.Notify, State: acc.state})
		}
		acc.passLotEvents(ctx)
	}
}

// AccountInput starts (or continues) a customer's account. Purchases are the lots of
// the customers file, merged in on every worker start; State is carried over.
type AccountInput struct {
	Customer  string        `json:"customer"`
	Plan      string        `json:"plan,omitempty"`
	IDs       int           `json:"ids,omitempty"`
	Purchases []config.Lot  `json:"purchases,omitempty"`
	Notify    AccountNotify `json:"notify"`
	State     AccountState  `json:"state"`
}

// AccountNotify says how to tell the customer about their tickets.
type AccountNotify struct {
	CustomerName string           `json:"customer_name"`
	Language     string           `json:"language"`
	Contacts     []config.Contact `json:"contacts,omitempty"`
}

// AccountState is everything the ledger knows, carried across continue-as-new.
type AccountState struct {
	Customer     string                   `json:"customer"`
	Plan         string                   `json:"plan"`
	IDs          int                      `json:"ids"`
	Lots         []Lot                    `json:"lots"`
	Consumptions []Consumption            `json:"consumptions"`
	Months       map[string]*MonthFigures `json:"months"`
	// Applied holds the request ids already applied, so that a retried consume or
	// a re-reported incident counts once even across continue-as-new.
	Applied []string `json:"applied"`
}

// Lot is one purchase of option tickets.
type Lot struct {
	Purchased       time.Time `json:"purchased"`
	Expires         time.Time `json:"expires"`
	Count           int       `json:"count"`
	Used            int       `json:"used"`
	Expired         int       `json:"expired"`
	NoticeSent      bool      `json:"notice_sent,omitempty"`
	ExpiryProcessed bool      `json:"expiry_processed,omitempty"`
}

// Remaining is what is left to use of a lot.
func (l Lot) Remaining() int { return l.Count - l.Used - l.Expired }

// Consumption is one use of tickets, recorded against the incident and the analyst.
type Consumption = activities.Consumption

// MonthFigures are one month's billable work and SLA outcomes.
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
}

// Balance answers the `balance` query.
type Balance struct {
	Remaining int       `json:"remaining"`
	Lots      []LotView `json:"lots"`
}

// LotView is one lot in the balance.
type LotView = activities.LotView

// ConsumeRequest is the `consume` Update's argument.
type ConsumeRequest = activities.ConsumeRequest

// ActiveIDs is the `record_active_ids` Update's argument.
type ActiveIDs = activities.ActiveIDs

// ticketValidityYears is how long a lot may be used after purchase: calendar years,
// so that a leap day does not end a lot a day early.
const ticketValidityYears = 1

// expiryNotice is how long before expiry the customer hears about unused tickets.
const expiryNotice = 30 * 24 * time.Hour

// appliedLimit bounds the remembered request ids; far more than can be in flight.
const appliedLimit = 2000

type account struct {
	in        AccountInput
	state     AccountState
	gen       int
	purchases workflow.ReceiveChannel
	// inflight counts the notices being sent: a continue-as-new would drop them.
	inflight int
}

func (acc *account) setup(ctx workflow.Context) error {
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateConsume, acc.consume, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, r ConsumeRequest) error {
			r.RequestID = consumeRequestID(ctx, r)
			return acc.validateConsume(workflow.Now(ctx), r)
		},
		Description: `Consume option tickets for an incident. {"incident": "<workflow id>", "service": "forensics", "tickets": 2, "by": "<analyst>"}`,
	})
	if err != nil {
		return err
	}
	err = workflow.SetUpdateHandlerWithOptions(ctx, UpdateRecordIncident, acc.recordIncident, workflow.UpdateHandlerOptions{
		Description: "Internal: a concluded incident reports its summary for the monthly figures.",
	})
	if err != nil {
		return err
	}
	err = workflow.SetUpdateHandlerWithOptions(ctx, UpdateRecordRequest, acc.recordRequest, workflow.UpdateHandlerOptions{
		Description: "Internal: an ended customer request reports its kind and state for the monthly figures.",
	})
	if err != nil {
		return err
	}
	err = workflow.SetUpdateHandlerWithOptions(ctx, UpdateRecordActiveIDs, acc.recordActiveIDs, workflow.UpdateHandlerOptions{
		Validator: validateActiveIDs,
		Description: `Internal: the endpoints each vendor reported active in a month (per_id plan), replacing what was recorded. ` +
			`{"month": "2026-11", "counts": {"cybereason": 180, "withsecure": 20}}`,
	})
	if err != nil {
		return err
	}
	acc.purchases = workflow.GetSignalChannelWithOptions(ctx, SignalPurchases, workflow.SignalChannelOptions{
		Description: "Internal: the lots of the customers file, merged in on every worker start.",
	})
	if err := workflow.SetQueryHandlerWithOptions(ctx, QueryBalance, func() (Balance, error) {
		return acc.balance(), nil
	}, workflow.QueryHandlerOptions{Description: "Option tickets left, lot by lot."}); err != nil {
		return err
	}
	return workflow.SetQueryHandlerWithOptions(ctx, QueryReport, func(month string) (MonthlyReport, error) {
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
		if now.Before(l.Expires) {
			total += l.Remaining()
		}
	}
	return total
}

func (acc *account) validateConsume(now time.Time, r ConsumeRequest) error {
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
func (acc *account) consume(ctx workflow.Context, r ConsumeRequest) (int, error) {
	now := workflow.Now(ctx)
	requestID := consumeRequestID(ctx, r)
	if slices.Contains(acc.state.Applied, requestID) {
		return acc.available(now), nil
	}
	if err := acc.validateConsume(now, r); err != nil {
		return 0, temporal.NewApplicationError(err.Error(), "BeyondBalance")
	}
	need := r.Tickets
	use := Consumption{At: now, Incident: r.Incident, Service: r.Service, Tickets: r.Tickets, By: r.By}
	for i := range acc.state.Lots {
		lot := &acc.state.Lots[i]
		if need == 0 || !now.Before(lot.Expires) || lot.Remaining() == 0 {
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
func consumeRequestID(ctx workflow.Context, r ConsumeRequest) string {
	if r.RequestID != "" {
		return r.RequestID
	}
	return workflow.GetCurrentUpdateInfo(ctx).ID
}

// recordIncident adds a concluded incident to its month's figures, once.
func (acc *account) recordIncident(ctx workflow.Context, s activities.IncidentSummary) error {
	id := workflow.GetCurrentUpdateInfo(ctx).ID
	if slices.Contains(acc.state.Applied, id) {
		return nil
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
	for _, clock := range sortedKeys(s.Clocks) {
		if m.SLA[clock] == nil {
			m.SLA[clock] = map[string]int{}
		}
		m.SLA[clock][s.Clocks[clock]]++
	}
	acc.remember(id)
	return nil
}

func validateActiveIDs(r ActiveIDs) error {
	if _, err := time.Parse("2006-01", r.Month); err != nil {
		return fmt.Errorf("month %q: want YYYY-MM", r.Month)
	}
	for _, vendor := range sortedKeys(r.Counts) {
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
func (acc *account) recordActiveIDs(_ workflow.Context, r ActiveIDs) error {
	acc.monthOf(r.Month).ActiveIDs = r.Counts
	return nil
}

// sortedKeys answers a map's keys in order. Ranging over the map is deterministic
// here because the keys are sorted before anything uses them.
//
//workflowcheck:ignore
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (acc *account) remember(id string) {
	acc.state.Applied = append(acc.state.Applied, id)
	if over := len(acc.state.Applied) - appliedLimit; over > 0 {
		acc.state.Applied = acc.state.Applied[over:]
	}
}

func (acc *account) month(at time.Time) *MonthFigures {
	return acc.monthOf(at.UTC().Format("2006-01"))
}

// monthOf answers the figures of a month ("2026-11"), empty ones for a new month.
func (acc *account) monthOf(key string) *MonthFigures {
	if acc.state.Months == nil {
		acc.state.Months = map[string]*MonthFigures{}
	}
	m, ok := acc.state.Months[key]
	if !ok {
		m = &MonthFigures{BySeverity: map[string]int{}, ByVerdict: map[string]int{}, SLA: map[string]map[string]int{}}
		acc.state.Months[key] = m
	}
	return m
}

// nextLotEvent is the next expiry notice or expiry still to process.
func (acc *account) nextLotEvent() (time.Time, bool) {
	var next time.Time
	for _, l := range acc.state.Lots {
		for _, at := range []time.Time{noticeAt(l), expiryAt(l)} {
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

func noticeAt(l Lot) time.Time {
	if l.NoticeSent || l.ExpiryProcessed || l.Remaining() == 0 {
		return time.Time{}
	}
	return l.Expires.Add(-expiryNotice)
}

func expiryAt(l Lot) time.Time {
	if l.ExpiryProcessed {
		return time.Time{}
	}
	return l.Expires
}

// passLotEvents sends the notices and processes the expiries whose time has come.
func (acc *account) passLotEvents(ctx workflow.Context) {
	now := workflow.Now(ctx)
	for i := range acc.state.Lots {
		lot := &acc.state.Lots[i]
		if at := expiryAt(*lot); !at.IsZero() && !now.Before(at) {
			lot.ExpiryProcessed, lot.NoticeSent = true, true
			lot.Expired = lot.Count - lot.Used
			if lot.Expired > 0 {
				acc.month(lot.Expires).TicketsExpired += lot.Expired
				acc.tell(ctx, acc.lotKey(i), lot.notice(true, lot.Expired))
			}
			continue
		}
		if at := noticeAt(*lot); !at.IsZero() && !now.Before(at) {
			lot.NoticeSent = true
			acc.tell(ctx, acc.lotKey(i), lot.notice(false, lot.Remaining()))
		}
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

// tell sends a ticket notice to the customer's status update contacts. lotKey tells
// the lot apart from others bought the same day, whose notices would otherwise be
// taken for retries of this one and dropped.
func (acc *account) tell(ctx workflow.Context, lotKey string, notice messages.TicketNotice) {
	key := "notice/" + lotKey
	if notice.Expired {
		key = "expired/" + lotKey
	}
	for i, contact := range acc.in.Notify.Contacts {
		for _, channel := range contact.Channels() {
			if channel.Name == "call" {
				continue
			}
			acc.send(ctx, fmt.Sprintf("%s/tickets/%s/%d/%s", AccountWorkflowID(acc.state.Customer), key, i, channel.Name), contact.Only(channel), channel, notice)
		}
	}
}

func (acc *account) send(ctx workflow.Context, key string, contact config.Contact, channel config.Channel, notice messages.TicketNotice) {
	n := activities.Notification{
		Key: key, Customer: acc.state.Customer, Language: acc.in.Notify.Language, Kind: activities.KindNotice, Contact: contact,
		Incident: activities.Brief{CustomerName: acc.in.Notify.CustomerName, Notice: &notice},
	}
	acc.inflight++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { acc.inflight-- }()
		_ = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, notifyOptions), senders()[channel.Name], n).Get(ctx, nil)
	})
}

func (acc *account) balance() Balance {
	b := Balance{Lots: []LotView{}}
	for _, l := range acc.state.Lots {
		remaining := 0
		if !l.ExpiryProcessed {
			remaining = l.Remaining()
		}
		b.Remaining += remaining
		b.Lots = append(b.Lots, LotView{Purchased: l.Purchased.Format(time.DateOnly), Expires: l.Expires.Format(time.DateOnly),
			Count: l.Count, Used: l.Used, Expired: l.Expired, Remaining: remaining})
	}
	return b
}

// shouldContinueAsNew: the ledger runs for years; carry its state into a fresh run
// when the history grows, between handlers and once every notice is sent (a notice
// still in flight would be dropped with this run, and is marked sent in the state).
func (acc *account) shouldContinueAsNew(ctx workflow.Context) bool {
	return workflow.GetInfo(ctx).GetContinueAsNewSuggested() && workflow.AllHandlersFinished(ctx) && acc.inflight == 0
}

// MonthlyReport answers the `report` query and GET /v1/reports/{customer}.
type MonthlyReport = activities.MonthlyReport

func (acc *account) report(month string) (MonthlyReport, error) {
	start, err := time.Parse("2006-01", month)
	if err != nil {
		return MonthlyReport{}, fmt.Errorf("month %q: want YYYY-MM", month)
	}
	end := start.AddDate(0, 1, 0)
	r := MonthlyReport{Customer: acc.state.Customer, Month: month, Plan: acc.state.Plan, ContractedIDs: acc.state.IDs,
		BySeverity: map[string]int{}, ByVerdict: map[string]int{}, SLA: map[string]map[string]int{},
		Lots: []LotView{}, Consumptions: []Consumption{}}
	if m, ok := acc.state.Months[month]; ok {
		r.Incidents, r.BillableResponses, r.NotBillable = m.Incidents, m.Billable, m.NotBillable
		r.BySeverity, r.ByVerdict, r.SLA = m.BySeverity, m.ByVerdict, m.SLA
		r.TicketsUsed, r.TicketsExpired = m.TicketsUsed, m.TicketsExpired
		r.ActiveIDs = m.ActiveIDs
		r.Requests, r.RequestsAck = m.Requests, m.RequestsAck
		for _, vendor := range sortedKeys(m.ActiveIDs) {
			r.ActiveTotal += m.ActiveIDs[vendor]
		}
	}
	for _, l := range acc.state.Lots {
		if l.Purchased.Before(end) && !l.Purchased.Before(start) {
			r.TicketsBought += l.Count
		}
		if l.Purchased.Before(end) && l.Expires.After(start) {
			remaining := l.Remaining()
			if l.ExpiryProcessed {
				remaining = 0
			}
			r.Lots = append(r.Lots, LotView{Purchased: l.Purchased.Format(time.DateOnly), Expires: l.Expires.Format(time.DateOnly),
				Count: l.Count, Used: l.Used, Expired: l.Expired, Remaining: remaining})
			r.TicketsRemaining += remaining
		}
	}
	for _, c := range acc.state.Consumptions {
		if !c.At.Before(start) && c.At.Before(end) {
			r.Consumptions = append(r.Consumptions, c)
		}
	}
	return r, nil
}

// keptMonths bounds the monthly figures carried over: two years of reports.
const keptMonths = 24

func (acc *account) trimMonths() {
	months := sortedKeys(acc.state.Months)
	for _, month := range months[:max(0, len(months)-keptMonths)] {
		delete(acc.state.Months, month)
	}
	var kept []Consumption
	for _, c := range acc.state.Consumptions {
		if _, ok := acc.state.Months[c.At.UTC().Format("2006-01")]; ok {
			kept = append(kept, c)
		}
	}
	acc.state.Consumptions = kept
}
