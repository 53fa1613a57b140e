// Package triage is the Triage workflow: for every new alert of a customer, who must
// hear of it (suppression rules, correlation by host, campaigns, storms).
package triage

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"xsoc/integrations"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// Triage decides, for every new alert of a customer, who must hear of it: nobody
// (a suppression rule matched), the open incident of its host or a campaign it
// belongs to (it joins them), the SOC in a digest (the customer is in an alert storm),
// or the SOC at once. It is the one place that sees all of a customer's alerts in
// order, so that two alerts for one host arriving together end in one incident.
//
// New incidents ask by Update (UpdateAdmit) from a local activity in their first
// workflow task and have the answer in it: the bench measured the round trip by Signal
// each way at about a third of an incident's cost to the server, and in a storm every
// answer queued behind the storm's signals on triage's one history. Updates arriving
// together are taken in one workflow task and leave no events per alert but their
// acceptance and completion. Incidents that page before asking (critical, emergency)
// and incidents started by an older worker ask by Signal and are answered by Signal.
func Triage(ctx workflow.Context, in Input) error {
	t := newTriage(ctx, in)
	if err := t.setup(ctx); err != nil {
		return err
	}
	return casework.RunEntity(ctx, t)
}

// Take takes what arrived by Signal, once no decision is being made.
func (t *triage) Take(ctx workflow.Context) { t.exclusive(ctx, func() { t.receive(ctx) }) }

// Work does what is due: handing merged alerts to their parents, storm digests,
// forgetting old alerts, reporting rule hits.
func (t *triage) Work(ctx workflow.Context) {
	t.flushHandovers(ctx)
	t.passTime(ctx)
	t.reportHits(ctx)
}

// ContinueAsNew carries what triage knows into a new run, bounded, once it may.
func (t *triage) ContinueAsNew(ctx workflow.Context) error {
	if !t.readyToContinueAsNew(ctx) {
		return nil
	}
	t.state.forget(workflow.Now(ctx), windowOf(t.in.Settings))
	t.carryNotices()
	if t.round3 {
		t.state.bound()
	}
	return workflow.NewContinueAsNewError(ctx, api.TriageWorkflowType, Input{Customer: t.in.Customer, Settings: t.in.Settings, State: &t.state})
}

// windowOf is the campaign window of the settings (30 minutes when unset).
func windowOf(s api.TriageSettings) time.Duration {
	if s.CampaignWindow > 0 {
		return s.CampaignWindow
	}
	return 30 * time.Minute
}

// Input starts (or continues) a customer's triage: api.TriageInput, and the state it
// carries across continue-as-new.
type Input struct {
	Customer string             `json:"customer"`
	Settings api.TriageSettings `json:"settings"`
	State    *State             `json:"state,omitempty"`
}

// State is what triage knows, carried across continue-as-new.
type State struct {
	Rules api.RuleSet `json:"rules"`
	// Owners are the open incidents that own hosts: an alert on one of these hosts
	// joins its owner.
	Owners []HostOwner `json:"owners"`
	// Recent are the alerts of the campaign window that could form a campaign.
	Recent []RecentAlert `json:"recent"`
	// Campaigns are the open campaigns, by what their members share.
	Campaigns []OpenCampaign `json:"campaigns"`
	// RuleCounts count each rule's suppressions, for QA samples and the hourly check
	// for over-broad rules.
	RuleCounts []RuleCount `json:"rule_counts"`
	Storm      StormState  `json:"storm"`
	// Admitted are the incidents answered lately, so that an incident asking twice is
	// answered the same.
	Admitted []AdmittedIncident `json:"admitted"`
	// Hits wait to be reported to Tuning.
	Hits []api.RuleHit `json:"hits,omitempty"`
	// Handovers are merged alerts waiting to be handed to their parents.
	Handovers []Handover `json:"handovers,omitempty"`
	// Notices are the notices to the SOC a run ended with still going out, for the
	// next run to send again (closing.go).
	Notices []casework.Message `json:"notices,omitempty"`
}

