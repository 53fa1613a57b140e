package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"xsoc/integrations"
	"xsoc/workflows/api"
)

// Section: a worm — one customer's storm of high alerts, posted by the section's
// senders as fast as they can: wormVariants detection names over distinct hosts, so
// campaigns form and almost every alert joins one. It measures how long the storm takes
// to be sorted (each alert's incident merged into its campaign, suppressed, or answered
// as a new incident of its own), from each alert's 202, and so how many alerts a second
// one customer's Triage absorbs.
const (
	wormCustomer = "worm"
	wormVariants = 40
)

// wormAlert is the n-th alert of the worm: one of its variants, on a host of its own.
func wormAlert(n int) benchAlert {
	return benchAlert{id: fmt.Sprintf("worm-%d", n), detection: fmt.Sprintf("%sworm variant %d", detectionPrefix, n%wormVariants),
		severity: integrations.SeverityHigh, host: fmt.Sprintf("worm-host-%d", n)}
}

type wormSection struct {
	load   string
	posted summary
	// sorted is each alert's way from its 202 to sorted.
	sorted   percentiles
	unsorted int
	// first202 → the last alert sorted, and the rate that makes.
	took      time.Duration
	perSecond float64
	// intakePerSecond is the rate the senders were answered 202.
	intakePerSecond float64
	merged, own     int
	paged           int // incidents that paged the SOC one by one (before the storm began, or triage timed out)
	triage          entityShare
	shareErr        string
	cpu             cpuUse
}

func (b *bench) runWorm(ctx context.Context) (wormSection, error) {
	sec := wormSection{load: loadAverage()}
	c := b.stack.Temporal
	meter := startCPU(b.stack)
	begin := time.Now()
	if b.s.wormProfile != "" {
		go b.profileWorker(ctx, b.s.wormProfile, 30*time.Second)
	}
	ds := b.sender.postAll(ctx, b.s.concurrency, b.s.worm, begin.Add(30*time.Minute), wormCustomer, wormAlert)
	sec.posted = summarize(ds)
	sec.intakePerSecond = float64(sec.posted.started) / sec.posted.lastAnswer.Sub(sec.posted.firstSent).Seconds()
	b.log.Info("worm: posted", "alerts", sec.posted.started, "failed", sec.posted.failed, "per_second", fmt.Sprintf("%.0f", sec.intakePerSecond))

	unsorted := fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer=%q AND XsocState=%q`, wormCustomer, api.StateNew)
	if err := waitCount(ctx, c, unsorted, 0, b.s.drainBudget); err != nil {
		b.log.Warn("worm: not every alert sorted in time", "error", err)
	}
	// A merged incident closes once its campaign took it: give the last ones a moment.
	running := fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer=%q AND ExecutionStatus="Running" AND XsocState=%q`, wormCustomer, api.StateMerged)
	_ = waitCount(ctx, c, running, 0, time.Minute)
	sec.cpu = meter.stop()
	end := time.Now()

	sortedAt := map[string]time.Time{}
	err := listExecutions(ctx, c, fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer=%q AND StartTime >= %q`, wormCustomer, begin.Add(-time.Minute).UTC().Format(time.RFC3339)),
		func(e execution) {
			if !e.closed.IsZero() {
				sortedAt[e.workflowID] = e.closed
			}
		})
	if err != nil {
		return sec, err
	}
	var waits []time.Duration
	var last time.Time
	for _, d := range ds {
		if !d.started() {
			continue
		}
		at, closed := sortedAt[d.workflowID]
		if !closed {
			// Incidents of their own stay open: sorted when triage answered.
			status, err := b.incidentStatus(ctx, d.workflowID)
			i := slices.IndexFunc(status.Timeline, func(e api.Entry) bool { return e.Kind == "triage" })
			if err != nil || i < 0 {
				sec.unsorted++
				continue
			}
			at = status.Timeline[i].At
			sec.own++
		} else {
			sec.merged++
		}
		waits = append(waits, at.Sub(d.answered))
		if at.After(last) {
			last = at
		}
	}
	sec.sorted = percentilesOf(waits)
	sec.took = last.Sub(sec.posted.firstSent)
	sec.perSecond = float64(len(waits)) / sec.took.Seconds()
	sec.paged = len(pagedIDs(b.slack.pages(), incidentIDs(ds)))
	if sec.triage, err = shareOf(ctx, c, b.stack.ClientOptions.DataConverter, api.TriageWorkflowID(wormCustomer), begin, end); err != nil {
		sec.shareErr = err.Error()
	}
	return sec, nil
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

func (r *report) wormSection(w *writer) {
	wo := r.worm
	w.line("## Worm: %d alerts of one customer, %d variants over distinct hosts", r.settings.worm, wormVariants)
	w.line("")
	w.line("Load average at the start: %s%s. Customer `worm`, the SOC's storm and campaign settings (more than 30 new alerts a minute is a storm; 3 hosts sharing a detection within 30 minutes open a campaign). %d senders posted as fast as they were answered. An alert is **sorted** when its incident closed merged into its campaign (or suppressed), or, for an incident of its own, when triage answered it.",
		wo.load, r.settledNote("worm"), r.settings.concurrency)
	w.line("")
	w.line("| measure | value |")
	w.line("|---|---|")
	w.line("| answered 202 | %d in %s, %.0f a second (%d failed%s) |", wo.posted.started, ms(wo.posted.lastAnswer.Sub(wo.posted.firstSent)), wo.intakePerSecond, wo.posted.failed, firstErrorNote(wo.posted))
	w.line("| 202 → sorted, p50 / p95 / p99 (max) | **%s (%s)** |", wo.sorted, ms(wo.sorted.max))
	w.line("| first POST → the last alert sorted | %s: **%.1f alerts sorted a second** |", ms(wo.took), wo.perSecond)
	w.line("| merged (closed) / own incidents / not sorted | %d / %d / %d |", wo.merged, wo.own, wo.unsorted)
	w.line("| incidents that paged the SOC one by one | %d |", wo.paged)
	w.line("| CPU during the section | %s |", wo.cpu)
	w.line("")
	w.line("The rate of sorting is the ceiling of one customer's Triage on this machine: alerts posted faster than that wait, durably, in their incidents (none is lost); one whose triage's answer takes longer than a minute pages the SOC as a new incident of its own (the incidents that paged one by one, above, beyond the storm's first 30).")
	w.line("")
	writeTriage(w, "the worm", wo.triage, wo.shareErr)
	w.line("")
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
