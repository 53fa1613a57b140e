// Package tuning is the Tuning workflow: a customer's suppression rules, approved,
// expiring, handed to Triage, and their hits.
package tuning

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xsoc/identity"
	"xsoc/workflows/api"
	"xsoc/workflows/casework"
)

// Tuning is a customer's suppression rules: the known-benign causes the SOC has
// written down, each approved by a second person and expiring on its own. It runs
// for as long as the customer is configured, continuing as new so that years of
// rules and hits keep its history small. It hands the rules in force to the
// customer's Triage, which applies them to new alerts without asking Tuning, and
// counts the hits Triage reports back, once per incident.
func Tuning(ctx workflow.Context, in Input) error {
	t := &tuning{in: in, state: in.State}
	if err := t.setup(ctx); err != nil {
		return err
	}
	t.dirty = true
	return casework.RunEntity(ctx, t)
}

// Take counts the hits Triage reported, and takes the requests to hand the rules over.
func (t *tuning) Take(ctx workflow.Context) {
	t.receiveHits(ctx)
	for t.handOverAsked.ReceiveAsync(nil) {
		t.dirty = true
	}
}

// Work hands Triage the rules in force when it must and may.
func (t *tuning) Work(ctx workflow.Context) {
	if t.handOverDue(workflow.Now(ctx)) {
		_ = t.handOver(ctx)
	}
}

// ContinueAsNew carries the rules into a new run once it may.
func (t *tuning) ContinueAsNew(ctx workflow.Context) error {
	if !t.readyToContinueAsNew(ctx) {
		return nil
	}
	return workflow.NewContinueAsNewError(ctx, api.TuningWorkflowType, Input{Customer: t.in.Customer, State: t.state})
}

// Wait waits for hits, a hand-over asked or due, at most an hour. Triage keeps the
// rules across its own restarts; handing them over again every hour repairs a Triage
// that was replaced by an operator. A hand-over that failed (Triage gone) is tried
// again with backoff, not in a loop.
func (t *tuning) Wait(ctx workflow.Context) error {
	wait := time.Hour
	if t.round3 && t.dirty && !t.retryAt.IsZero() {
		wait = max(t.retryAt.Sub(workflow.Now(ctx)), time.Millisecond)
	}
	woken, err := workflow.AwaitWithTimeout(ctx, wait, func() bool {
		return t.hits.Len() > 0 || t.handOverAsked.Len() > 0 || t.handOverDue(workflow.Now(ctx)) || t.readyToContinueAsNew(ctx)
	})
	if !woken && err == nil {
		t.dirty = true
	}
	return err
}

// Input starts (or continues) a customer's rules: api.TuningInput, and the rules it
// carries across continue-as-new.
type Input struct {
	Customer string `json:"customer"`
	State    State  `json:"state"`
}

// State is every rule ever added, carried across continue-as-new.
type State struct {
	Rules []api.Rule `json:"rules"`
	// Revision counts the changes to the rules in force, so that Triage never takes
	// an older rule set after a newer one.
	Revision int `json:"revision"`
	// Applied holds the incidents whose hit was counted, so that a hit reported twice
	// counts once, even across continue-as-new.
	Applied []string `json:"applied"`
	// Epoch names this Tuning (its first run) in the rule sets it hands over.
	Epoch string `json:"epoch,omitempty"`
	// Stamps are the stamps of the rule changes taken in the last minutes: a copy of
	// a stamped add_rule, approve_rule or retire_rule is refused.
	Stamps identity.Replays `json:"stamps,omitzero"`
}

// appliedHitsLimit bounds the remembered incidents: far more than Triage can have
// reported twice.
const appliedHitsLimit = 20000

type tuning struct {
	in            Input
	state         State
	hits          workflow.ReceiveChannel
	handOverAsked workflow.ReceiveChannel
	// dirty is set when Triage must be handed the rules again.
	dirty bool
	// round3 is set on runs started by round 3's code (tuningVersionRound3).
	round3 bool
	// retryAt holds back the next hand-over after failures in a row.
	retryAt  time.Time
	failures int
}

// Tuning's versions, read once at the start of each run.
const (
	tuningVersionChange = "tuning-round-3"
	// tuningVersionRound3: hand-overs that fail are retried with backoff; rule sets
	// carry the Tuning's epoch.
	tuningVersionRound3 workflow.Version = 1
)

// handOverDue tells whether the rules must be handed over and may be now.
func (t *tuning) handOverDue(now time.Time) bool {
	return t.dirty && (!t.round3 || !now.Before(t.retryAt))
}