// HostOwner is an open incident and the hosts it owns.
type HostOwner struct {
	Incident string   `json:"incident"`
	Hosts    []string `json:"hosts"`
	Campaign bool     `json:"campaign,omitempty"`
	// Run is the owner's first run: a closure of another run (an earlier incident of
	// the same alert) does not free its hosts, and a recurrence does not join the run
	// it recurs after. Empty for owners recorded before round 3.
	Run string `json:"run,omitempty"`
	// Alive is when the owner was last known to be running and open: an alert joins
	// it without asking again for ownerFreshness after that.
	Alive time.Time `json:"alive,omitzero"`
}

// RecentAlert is an admitted alert kept for the campaign window.
type RecentAlert struct {
	At        time.Time             `json:"at"`
	Incident  string                `json:"incident"`
	Owner     string                `json:"owner"`
	AlertID   string                `json:"alert_id"`
	Detection string                `json:"detection"`
	Keys      []string              `json:"keys"`
	Hosts     []integrations.Host   `json:"hosts"`
	Site      string                `json:"site,omitempty"`
	Severity  integrations.Severity `json:"severity"`
	// Indicators are the alert's indicators, for the campaign's own alert.
	Indicators []integrations.Indicator `json:"indicators,omitempty"`
}

// OpenCampaign is a campaign incident and what its members share.
type OpenCampaign struct {
	Incident string `json:"incident"`
	Key      string `json:"key"`
	// Detection is the detection name its members share, or the first member's
	// when they share an indicator.
	Detection string `json:"detection"`
}

// RuleCount is one rule's suppressions.
type RuleCount struct {
	Rule       string    `json:"rule"`
	Total      int       `json:"total"`
	HourStart  time.Time `json:"hour_start"`
	InHour     int       `json:"in_hour"`
	ToldInHour bool      `json:"told_in_hour,omitempty"`
}

// AdmittedIncident remembers an answer.
type AdmittedIncident struct {
	Incident string `json:"incident"`
	// Run is the incident's run that asked ("" when an incident before round 3 asked
	// by Signal): a recurrence (a new run after close) is a new question.
	Run    string           `json:"run,omitempty"`
	Answer api.TriageAnswer `json:"answer"`
	At     time.Time        `json:"at,omitzero"`
}

// admittedLimit bounds the remembered answers: an incident asks again only when its
// first ask was lost with a worker, seconds later.
const admittedLimit = 5000

// hostLabels are the admitted alert's hosts, as their labels.
func hostLabels(a api.Admission) []string {
	labels := make([]string, 0, len(a.Hosts))
	for _, h := range a.Hosts {
		labels = append(labels, h.Label())
	}
	return labels
}

type triage struct {
	in       Input
	state    State
	admits   workflow.ReceiveChannel
	closures workflow.ReceiveChannel
	rules    workflow.ReceiveChannel
	settings workflow.ReceiveChannel
	// effects are the notices and signals still going out.
	effects casework.InFlight
	alarm   *casework.Alarm
	// admittedByUpdate is set when an admission Update changed what triage knows, so
	// that the loop does what follows (storm digests, rule hits) at once.
	admittedByUpdate bool
	// round3 is set on runs started by round 3's code (triageVersionRound3).
	round3 bool
	// deciding is set while a decision is being made: one may wait (on a campaign's
	// start, on an owner's liveness), and the next must see its outcome.
	deciding bool
	// hitsRetryAt holds back the next report of rule hits after a failed one;
	// hitsFailed wakes the loop to set its alarm for it.
	hitsRetryAt  time.Time
	hitsFailures int
	hitsFailed   bool
	// byHost and byIncident index the owners table (indexOwners); answers the
	// answers remembered (answered). Neither is carried: each is rebuilt from the state.
	byHost, byIncident map[string]int
	answers            map[string]api.TriageAnswer
	// handover is set on runs that hand merged alerts to their parents themselves
	// (triageVersionHandover).
	handover bool
	// signalsBound is set on runs that keep their signals in flight under
	// Settings.SignalsInFlight (triageVersionSignalsBound); signalsOut counts them.
	signalsBound bool
	signalsOut   int
	// continuesBusy is set on runs that continue as new when the server suggests it,
	// busy or not (triageVersionContinuesBusy); noticesOut are their notices going
	// out.
	continuesBusy bool
	noticesOut    []casework.Message
	// handoverPerParent is set on runs that keep at most one hand-over out to each
	// parent (triageVersionHandoverPerParent); handingTo names the parents one is out
	// to. It is not carried: a run ends with no signal out.
	handoverPerParent bool
	handingTo         map[string]bool
}

