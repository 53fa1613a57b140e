package incident

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
	"xsoc/workflows/start"
)

// The managers' month is live (issue 26): an incident tells its customer's Account
// each figure at its moment — the alert in once triage answered, the acknowledgements,
// each clock as it ends (a breach when it breaches), the containment, the verdict —
// and, when it concludes, how it ended. Each record holds every moment so far; the
// Account counts each once per incident run (api.Moment.Key), so a retried or
// replayed record, or one a continued run sends again, counts nothing twice.
// Incidents started before accountMomentsVersion report their summary at conclusion
// (api.SignalRecordIncident), as they always did.

const (
	// accountMomentsChange guards telling the Account each moment as it happens.
	accountMomentsChange = "incident-account-moments"
	// accountMomentsVersion: the incident tells its moments (api.SignalIncidentMoments)
	// and concludes with them instead of the summary.
	accountMomentsVersion workflow.Version = 1
)

// While the incident runs, a record goes by a local activity that tells the Account by
// Update, batched with the other incidents' records (start.Calls.TellAccount), tried
// for a while (tellLocalOptions); before incidentVersionTellsByUpdate it was a signal
// of the incident's own, and a signal that arrived while the Account continued as new
// made the server refuse the Account's task. The last record, which holds every
// moment, goes by the same local activity retried for as long as it takes
// (casework.RecordIncidentLocalOptions), so that an Account that is not running is
// started and a billable incident is always counted.

// accountMoments is what the incident told its Account in this run.
type accountMoments struct {
	// version is accountMomentsChange's, read once per run (read).
	version workflow.Version
	read    bool
	// told are the keys of the moments told; sent the tellings (signals, or local
	// activities) not yet confirmed. One that failed (the Account is not running or
	// cannot be reached) clears told, so that the next record tells every moment
	// again.
	told []string
	sent []workflow.Future
	// failing: a telling failed and the timeline says so; it says so once until one
	// succeeds again.
	failing bool
}

// tellsMoments reads, once per run, whether this incident tells its Account its
// moments.
func (inc *incident) tellsMoments(ctx workflow.Context) bool {
	if !inc.account.read {
		inc.account.version = accountMomentsVersion
		if incidentVersion(ctx) < incidentVersionPatience {
			// From incidentVersionPatience on every incident tells its moments, without
			// a marker of its own: each marker costs the server a search-attribute
			// upsert (TemporalChangeVersion), a visibility write per incident.
			inc.account.version = workflow.GetVersion(ctx, accountMomentsChange, workflow.DefaultVersion, accountMomentsVersion)
		}
		inc.account.read = true
	}
	return inc.account.version >= accountMomentsVersion
}

// tellAccount tells the Account the moments it has not heard of yet, without
// waiting for it.
func (inc *incident) tellAccount(ctx workflow.Context) {
	if !inc.tellsMoments(ctx) {
		return
	}
	inc.checkTold(ctx)
	record := inc.moments(ctx, false)
	fresh := slices.ContainsFunc(record.Moments, func(m api.Moment) bool { return !slices.Contains(inc.account.told, m.Key()) })
	if !fresh {
		return
	}
	var telling workflow.Future
	if incidentVersion(ctx) >= incidentVersionTellsByUpdate {
		var a *start.Calls
		telling = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, tellLocalOptions), a.TellAccount, record)
	} else {
		telling = workflow.SignalExternalWorkflow(ctx, api.AccountWorkflowID(inc.status.Customer), "", api.SignalIncidentMoments, record)
	}
	inc.account.sent = append(inc.account.sent, telling)
	inc.account.told = inc.account.told[:0]
	for _, m := range record.Moments {
		inc.account.told = append(inc.account.told, m.Key())
	}
}

// checkTold reads the tellings that were taken or failed since: a failure is noted
// (once) and everything is told again with the next record.
func (inc *incident) checkTold(ctx workflow.Context) {
	pending := inc.account.sent[:0]
	for _, telling := range inc.account.sent {
		if !telling.IsReady() {
			pending = append(pending, telling)
			continue
		}
		if err := telling.Get(ctx, nil); err != nil {
			if !inc.account.failing {
				inc.note(ctx, "report_failed", "telling the account what happened failed (told again with the next event): %v", err)
			}
			inc.account.failing, inc.account.told = true, nil
			continue
		}
		inc.account.failing = false
	}
	inc.account.sent = pending
}

// awaitTold waits until the Account took (or refused) every moment told so far.
// The server refuses a workflow task that ends the incident while an event it has not
// seen is due (UnhandledCommand), and the result of a signal still in flight is such an
// event: the incident would end in a failed task and a second try, as a cancelled one
// did on the real server. A cancelled incident waits too: its signals are already out.
func (inc *incident) awaitTold(ctx workflow.Context) {
	if len(inc.account.sent) == 0 {
		return
	}
	waiting, _ := workflow.NewDisconnectedContext(ctx)
	for _, telling := range inc.account.sent {
		_ = telling.Get(waiting, nil)
	}
	// The last record tells every moment again, whatever these tellings did.
	inc.account.sent = nil
}