func (t *tuning) setup(ctx workflow.Context) error {
	t.round3 = workflow.GetVersion(ctx, tuningVersionChange, workflow.DefaultVersion, tuningVersionRound3) >= tuningVersionRound3
	if t.round3 && t.state.Epoch == "" {
		info := workflow.GetInfo(ctx)
		t.state.Epoch = cmp.Or(info.FirstRunID, info.WorkflowExecution.RunID)
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, api.UpdateAddRule, t.addRule, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, r api.AddRuleRequest) error { return t.validAddRule(r, workflow.Now(ctx)) },
		Description: `Add a suppression rule, expiring within 90 days; it stays pending, suppressing nothing, until another ` +
			`person approves it with approve_rule within 24 h. "by" is you (sent through the codec server it may be left out); ` +
			`"approved_by" whom you ask to approve. ` +
			`{"approved_by": "sato", "reason": "nightly IT inventory script", "expires": "2027-01-31T00:00:00Z", ` +
			`"match": {"vendor": "cybereason", "detection": "Suspicious PowerShell*", "hosts": ["kob-pc-*"], "users": ["KF\\svc-inventory"], ` +
			`"indicators": ["sha256:9f86d0..."], "max_severity": "high"}}`,
	})
	if err != nil {
		return err
	}
	err = workflow.SetUpdateHandlerWithOptions(ctx, api.UpdateApproveRule, t.approveRule, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, r api.ApproveRuleRequest) error {
			return t.validApproval(r, workflow.Now(ctx))
		},
		Description: `Approve a pending suppression rule written by another person: it is in force once this returns. ` +
			`Send it through the codec server (the Temporal UI, or the CLI with your own token): a declared approver is refused. {"id": "R-3", "note": "checked the script"}`,
	})
	if err != nil {
		return err
	}
	err = workflow.SetUpdateHandlerWithOptions(ctx, api.UpdateRetireRule, t.retireRule, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, r api.RetireRuleRequest) error {
			author, err := casework.ValidAuthor(r.Stamp, r.By, workflow.Now(ctx), &t.state.Stamps)
			if err != nil {
				return err
			}
			r.By = author.Name
			return t.validateRetire(r, workflow.Now(ctx))
		},
		Description: `Retire a suppression rule at once, active or pending (rules are never edited: retire and add). {"id": "R-3", "reason": "script replaced"}`,
	})
	if err != nil {
		return err
	}
	t.hits = workflow.GetSignalChannelWithOptions(ctx, api.SignalRuleHits, workflow.SignalChannelOptions{
		Description: "Internal: the incidents each rule suppressed, from the customer's Triage.",
	})
	t.handOverAsked = workflow.GetSignalChannelWithOptions(ctx, api.SignalHandOver, workflow.SignalChannelOptions{
		Description: "Internal: hand the rules in force to the customer's Triage again (sent on every worker start)."})
	return workflow.SetQueryHandlerWithOptions(ctx, api.QueryRules, func() ([]api.Rule, error) {
		return t.rules(workflow.Now(ctx)), nil
	}, workflow.QueryHandlerOptions{Description: "Every rule ever added, with its state (pending, active, expired, retired), hits, last hit and history (who, verified or declared)."})
}

// addRule adds a rule, pending its approval (approvals.go). Tunings that took add_rule
// before approvals were their own Update replay it as it was applied: approved as it
// was added, and handed to Triage before answering.
func (t *tuning) addRule(ctx workflow.Context, r api.AddRuleRequest) (api.RuleAdded, error) {
	if workflow.GetVersion(ctx, approvalsChange, workflow.DefaultVersion, approvals) >= approvals {
		return t.addPendingRule(ctx, r)
	}
	now := workflow.Now(ctx)
	id := fmt.Sprintf("R-%d", len(t.state.Rules)+1)
	t.state.Rules = append(t.state.Rules, api.Rule{
		ID: id, By: r.By, ApprovedBy: r.ApprovedBy, Reason: r.Reason, Expires: r.Expires.UTC(), Match: r.Match, AddedAt: now,
		History: []api.RuleChange{{At: now, By: r.By, What: "added", Note: "approved by " + r.ApprovedBy + ": " + r.Reason}},
	})
	t.state.Revision++
	if err := t.handOver(ctx); err != nil {
		return api.RuleAdded{ID: id}, temporal.NewApplicationError(fmt.Sprintf(
			"rule %s is recorded but not yet in force: the customer's triage could not be reached (%v); it is handed over again until it is", id, err), "TriageUnreachable")
	}
	return api.RuleAdded{ID: id}, nil
}