// Triage's versions: one change id, read once at the start of each run, so that a run
// started by older code keeps its behaviour until it continues as new.
const (
	triageVersionChange = "triage-round-3"
	// triageVersionRound3: decisions one at a time; an owner checked alive before an
	// alert joins it; owners and closures by run; campaigns never re-opened; rule sets
	// by epoch; rule hits reported with backoff; state bounded at continue-as-new.
	triageVersionRound3 workflow.Version = 1
)

func newTriage(ctx workflow.Context, in Input) *triage {
	t := &triage{in: in}
	if in.State != nil {
		t.state = *in.State
	}
	return t
}

func (t *triage) setup(ctx workflow.Context) error {
	version := workflow.GetVersion(ctx, triageVersionChange, workflow.DefaultVersion, triageVersionHandoverPerParent)
	t.round3, t.handover = version >= triageVersionRound3, version >= triageVersionHandover
	t.signalsBound, t.continuesBusy = version >= triageVersionSignalsBound, version >= triageVersionContinuesBusy
	t.handoverPerParent = version >= triageVersionHandoverPerParent
	t.rules = workflow.GetSignalChannelWithOptions(ctx, api.SignalRules, workflow.SignalChannelOptions{
		Description: "Internal: the suppression rules in force, from the customer's Tuning."})
	t.closures = workflow.GetSignalChannelWithOptions(ctx, api.SignalIncidentClosed, workflow.SignalChannelOptions{
		Description: "Internal: an incident that owned hosts concluded."})
	t.settings = workflow.GetSignalChannelWithOptions(ctx, api.SignalConfigure, workflow.SignalChannelOptions{
		Description: "Internal: the customer's triage settings, from the customers file on every worker start."})
	t.admits = workflow.GetSignalChannelWithOptions(ctx, api.SignalAdmit, workflow.SignalChannelOptions{
		Description: "Internal: a new incident asks who must hear of its alert."})
	if err := workflow.SetUpdateHandlerWithOptions(ctx, api.UpdateAdmit, t.admitByUpdate, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, a api.Admission) error {
			if err := t.refuseWhileClosing(ctx); err != nil {
				return err
			}
			return a.Validate()
		},
		Description: "Internal: a new incident asks who must hear of its alert, and has the answer (TriageAnswer).",
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, api.UpdateAdmitBatch, t.admitBatchByUpdate, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, b api.AdmissionBatch) error {
			if err := t.refuseWhileClosing(ctx); err != nil {
				return err
			}
			return b.Validate()
		},
		Description: "Internal: the admissions a worker's incidents asked at the same moment, answered in their order ([]TriageAnswer).",
	}); err != nil {
		return err
	}
	t.resendCarriedNotices(ctx)
	return nil
}

// admitByUpdate answers an admission Update. What arrived before it by Signal (rules,
// settings, closures, admissions) is taken first, so that a rule handed over before
// add_rule answered applies to every alert admitted after.
func (t *triage) admitByUpdate(ctx workflow.Context, a api.Admission) (api.TriageAnswer, error) {
	var answer api.TriageAnswer
	t.exclusive(ctx, func() {
		t.receive(ctx)
		answer = t.admit(ctx, a)
		t.rememberAnswer(a, answer)
	})
	t.admittedByUpdate = true
	return answer, nil
}