// concludeToAccount is the last record: every moment, and how the incident ended. A
// billable incident must be counted however long the Account cannot be reached: it is
// retried without end.
func (inc *incident) concludeToAccount(ctx workflow.Context) error {
	inc.awaitTold(ctx)
	record := inc.moments(ctx, true)
	s := inc.status
	record.Concluded = &api.Conclusion{At: s.ClosedAt, State: s.State, Severity: string(s.Severity), Billable: s.State == api.StateResolved}
	var a *start.Calls
	return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, casework.RecordIncidentLocalOptions), a.TellAccount, record).Get(ctx, nil)
}

// tellLocalOptions are the options of the local activity that tells the Account a
// running incident's moments: tried for a minute, then noted and told again with the
// next record (checkTold), as a refused signal was; the incident's workflow task waits
// for it, so it is not retried without end like the conclusion.
var tellLocalOptions = workflow.LocalActivityOptions{
	ScheduleToCloseTimeout: time.Minute,
	StartToCloseTimeout:    casework.RecordIncidentLocalOptions.StartToCloseTimeout,
	RetryPolicy:            casework.RecordIncidentLocalOptions.RetryPolicy,
}

// moments are what happened to the incident so far, each at the moment it happened,
// at the Severity the incident has now. Once it concluded, a clock still running
// ends with it, in the state it was in.
func (inc *incident) moments(ctx workflow.Context, concluded bool) api.IncidentMoments {
	s := inc.status
	info := workflow.GetInfo(ctx)
	severity := string(s.Severity)
	record := api.IncidentMoments{Customer: s.Customer, Incident: s.WorkflowID, Run: info.FirstRunID, Vendor: s.Vendor, OpenedAt: s.OpenedAt}
	add := func(m api.Moment) {
		m.Severity = severity
		record.Moments = append(record.Moments, m)
	}
	add(api.Moment{Kind: api.MomentIn, At: s.OpenedAt, Since: s.Alert.ObservedAt})
	switch {
	case s.State == api.StateSuppressed && s.Rule != nil:
		add(api.Moment{Kind: api.MomentTriaged, At: s.ClosedAt, Outcome: api.OutcomeSuppressed, Rule: s.Rule.ID})
	case s.State == api.StateMerged:
		add(api.Moment{Kind: api.MomentTriaged, At: s.ClosedAt, Outcome: api.OutcomeMerged})
	default:
		add(api.Moment{Kind: api.MomentTriaged, At: s.OpenedAt, Outcome: api.OutcomeHandled})
	}
	if s.Acknowledged != nil {
		add(api.Moment{Kind: api.MomentAck, At: s.Acknowledged.At, Since: s.OpenedAt})
	}
	firstCustomerPage, customerCalled := customerPages(s)
	if !firstCustomerPage.IsZero() {
		add(api.Moment{Kind: api.MomentCustomerPaged, At: firstCustomerPage})
		if s.CustomerAcknowledged != nil {
			add(api.Moment{Kind: api.MomentCustomerAck, At: s.CustomerAcknowledged.At, Since: firstCustomerPage})
		}
	}
	if !customerCalled.IsZero() {
		add(api.Moment{Kind: api.MomentCustomerCalled, At: customerCalled})
	}
	if s.Verdict != "" && s.Decider != nil {
		add(api.Moment{Kind: api.MomentVerdict, At: s.Decider.At, Since: s.OpenedAt, Verdict: s.Verdict})
	}
	if at := containedAt(s); !at.IsZero() {
		add(api.Moment{Kind: api.MomentContained, At: at, Since: s.OpenedAt})
	}
	for _, c := range s.Clocks {
		switch {
		case c.State == api.SLABreached:
			add(api.Moment{Kind: api.MomentClock, At: c.BreachedAt, Clock: c.Name, State: c.State})
		case c.State == api.SLAMet:
			add(api.Moment{Kind: api.MomentClock, At: c.MetAt, Clock: c.Name, State: c.State})
		case c.State == api.ClockNotNeeded:
			add(api.Moment{Kind: api.MomentClock, At: workflow.Now(ctx), Clock: c.Name, State: c.State})
		case concluded:
			add(api.Moment{Kind: api.MomentClock, At: s.ClosedAt, Clock: c.Name, State: c.State})
		}
	}
	return record
}

// customerPages answers when the customer's own chain first reached them, and first
// by phone (zero: never). A status update is not a page; a page that failed reached
// nobody.
func customerPages(s incidentStatus) (first, called time.Time) {
	for _, p := range s.Paged {
		if p.Tier != api.TierCustomer || p.Kind != activities.KindPage || p.Error != "" {
			continue
		}
		if first.IsZero() || p.At.Before(first) {
			first = p.At
		}
		if p.Channel == "call" && (called.IsZero() || p.At.Before(called)) {
			called = p.At
		}
	}
	return first, called
}
