package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"xsoc/integrations"
	"xsoc/workflows/api"
)

// Section: a worm — one customer's storm of high alerts, posted by the section's
// senders as fast as they can: wormVariants detection names over distinct hosts, so
// campaigns form and almost every alert joins one. It measures how long the storm takes
// to be sorted (each alert's incident merged into its campaign, suppressed, or answered
// as a new incident of its own), from each alert's 202, and so how many alerts a second
// one customer's Triage absorbs; how soon each host that joins a campaign is isolated
// at the Cybereason simulator (the customer isolates first, so every campaign contains
// its hosts); how soon critical alerts posted during the worm page the SOC; what the
// server wrote per alert, beside no-op workflows on the same server; and that no alert
// was lost or doubled and no workflow task failed.
const (
	wormCustomer = "worm"
	wormVariants = 40
	// wormHostVendor is the platform the worm's hosts are on.
	wormHostVendor = "cybereason"
	// wormNoops bounds the no-op baseline's workflows.
	wormNoops = 2000
)

// wormAlert is the n-th alert of the worm: one of its variants, on a host of its own
// (a Cybereason sensor).
func wormAlert(n int) benchAlert {
	return benchAlert{id: fmt.Sprintf("worm-%d", n), detection: fmt.Sprintf("%sworm variant %d", detectionPrefix, n%wormVariants),
		severity: integrations.SeverityHigh, host: wormHost(n), hostVendor: wormHostVendor}
}

func wormHost(n int) string { return fmt.Sprintf("worm-host-%d", n) }

// wormCritical is the n-th critical alert posted during the worm: a detection and a
// host of its own.
func wormCritical(n int) benchAlert {
	id := fmt.Sprintf("worm-critical-%d", n)
	return benchAlert{id: id, detection: detectionPrefix + id, severity: integrations.SeverityCritical, host: id + "-host"}
}

type wormSection struct {
	load, endLoad string
	posted        summary
	// sorted is each alert's way from its 202 to sorted.
	sorted   percentiles
	unsorted int
	// stall is what was read when the alerts were not all sorted in time.
	stall wormStall
	// first202 → the last alert sorted, and the rate that makes.
	took      time.Duration
	perSecond float64
	// intakePerSecond is the rate the senders were answered 202.
	intakePerSecond float64
	merged, own     int
	paged           int // incidents that paged the SOC one by one (before the storm began, or triage timed out)
	campaigns       int
	contain         wormContainment
	critical        wormCriticals
	check           wormCheck
	// The no-op baseline, run before the worm on the same server.
	noop     noopRun
	noopCost averageTally
	noopDB   persistence
	// costs are a sample of merged incidents' histories; triage, account and the
	// campaigns' shares what they wrote during the worm.
	costs                     incidentCosts
	critCosts                 incidentCosts
	triage, account, campaign entityShare
	shareErr                  string
	db                        persistence
	cpu                       cpuUse
}

// alerts is what the section posted and the entities' shares are divided by.
func (wo wormSection) alerts() int { return wo.posted.started + wo.critical.posted.started }