// admitBatchByUpdate answers a batch of admissions in one decision round, in the
// batch's order, exactly as if each had been asked alone: an incident asking again (in
// another batch, or alone) is answered the same.
func (t *triage) admitBatchByUpdate(ctx workflow.Context, batch api.AdmissionBatch) ([]api.TriageAnswer, error) {
	answers := make([]api.TriageAnswer, len(batch.Admissions))
	t.exclusive(ctx, func() {
		t.receive(ctx)
		for i, a := range batch.Admissions {
			answers[i] = t.admit(ctx, a)
			t.rememberAnswer(a, answers[i])
		}
	})
	t.admittedByUpdate = true
	return answers, nil
}

// exclusive makes a decision while no other is being made. Most decisions never wait
// and run at once; one that waits (a campaign's start, an owner's liveness) holds the
// others back, so that no alert is decided on what is about to change: two alerts
// forming one campaign together open it once.
func (t *triage) exclusive(ctx workflow.Context, decide func()) {
	if !t.round3 {
		decide()
		return
	}
	_ = workflow.Await(ctx, func() bool { return !t.deciding })
	t.deciding = true
	defer func() { t.deciding = false }()
	decide()
}

// receive takes every signal received so far: the rules first, then closures (a host
// freed before an alert for it is admitted), then admissions, in arrival order.
func (t *triage) receive(ctx workflow.Context) {
	for {
		var settings api.TriageSettings
		if !t.settings.ReceiveAsync(&settings) {
			break
		}
		t.in.Settings = settings
	}
	for {
		var set api.RuleSet
		if !t.rules.ReceiveAsync(&set) {
			break
		}
		if set.Revision >= t.state.Rules.Revision || t.round3 && set.Epoch != t.state.Rules.Epoch {
			// A Tuning started afresh counts its revisions from 0 again: its rule set
			// is believed, by its new epoch.
			t.state.Rules = set
		}
	}
	for {
		var c api.Closure
		if !t.closures.ReceiveAsync(&c) {
			break
		}
		t.closed(c)
	}
	for {
		var a api.Admission
		if !t.admits.ReceiveAsync(&a) {
			break
		}
		t.answer(ctx, a, t.admit(ctx, a))
	}
	t.admittedByUpdate = false
}

// Wait waits for a signal, an admission by Update, the alarm (a digest due), or rule
// hits to report.
func (t *triage) Wait(ctx workflow.Context) error {
	t.alarm = casework.SetAlarm(ctx, t.alarm, t.nextDue())
	return workflow.Await(ctx, func() bool {
		return t.signalsWaiting() || t.alarm.Rang() ||
			t.admittedByUpdate || t.handoversDue(ctx) || t.hitsDue(ctx) || t.hitsFailed || t.readyToContinueAsNew(ctx)
	})
}

// signalsWaiting tells whether a signal arrived that Take has not taken yet.
func (t *triage) signalsWaiting() bool {
	return t.admits.Len() > 0 || t.closures.Len() > 0 || t.rules.Len() > 0 || t.settings.Len() > 0
}

func (t *triage) readyToContinueAsNew(ctx workflow.Context) bool {
	if t.closing(ctx) {
		return t.readyToClose(ctx)
	}
	return casework.MayContinueAsNew(ctx, !t.signalsWaiting() && t.effects.Idle() && len(t.state.Hits) == 0 && len(t.state.Handovers) == 0)
}

