package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"xsoc/integrations"
	"xsoc/workflows/api"
)

// Section 2: a burst of high alerts, each paging the SOC (storm threshold raised for
// this customer, no suppression rule, status updates configured), against the same
// number of no-op workflows started at the same concurrency.
const burstCustomer = "burst"

type burstSection struct {
	load      string
	want      int
	noop      noopRun
	noopCost  averageTally
	noopDB    persistence
	noopCPU   cpuUse
	sum       summary
	paged     time.Duration // first POST → last first page
	intake    percentiles
	page      percentiles
	check     burstCheck
	db        persistence
	cpu       cpuUse
	mails     int
	costs     incidentCosts
	sampled   []string // the incidents whose histories were read
	triage    entityShare
	account   entityShare
	shareErrs string
}

// burstCheck is the verdict on the burst: every alert one incident, one page.
type burstCheck struct {
	visible      int // incidents of the burst customer Temporal's visibility lists
	runsTwice    int
	missing      int // alerts whose incident visibility does not list
	wrongAnswer  int // alerts whose HTTP answer was not 202 with their own workflow id
	pagesMissing int
	pagedTwice   int
}

func (c burstCheck) ok(want int) bool {
	return c.visible == want && c.runsTwice == 0 && c.missing == 0 && c.wrongAnswer == 0 && c.pagesMissing == 0 && c.pagedTwice == 0
}

func (b *bench) runBurst(ctx context.Context) (burstSection, error) {
	sec := burstSection{load: loadAverage(), want: b.s.burst}
	c := b.stack.Temporal

	b.log.Info("burst: no-op baseline", "workflows", b.s.burst)
	db := startPersistence(ctx, b.stack.TemporalMetricsURL)
	meter := startCPU(b.stack)
	noop, noopIDs, err := runNoops(ctx, c, "burst-noop", b.s.burst, b.s.concurrency)
	sec.noopCPU, sec.noopDB = meter.stop(), db.stop(ctx)
	sec.noop = noop
	if err != nil {
		return sec, err
	}
	sec.noopCost = noopCosts(ctx, c, sample(noopIDs, 50))

	b.log.Info("burst: alerts", "alerts", b.s.burst)
	mailBefore := mailTotal(ctx, b.stack.MailpitURL)
	db = startPersistence(ctx, b.stack.TemporalMetricsURL)
	meter = startCPU(b.stack)
	ds := b.sender.postAll(ctx, b.s.concurrency, b.s.burst, time.Now().Add(10*time.Minute), burstCustomer, numbered("burst", integrations.SeverityHigh))
	sec.sum = summarize(ds)
	ids := incidentIDs(ds)
	pages, missing := b.slack.await(ctx, ids, b.s.drainBudget)
	sec.cpu, sec.db = meter.stop(), db.stop(ctx)
	end := time.Now()
	var intake, page []time.Duration
	var last time.Time
	for _, d := range ds {
		if !d.started() {
			continue
		}
		intake = append(intake, d.latency())
		if p := pages[d.workflowID]; p.n > 0 {
			page = append(page, p.first.Sub(d.sent))
			if p.first.After(last) {
				last = p.first
			}
		}
	}
	sec.intake, sec.page = percentilesOf(intake), percentilesOf(page)
	sec.paged = last.Sub(sec.sum.firstSent)
	sec.check, err = b.checkBurst(ctx, ds, missing)
	if err != nil {
		return sec, err
	}

	// Status updates: whatever the customer's contacts were told by email meanwhile.
	time.Sleep(2 * time.Second)
	sec.mails = mailTotal(ctx, b.stack.MailpitURL) - mailBefore

	b.log.Info("burst: reading histories", "sample", b.s.sample)
	if sec.triage, err = shareOf(ctx, c, b.stack.ClientOptions.DataConverter, api.TriageWorkflowID(burstCustomer), sec.sum.firstSent, end); err != nil {
		sec.shareErrs = err.Error()
	}
	sec.sampled = sample(ids, b.s.sample)
	sec.costs = costsOf(ctx, c, b.stack.ClientOptions.DataConverter, sec.sampled, sec.triage.triage)
	if sec.account, err = shareOf(ctx, c, b.stack.ClientOptions.DataConverter, api.AccountWorkflowID(burstCustomer), sec.sum.firstSent, end); err != nil {
		sec.shareErrs = err.Error()
	}
	return sec, nil
}

// checkBurst lists the burst customer's incidents in Temporal's visibility, so that
// each alert maps to exactly one incident (one run), and checks its HTTP answers and
// pages.
func (b *bench) checkBurst(ctx context.Context, ds []delivery, pagesMissing int) (burstCheck, error) {
	c := burstCheck{pagesMissing: pagesMissing}
	query := fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer=%q`, burstCustomer)
	// Visibility is eventually consistent: give it a moment to list every incident.
	_ = waitCount(ctx, b.stack.Temporal, query, int64(b.s.burst), time.Minute)
	runs := map[string]int{}
	if err := listExecutions(ctx, b.stack.Temporal, query, func(e execution) { runs[e.workflowID]++ }); err != nil {
		return c, err
	}
	for _, n := range runs {
		c.visible += n
		if n > 1 {
			c.runsTwice++
		}
	}
	pages := b.slack.pages()
	for _, d := range ds {
		want := api.IncidentWorkflowID(burstCustomer, "generic", d.alert.id)
		if !d.started() || d.workflowID != want {
			c.wrongAnswer++
		}
		if runs[want] == 0 {
			c.missing++
		}
		if pages[want].n > 1 {
			c.pagedTwice++
		}
	}
	c.wrongAnswer += b.s.burst - len(ds)
	return c, nil
}

// pagedIDs answers the incidents among ids that had a SOC page.
func pagedIDs(pages map[string]pageCount, ids []string) []string {
	return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return pages[id].n == 0 })
}