func (b *bench) runWorm(ctx context.Context) (wormSection, error) {
	sec := wormSection{load: loadAverage()}
	c := b.stack.Temporal

	noops := min(b.s.worm, wormNoops)
	b.log.Info("worm: no-op baseline", "workflows", noops)
	db := startPersistence(ctx, b.stack.TemporalMetricsURL)
	noop, noopIDs, err := runNoops(ctx, c, "worm-noop", noops, b.s.concurrency)
	sec.noop, sec.noopDB = noop, db.stop(ctx)
	if err != nil {
		return sec, err
	}
	sec.noopCost = noopCosts(ctx, c, sample(noopIDs, 50))

	sensors, err := b.registerWormSensors(b.s.worm)
	if err != nil {
		return sec, err
	}
	db = startPersistence(ctx, b.stack.TemporalMetricsURL)
	meter := startCPU(b.stack)
	begin := time.Now()
	if b.s.wormProfile != "" {
		go b.profileWorker(ctx, b.s.wormProfile, 30*time.Second)
	}
	ds, criticals := b.postWorm(ctx)
	sec.posted, sec.critical.posted = summarize(ds), summarize(criticals)
	sec.intakePerSecond = float64(sec.posted.started) / sec.posted.lastAnswer.Sub(sec.posted.firstSent).Seconds()
	b.log.Info("worm: posted", "alerts", sec.posted.started, "failed", sec.posted.failed, "per_second", fmt.Sprintf("%.0f", sec.intakePerSecond),
		"criticals", sec.critical.posted.started)

	unsorted := fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer=%q AND XsocState=%q`, wormCustomer, api.StateNew)
	if why := waitSorted(ctx, c, unsorted, b.s.drainBudget, wormStallAfter); why != "" {
		b.log.Warn("worm: not every alert sorted in time", "why", why)
		sec.stall = diagnoseStall(ctx, c, b.stack.ClientOptions.Namespace, b.stack.Logs, why)
	}
	// A merged incident closes once its campaign took it: give the last ones a moment.
	running := fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer=%q AND ExecutionStatus="Running" AND XsocState=%q`, wormCustomer, api.StateMerged)
	_ = waitCount(ctx, c, running, 0, time.Minute)
	b.awaitIsolation(ctx, sensors, incidentIDs(ds))
	pages, _ := b.slack.await(ctx, incidentIDs(criticals), b.s.drainBudget)
	sec.cpu, sec.db = meter.stop(), db.stop(ctx)
	end := time.Now()
	sec.endLoad = loadAverage()

	incidents := map[string][]execution{} // the customer's incidents by workflow id, every run
	err = listExecutions(ctx, c, fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer=%q AND StartTime >= %q`, wormCustomer, begin.Add(-time.Minute).UTC().Format(time.RFC3339)),
		func(e execution) { incidents[e.workflowID] = append(incidents[e.workflowID], e) })
	if err != nil {
		return sec, err
	}
	sortedHosts, mergedIDs := b.sortWorm(ctx, &sec, ds, incidents)
	sec.contain = b.containmentOf(sec.posted.started, sortedHosts, sensors)
	sec.critical.measure(criticals, pages)
	sec.check = checkWorm(append(slices.Clone(ds), criticals...), incidents)
	sec.paged = len(pagedIDs(b.slack.pages(), incidentIDs(ds)))

	b.log.Info("worm: reading histories", "sample", b.s.sample)
	dc := b.stack.ClientOptions.DataConverter
	if sec.triage, err = shareOf(ctx, c, dc, api.TriageWorkflowID(wormCustomer), begin, end); err != nil {
		sec.shareErr = err.Error()
	}
	if sec.account, err = shareOf(ctx, c, dc, api.AccountWorkflowID(wormCustomer), begin, end); err != nil {
		sec.shareErr = err.Error()
	}
	var campaigns []string
	for id := range incidents {
		if strings.HasPrefix(id, api.CampaignWorkflowID(wormCustomer, "")) {
			campaigns = append(campaigns, id)
		}
	}
	slices.Sort(campaigns)
	sec.campaigns = len(campaigns)
	if sec.campaign, err = sharesOf(ctx, b, campaigns, begin, end); err != nil {
		sec.shareErr = err.Error()
	}
	sec.costs = costsOf(ctx, c, dc, sample(mergedIDs, b.s.sample), nil)
	sec.critCosts = costsOf(ctx, c, dc, incidentIDs(criticals), nil)
	sec.check.countTasks([]incidentCosts{sec.costs, sec.critCosts}, sec.triage, sec.account, sec.campaign)
	return sec, nil
}

// postWorm posts the worm from the section's senders and, spread across it, the
// critical alerts one by one: the i-th once the worm's senders have reached the
// i-th of criticals+1 equal parts of it (the rest at once if the worm ends first).
func (b *bench) postWorm(ctx context.Context) (worm, criticals []delivery) {
	var reached atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range b.s.criticals {
			threshold := int64((i + 1) * b.s.worm / (b.s.criticals + 1))
		wait:
			for reached.Load() < threshold && ctx.Err() == nil {
				select {
				case <-done:
					break wait
				case <-time.After(20 * time.Millisecond):
				}
			}
			criticals = append(criticals, b.sender.post(ctx, wormCustomer, wormCritical(i+1)))
		}
	})
	worm = b.sender.postAll(ctx, b.s.concurrency, b.s.worm, time.Now().Add(30*time.Minute), wormCustomer, func(n int) benchAlert {
		reached.Store(int64(n))
		return wormAlert(n)
	})
	close(done)
	wg.Wait()
	return worm, criticals
}

// sortWorm reads when each alert of the worm was sorted into the section, and answers
// each sorted alert's host with its alert's times, and the merged incidents.
func (b *bench) sortWorm(ctx context.Context, sec *wormSection, ds []delivery, incidents map[string][]execution) (map[string]wormSorted, []string) {
	sortedHosts := map[string]wormSorted{}
	var mergedIDs []string
	var waits []time.Duration
	var last time.Time
	for _, d := range ds {
		if !d.started() {
			continue
		}
		var closed time.Time
		for _, run := range incidents[d.workflowID] {
			if run.closed.After(closed) {
				closed = run.closed
			}
		}
		at := closed
		if !closed.IsZero() {
			sec.merged++
			mergedIDs = append(mergedIDs, d.workflowID)
		} else {
			// Incidents of their own stay open: sorted when triage answered.
			status, err := b.incidentStatus(ctx, d.workflowID)
			i := slices.IndexFunc(status.Timeline, func(e api.Entry) bool { return e.Kind == "triage" })
			if err != nil || i < 0 {
				sec.unsorted++
				continue
			}
			at = status.Timeline[i].At
			sec.own++
		}
		sortedHosts[d.alert.host] = wormSorted{answered: d.answered, sorted: at, merged: !closed.IsZero()}
		waits = append(waits, at.Sub(d.answered))
		if at.After(last) {
			last = at
		}
	}
	sec.sorted = percentilesOf(waits)
	sec.took = last.Sub(sec.posted.firstSent)
	sec.perSecond = float64(len(waits)) / sec.took.Seconds()
	return sortedHosts, mergedIDs
}

// incidentStatus answers an incident's status query.
func (b *bench) incidentStatus(ctx context.Context, workflowID string) (api.IncidentStatus, error) {
	var status api.IncidentStatus
	value, err := b.stack.Temporal.QueryWorkflow(ctx, workflowID, "", api.QueryStatus)
	if err == nil {
		err = value.Get(&status)
	}
	return status, err
}

// profileWorker writes a CPU profile of the worker (its /debug/pprof, on with
// XSOC_WORKER_PPROF=1) taken over the next d.
func (b *bench) profileWorker(ctx context.Context, file string, d time.Duration) {
	url := strings.TrimSuffix(b.stack.WorkerMetricsURL, "/metrics") + fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(d.Seconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		b.log.Warn("worker profile", "error", err)
		return
	}
	resp, err := (&http.Client{Timeout: d + 30*time.Second}).Do(req)
	if err != nil {
		b.log.Warn("worker profile", "error", err)
		return
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err == nil {
		err = os.WriteFile(file, data, 0o600)
	}
	if err != nil {
		b.log.Warn("worker profile", "error", err)
		return
	}
	b.log.Info("worker profile written", "file", file)
}