// admit decides what a new alert is. In order: an alert whose host has an open
// incident joins it (a rule never hides an alert of a host under investigation); an
// alert that belongs to an open campaign joins it; a rule in force suppresses it;
// enough hosts sharing its detection or an indicator open a campaign; otherwise it
// is its own incident, paged at once or, during a storm, in the next digest. Only
// these new incidents count toward a storm: suppressed and joining alerts page
// nobody, whatever their number.
func (t *triage) admit(ctx workflow.Context, a api.Admission) api.TriageAnswer {
	now := workflow.Now(ctx)
	if a.Gone != "" && t.round3 {
		// The incident triage named is over: it owns nothing any more, and the alert
		// is decided again as if it had never been answered.
		t.forgetOwner(a.Gone, "")
		t.forgetAnswer(a)
	} else if answer, ok := t.answered(a.Incident, a.Run); ok {
		return answer
	}
	if owner, ok := t.liveOwnerOf(ctx, a); ok {
		t.remember(a, owner, now)
		return t.handOver(a, api.TriageAnswer{Decision: api.TriageMerged, Parent: owner,
			Why: fmt.Sprintf("host %s has an open incident: the alert joins %s", t.sharedHost(owner, hostLabels(a)), owner)})
	}
	rule, ruled := t.matchingRule(a, now)
	if campaign, ok := t.campaignOf(a); ok && !(ruled && writtenFor(rule, campaign.Detection)) {
		t.own(campaign.Incident, "", hostLabels(a), true, now)
		if !t.handover {
			// Alerts of an open campaign cannot form another campaign of its key, and
			// leave the campaign window at the next bound: none is remembered since
			// the hand-over.
			t.remember(a, campaign.Incident, now)
		}
		return t.handOver(a, api.TriageAnswer{Decision: api.TriageMerged, Parent: campaign.Incident, Why: "the alert belongs to campaign " + campaign.Incident})
	}
	if ruled {
		return t.suppress(ctx, a, rule, now)
	}
	t.remember(a, a.Incident, now)
	t.own(a.Incident, a.Run, hostLabels(a), false, now)
	if campaign, members, ok := t.campaignFormedBy(a, now); ok && t.openCampaign(ctx, campaign, members, a) {
		answer := api.TriageAnswer{Decision: api.TriageMerged, Parent: campaign.Incident,
			Why: fmt.Sprintf("%d hosts share %s within %s: campaign %s opened", len(t.hostsOf(members)), campaign.Key, windowOf(t.in.Settings), campaign.Incident)}
		// The campaign started with this alert among its members: nothing to hand it.
		answer.HandedOver = t.handover && a.HandOver
		return answer
	}
	answer := api.TriageAnswer{Decision: api.TriageOwn, Why: "a new incident"}
	t.countForStorm(ctx, a, now)
	if t.state.Storm.Active && a.Severity.Rank() <= integrations.SeverityHigh.Rank() {
		answer.Quiet = true
		answer.Why = "a new incident during an alert storm: the SOC hears of it in the storm digest"
		t.state.Storm.tally(a)
	}
	return answer
}

func (t *triage) answered(incident, run string) (api.TriageAnswer, bool) {
	if t.answers == nil {
		t.answers = make(map[string]api.TriageAnswer, len(t.state.Admitted))
		for _, done := range t.state.Admitted {
			if _, ok := t.answers[answerKey(done.Incident, done.Run)]; !ok {
				t.answers[answerKey(done.Incident, done.Run)] = done.Answer
			}
		}
	}
	answer, ok := t.answers[answerKey(incident, run)]
	return answer, ok
}

func answerKey(incident, run string) string { return incident + "\x00" + run }

// answer tells the incident that asked by Signal what it is, and remembers it.
func (t *triage) answer(ctx workflow.Context, a api.Admission, answer api.TriageAnswer) {
	t.rememberAnswer(a, answer)
	t.signal(ctx, a.Incident, api.SignalTriaged, answer)
}

