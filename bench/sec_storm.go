package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"xsoc/integrations"
	"xsoc/workflows/api"
)

// Section 3: critical alerts posted one by one while a storm of high alerts of the
// same customer (the SOC's storm threshold, 30 a minute) is sent by the section's
// senders. A critical alert's first page is the SOC's Slack post for it.
const stormCustomer = "storm"

type stormSection struct {
	load        string
	highs       summary
	criticals   []delivery
	critical    percentiles // HTTP POST → first page
	critMissing int
	critIntake  percentiles
	critCosts   incidentCosts
	// What the storm's high alerts did.
	highsPaged    int           // high alerts paged one by one (before the storm began)
	triaged       time.Duration // first POST → every high incident had triage's answer
	triageMissing int64
	stormStarted  time.Duration // first POST → the SOC's "storm started" notice
	notices       []string
	triage        entityShare
	cpu           cpuUse
	db            persistence
	shareErr      string
}

func (b *bench) runStorm(ctx context.Context) (stormSection, error) {
	sec := stormSection{load: loadAverage()}
	c := b.stack.Temporal
	db := startPersistence(ctx, b.stack.TemporalMetricsURL)
	meter := startCPU(b.stack)
	begin := time.Now()
	var wg sync.WaitGroup
	var highs []delivery
	wg.Go(func() {
		highs = b.sender.postAll(ctx, b.s.concurrency, b.s.storm, begin.Add(10*time.Minute), stormCustomer, numbered("storm", integrations.SeverityHigh))
	})
	critical := numbered("critical", integrations.SeverityCritical)
	for i := range b.s.criticals {
		time.Sleep(time.Until(begin.Add(b.s.criticalFirst + time.Duration(i)*b.s.criticalEvery)))
		sec.criticals = append(sec.criticals, b.sender.post(ctx, stormCustomer, critical(i+1)))
	}
	wg.Wait()
	sec.highs = summarize(highs)
	b.log.Info("storm: sent", "highs", sec.highs.started, "criticals", len(sec.criticals))

	critIDs := incidentIDs(sec.criticals)
	pages, missing := b.slack.await(ctx, critIDs, b.s.drainBudget)
	sec.critMissing = missing + len(sec.criticals) - len(critIDs)
	var latencies, intake []time.Duration
	for _, d := range sec.criticals {
		if p := pages[d.workflowID]; d.started() && p.n > 0 {
			latencies = append(latencies, p.first.Sub(d.sent))
			intake = append(intake, d.latency())
		}
	}
	sec.critical, sec.critIntake = percentilesOf(latencies), percentilesOf(intake)

	untriaged := fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer=%q AND XsocState=%q`, stormCustomer, api.StateNew)
	if err := waitCount(ctx, c, untriaged, 0, b.s.drainBudget); err != nil {
		sec.triageMissing = count(ctx, c, untriaged)
	}
	sec.triaged = time.Since(sec.highs.firstSent)
	sec.cpu, sec.db = meter.stop(), db.stop(ctx)
	end := time.Now()

	pages = b.slack.pages()
	sec.highsPaged = len(pagedIDs(pages, incidentIDs(highs)))
	prefix := api.TriageWorkflowID(stormCustomer) + "/"
	for _, n := range b.slack.notices(prefix) {
		topic := strings.TrimPrefix(n.key, prefix)
		sec.notices = append(sec.notices, fmt.Sprintf("%s at +%s", topic, ms(n.at.Sub(sec.highs.firstSent))))
		if strings.Contains(topic, "/started/") && sec.stormStarted == 0 {
			sec.stormStarted = n.at.Sub(sec.highs.firstSent)
		}
	}

	b.log.Info("storm: reading histories")
	var err error
	if sec.triage, err = shareOf(ctx, c, b.stack.ClientOptions.DataConverter, api.TriageWorkflowID(stormCustomer), begin, end); err != nil {
		sec.shareErr = err.Error()
	}
	sec.critCosts = costsOf(ctx, c, b.stack.ClientOptions.DataConverter, critIDs, sec.triage.triage)
	return sec, nil
}
