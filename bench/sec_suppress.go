package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"xsoc/integrations"
	"xsoc/internal/devstack"
	"xsoc/workflows/api"
)

// Section 5: suppression. A rule is added through the customer's Tuning (Update
// add_rule, as an analyst does from the CLI or UI); then alerts are sent of which all
// but every suppressEvery-th match it. A suppressed alert's incident is compared with
// a no-op workflow: server time for the same number, and server transactions each.
const (
	tunedCustomer = "tuned"
	noiseRule     = detectionPrefix + "noise-*"
)

type suppressSection struct {
	load          string
	sent          summary
	matching      int
	ruleID        string
	ruleTook      time.Duration
	noop          noopRun
	noopCost      averageTally
	noopDB        persistence
	suppressed    int64 // incidents in state suppressed
	qaSamples     int64 // matching alerts the rule sent to the SOC queue as QA samples
	ruled         int64 // incidents with XsocRule set
	suppressSpan  time.Duration
	firstToClosed time.Duration // first POST → last suppressed incident closed
	costs         incidentCosts
	triage        entityShare
	tuning        entityShare
	account       entityShare
	shareErr      string
	db            persistence
	cpu           cpuUse
	// Never paged: SOC pages of suppressed incidents, emails during the section, and
	// notification activities in the suppressed incidents' histories.
	suppressedPages, mails int
	notifyActivities       float64
	realPaged, realSent    int
}

func (b *bench) runSuppression(ctx context.Context) (suppressSection, error) {
	sec := suppressSection{load: loadAverage()}
	c := b.stack.Temporal
	matches := func(n int) bool { return n%b.s.suppressEvery != 0 }
	for n := 1; n <= b.s.suppress; n++ {
		if matches(n) {
			sec.matching++
		}
	}

	b.log.Info("suppression: no-op baseline", "workflows", sec.matching)
	db := startPersistence(ctx, b.stack.TemporalMetricsURL)
	noop, noopIDs, err := runNoops(ctx, c, "suppress-noop", sec.matching, b.s.concurrency)
	sec.noop, sec.noopDB = noop, db.stop(ctx)
	if err != nil {
		return sec, err
	}
	sec.noopCost = noopCosts(ctx, c, sample(noopIDs, 50))

	b.log.Info("suppression: add_rule")
	began := time.Now()
	// Written by the benchmark, approved by a second (stamped) person: in force once
	// approve_rule returned.
	ruleID, err := devstack.AddApprovedRule(ctx, c, tunedCustomer, api.AddRuleRequest{By: "bench", ApprovedBy: "bench-reviewer",
		Reason: "the benchmark's known-benign noise", Expires: time.Now().Add(7 * 24 * time.Hour), Match: api.RuleMatch{Detection: noiseRule}},
		"bench-reviewer")
	if err != nil {
		return sec, err
	}
	sec.ruleID, sec.ruleTook = ruleID, time.Since(began)
	// The SPEC lets a rule take up to 5 s to apply after add_rule returned.
	time.Sleep(5 * time.Second)

	b.log.Info("suppression: alerts", "alerts", b.s.suppress, "matching", sec.matching)
	mailBefore := mailTotal(ctx, b.stack.MailpitURL)
	db = startPersistence(ctx, b.stack.TemporalMetricsURL)
	meter := startCPU(b.stack)
	ds := b.sender.postAll(ctx, b.s.concurrency, b.s.suppress, time.Now().Add(10*time.Minute), tunedCustomer, func(n int) benchAlert {
		if matches(n) {
			return numbered("noise", integrations.SeverityHigh)(n)
		}
		return numbered("tuned", integrations.SeverityHigh)(n)
	})
	sec.sent = summarize(ds)
	var noise, real []string
	for _, d := range ds {
		if !d.started() {
			continue
		}
		if strings.HasPrefix(d.alert.id, "noise-") {
			noise = append(noise, d.workflowID)
		} else {
			real = append(real, d.workflowID)
		}
	}
	base := fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer=%q`, tunedCustomer)
	if err := waitCount(ctx, c, base+fmt.Sprintf(` AND XsocState=%q`, api.StateNew), 0, b.s.drainBudget); err != nil {
		return sec, fmt.Errorf("suppression: incidents never triaged: %w", err)
	}
	suppressed := base + fmt.Sprintf(` AND XsocState=%q`, api.StateSuppressed)
	if err := waitCount(ctx, c, suppressed+` AND ExecutionStatus="Running"`, 0, b.s.drainBudget); err != nil {
		return sec, fmt.Errorf("suppression: suppressed incidents still running: %w", err)
	}
	pages, _ := b.slack.await(ctx, real, time.Minute)
	sec.cpu, sec.db = meter.stop(), db.stop(ctx)
	end := time.Now()
	sec.suppressed = count(ctx, c, suppressed)
	sec.ruled = count(ctx, c, base+fmt.Sprintf(` AND XsocRule=%q`, sec.ruleID))
	sec.qaSamples = count(ctx, c, base+fmt.Sprintf(` AND XsocRule=%q AND XsocState=%q`, sec.ruleID, api.StateInvestigating))
	first, last, _, err := span(ctx, c, suppressed)
	if err != nil {
		return sec, err
	}
	sec.suppressSpan, sec.firstToClosed = last.Sub(first), last.Sub(sec.sent.firstSent)

	time.Sleep(2 * time.Second)
	sec.mails = mailTotal(ctx, b.stack.MailpitURL) - mailBefore
	sec.suppressedPages = len(pagedIDs(pages, noise))
	sec.realSent, sec.realPaged = len(real), len(pagedIDs(pages, real))

	b.log.Info("suppression: reading histories")
	var suppressedIDs []string
	if err := listExecutions(ctx, c, suppressed, func(e execution) { suppressedIDs = append(suppressedIDs, e.workflowID) }); err != nil {
		return sec, err
	}
	sec.costs = costsOf(ctx, c, b.stack.ClientOptions.DataConverter, suppressedIDs, nil)
	for _, name := range []string{"PostSlack", "SendEmail", "PlaceCall", "SendSMS"} {
		sec.notifyActivities += sec.costs.all.activities[name] * float64(sec.costs.n)
	}
	for _, share := range []struct {
		into *entityShare
		id   string
	}{{&sec.triage, api.TriageWorkflowID(tunedCustomer)}, {&sec.tuning, api.TuningWorkflowID(tunedCustomer)},
		{&sec.account, api.AccountWorkflowID(tunedCustomer)}} {
		if *share.into, err = shareOf(ctx, c, b.stack.ClientOptions.DataConverter, share.id, sec.sent.firstSent, end); err != nil {
			sec.shareErr = err.Error()
		}
	}
	return sec, nil
}