// rememberAnswer keeps an answer, so that an incident asking again (its first ask
// lost with a worker) is answered the same.
func (t *triage) rememberAnswer(a api.Admission, answer api.TriageAnswer) {
	if _, ok := t.answered(a.Incident, a.Run); ok {
		return
	}
	t.state.Admitted = append(t.state.Admitted, AdmittedIncident{Incident: a.Incident, Run: a.Run, Answer: answer, At: a.At})
	t.answers[answerKey(a.Incident, a.Run)] = answer
	if over := len(t.state.Admitted) - admittedLimit; over > 0 {
		for _, gone := range t.state.Admitted[:over] {
			delete(t.answers, answerKey(gone.Incident, gone.Run))
		}
		t.state.Admitted = t.state.Admitted[over:]
	}
}

// forgetAnswer drops what the incident was answered: it asks again.
func (t *triage) forgetAnswer(a api.Admission) {
	t.state.Admitted = slices.DeleteFunc(t.state.Admitted, func(d AdmittedIncident) bool { return d.Incident == a.Incident && d.Run == a.Run })
	t.answers = nil
	t.state.Recent = slices.DeleteFunc(t.state.Recent, func(r RecentAlert) bool { return r.Incident == a.Incident })
}

// signal sends a signal beside the loop; a closed incident cannot be told and needs
// not be.
func (t *triage) signal(ctx workflow.Context, workflowID, name string, arg any) {
	t.sendSignal(ctx, workflowID, name, arg, func(ctx workflow.Context, err error) {
		if err != nil {
			workflow.GetLogger(ctx).Warn("triage could not signal", "workflow", workflowID, "signal", name, "error", err)
		}
	})
}

// sendSignal signals a workflow beside the loop, counted in signalsOut until the
// server has delivered it (or failed to), and hands the outcome to done.
func (t *triage) sendSignal(ctx workflow.Context, workflowID, name string, arg any, done func(ctx workflow.Context, err error)) {
	t.signalsOut++
	t.effects.Await(ctx, workflow.SignalExternalWorkflow(ctx, workflowID, "", name, arg), func(ctx workflow.Context, get func(any) error) {
		t.signalsOut--
		done(ctx, get(nil))
	})
}

// maySignal tells whether triage may send one more signal that can wait (a hand-over):
// the server refuses a workflow task whose signals would pass its limit of signals in
// flight (limit.numPendingSignals.error, 2,000 by default) and refuses it again on
// every retry, which stopped a whole worm's sorting when the server fell behind on
// delivering them. Hand-overs held back meanwhile go out later, in fewer, larger
// signals.
func (t *triage) maySignal() bool {
	return !t.signalsBound || t.signalsOut < signalsInFlight(t.in.Settings)
}

// signalsInFlight is the most signals triage keeps out at once.
func signalsInFlight(s api.TriageSettings) int {
	if s.SignalsInFlight > 0 {
		return s.SignalsInFlight
	}
	return api.DefaultSignalsInFlight
}

// matchingRule answers the first rule in force that matches the alert.
func (t *triage) matchingRule(a api.Admission, now time.Time) (api.Rule, bool) {
	for _, r := range t.state.Rules.Rules {
		if ruleMatches(r, a, now) {
			return r, true
		}
	}
	return api.Rule{}, false
}

// writtenFor tells whether a rule was written for a campaign's detection: only such
// a rule may suppress a campaign's members.
func writtenFor(r api.Rule, detection string) bool {
	return r.Match.Detection != "" && integrations.GlobMatch(r.Match.Detection, detection)
}