func (t *tuning) validateRetire(r api.RetireRuleRequest, now time.Time) error {
	if strings.TrimSpace(r.By) == "" {
		return fmt.Errorf(`"by" is required: who retires the rule`)
	}
	i := t.ruleIndex(r.ID)
	if i < 0 {
		return fmt.Errorf("no rule %q (rules: %s)", r.ID, strings.Join(t.ids(), ", "))
	}
	if state := t.state.Rules[i].StateAt(now); state != api.RuleActive && state != api.RulePending {
		return fmt.Errorf("rule %s is already %s", r.ID, state)
	}
	return nil
}

// retireRule takes a rule out of force at once, and hands Triage the rules left.
func (t *tuning) retireRule(ctx workflow.Context, r api.RetireRuleRequest) (api.RuleAdded, error) {
	now := workflow.Now(ctx)
	author := casework.AcceptedAuthor(r.Stamp, r.By, now, &t.state.Stamps)
	r.By = author.Name
	if err := t.validateRetire(r, now); err != nil {
		return api.RuleAdded{}, temporal.NewApplicationError(err.Error(), "RuleRefused")
	}
	rule := &t.state.Rules[t.ruleIndex(r.ID)]
	rule.RetiredAt, rule.RetiredBy = now, r.By
	rule.History = append(rule.History, ruleChange(now, author, "retired", r.Reason))
	t.state.Revision++
	if err := t.handOver(ctx); err != nil {
		return api.RuleAdded{ID: r.ID}, temporal.NewApplicationError(fmt.Sprintf(
			"rule %s is retired but the customer's triage could not be told yet (%v); it is told again until it is", r.ID, err), "TriageUnreachable")
	}
	return api.RuleAdded{ID: r.ID}, nil
}

// handOver gives Triage the rules in force, and waits until it has them.
func (t *tuning) handOver(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	set := api.RuleSet{Revision: t.state.Revision, Rules: []api.Rule{}, Epoch: t.state.Epoch}
	for _, r := range t.state.Rules {
		if r.StateAt(now) == api.RuleActive {
			r.History = nil
			set.Rules = append(set.Rules, r)
		}
	}
	err := workflow.SignalExternalWorkflow(ctx, api.TriageWorkflowID(t.in.Customer), "", api.SignalRules, set).Get(ctx, nil)
	t.dirty = err != nil
	if err != nil {
		t.failures++
		t.retryAt = workflow.Now(ctx).Add(casework.Backoff(t.failures))
		workflow.GetLogger(ctx).Warn("handing the rules to triage failed; will retry", "customer", t.in.Customer, "error", err, "retry_at", t.retryAt)
		return err
	}
	t.failures, t.retryAt = 0, time.Time{}
	return nil
}

// receiveHits counts the hits Triage reported, once per incident.
func (t *tuning) receiveHits(ctx workflow.Context) {
	for {
		var batch api.RuleHits
		if !t.hits.ReceiveAsync(&batch) {
			return
		}
		for _, hit := range batch.Hits {
			i := t.ruleIndex(hit.Rule)
			if i < 0 || slices.Contains(t.state.Applied, hit.Incident) {
				continue
			}
			rule := &t.state.Rules[i]
			rule.Hits++
			if hit.At.After(rule.LastHit) {
				rule.LastHit = hit.At
			}
			t.state.Applied = append(t.state.Applied, hit.Incident)
		}
		if over := len(t.state.Applied) - appliedHitsLimit; over > 0 {
			t.state.Applied = t.state.Applied[over:]
		}
	}
}

func (t *tuning) readyToContinueAsNew(ctx workflow.Context) bool {
	return casework.MayContinueAsNew(ctx, t.hits.Len() == 0 && t.handOverAsked.Len() == 0 && !t.dirty)
}

func (t *tuning) rules(now time.Time) []api.Rule {
	rules := make([]api.Rule, 0, len(t.state.Rules))
	for _, r := range t.state.Rules {
		r.State = r.StateAt(now)
		if r.State == api.RuleExpired && !slices.ContainsFunc(r.History, func(c api.RuleChange) bool { return c.What == "expired" }) {
			expired := api.RuleChange{At: r.Expires, By: "xsoc", What: "expired"}
			if r.Pending() && r.ApprovalDue.Before(r.Expires) {
				expired.At, expired.Note = r.ApprovalDue, "nobody approved it within "+approvalWindow
			}
			r.History = append(slices.Clone(r.History), expired)
		}
		rules = append(rules, r)
	}
	return rules
}

func (t *tuning) ruleIndex(id string) int {
	return slices.IndexFunc(t.state.Rules, func(r api.Rule) bool { return strings.EqualFold(r.ID, id) })
}

func (t *tuning) ids() []string {
	ids := make([]string, 0, len(t.state.Rules))
	for _, r := range t.state.Rules {
		ids = append(ids, r.ID)
	}
	return ids
}