// suppress answers an alert a rule matched: suppressed, or every qa_every-th one a
// QA sample for the SOC's queue. A rule that matches more than notify_over alerts in
// an hour is told to the SOC, once that hour.
func (t *triage) suppress(ctx workflow.Context, a api.Admission, rule api.Rule, now time.Time) api.TriageAnswer {
	count := t.ruleCount(rule.ID)
	count.Total++
	if now.Sub(count.HourStart) >= time.Hour {
		count.HourStart, count.InHour, count.ToldInHour = now, 0, false
	}
	count.InHour++
	t.state.Hits = append(t.state.Hits, api.RuleHit{Rule: rule.ID, Incident: a.Incident, At: now})
	if notifyOver := t.in.Settings.NotifyOver; notifyOver > 0 && count.InHour > notifyOver && !count.ToldInHour {
		count.ToldInHour = true
		t.tellOverBroad(ctx, rule, count.InHour, now)
	}
	rule.History = nil
	if qa := t.in.Settings.QAEvery; qa > 0 && count.Total%qa == 0 {
		return api.TriageAnswer{Decision: api.TriageQASample, Rule: &rule,
			Why: fmt.Sprintf("rule %s matched (%s); suppression %d of this rule is a QA sample for the SOC queue (every %d)", rule.ID, rule.Reason, count.Total, qa)}
	}
	return api.TriageAnswer{Decision: api.TriageSuppressed, Rule: &rule,
		Why: fmt.Sprintf("rule %s matched: %s (written by %s, approved by %s)", rule.ID, rule.Reason, rule.By, rule.ApprovedBy)}
}

func (t *triage) ruleCount(rule string) *RuleCount {
	i := slices.IndexFunc(t.state.RuleCounts, func(c RuleCount) bool { return c.Rule == rule })
	if i < 0 {
		t.state.RuleCounts = append(t.state.RuleCounts, RuleCount{Rule: rule})
		i = len(t.state.RuleCounts) - 1
	}
	return &t.state.RuleCounts[i]
}

// reportHits hands Tuning the hits gathered since the last report, in one signal. A
// report that failed (Tuning gone) is tried again with backoff, never in a loop.
func (t *triage) reportHits(ctx workflow.Context) {
	t.hitsFailed = false
	if !t.hitsDue(ctx) {
		return
	}
	hits := slices.Clone(t.state.Hits)
	t.sendSignal(ctx, api.TuningWorkflowID(t.in.Customer), api.SignalRuleHits, api.RuleHits{Hits: hits}, func(ctx workflow.Context, err error) {
		if err != nil {
			workflow.GetLogger(ctx).Warn("reporting rule hits to tuning failed; will retry", "customer", t.in.Customer, "error", err)
			if t.round3 {
				t.hitsFailures++
				t.hitsRetryAt = workflow.Now(ctx).Add(casework.Backoff(t.hitsFailures))
				t.hitsFailed = true
			}
			return
		}
		t.hitsFailures, t.hitsRetryAt = 0, time.Time{}
		t.state.Hits = slices.DeleteFunc(t.state.Hits, func(h api.RuleHit) bool {
			return slices.ContainsFunc(hits, func(sent api.RuleHit) bool { return sent.Incident == h.Incident })
		})
	})
}

// passTime does what is due now: storm digests and the storm's end, and forgetting
// the alerts that left the campaign window.
func (t *triage) passTime(ctx workflow.Context) {
	now := workflow.Now(ctx)
	t.passStorm(ctx, now)
	t.state.forget(now, windowOf(t.in.Settings))
}

func (t *triage) nextDue() time.Time {
	next := t.state.Storm.nextDue(t.in.Settings)
	if len(t.state.Hits) > 0 && !t.hitsRetryAt.IsZero() && (next.IsZero() || t.hitsRetryAt.Before(next)) {
		next = t.hitsRetryAt
	}
	return next
}

// hitsDue tells whether rule hits wait to be reported and may be now.
func (t *triage) hitsDue(ctx workflow.Context) bool {
	return !t.closing(ctx) && len(t.state.Hits) > 0 && t.effects.Idle() && !workflow.Now(ctx).Before(t.hitsRetryAt)
}

// forget drops the recent alerts older than the campaign window.
func (s *State) forget(now time.Time, window time.Duration) {
	s.Recent = slices.DeleteFunc(s.Recent, func(r RecentAlert) bool { return now.Sub(r.At) > window })
}
