package main

import (
	"context"
	"fmt"
	"time"

	"xsoc/integrations"
	"xsoc/workflows/api"
)

// Section 1: intake against the raw start rate, while the worker is busy.
//
// A backlog of paging incidents is sent first, so that the worker is busy with
// incidents for the whole measurement. Then three kinds of 20-sender windows take
// turns, each kind once per round and in a rotated order, so that every kind meets
// the same background load (the backlog, the server's own state):
//   - raw: StartWorkflowExecution of a no-op workflow by this process's client, on a
//     task queue nobody polls until the section ends — a start alone, which is what
//     intake does too (it answers without waiting for a worker);
//   - direct: start.Intake.Deliver in this process (the starter's code without
//     HTTP: the incident's policy, the encrypted input and memo, search attributes);
//   - http: POST /v1/alerts/generic/intake to the starter, answered 202.
const (
	intakeCustomer    = "intake"
	deferredNoopQueue = "xsoc-bench-noop-deferred"
)

var intakeKinds = []string{"raw", "direct", "http"}

type intakeWindow struct {
	kind            string
	round           int
	started, failed int
	wall            time.Duration
	latency         percentiles
	cpu             cpuUse
	backlog         int64 // incidents of the section not yet triaged when the window began
	firstError      string
}

type intakeSection struct {
	load        string
	concurrency int
	warm        summary
	windows     []intakeWindow
	incidents   int
	drain       time.Duration // last alert sent → every incident of the section paged
	drainMiss   int
	err         string
}

// rate answers a kind's starts per second over all its windows.
func (s intakeSection) rate(kind string) (float64, int) {
	var started int
	var wall time.Duration
	for _, w := range s.windows {
		if w.kind == kind {
			started += w.started
			wall += w.wall
		}
	}
	if wall <= 0 {
		return 0, 0
	}
	return float64(started) / wall.Seconds(), started
}

// roundRatio answers a kind's rate over the raw rate in one round.
func (s intakeSection) roundRatio(kind string, round int) float64 {
	var k, raw float64
	for _, w := range s.windows {
		if w.round != round || w.wall <= 0 {
			continue
		}
		switch w.kind {
		case kind:
			k = float64(w.started) / w.wall.Seconds()
		case "raw":
			raw = float64(w.started) / w.wall.Seconds()
		}
	}
	if raw == 0 {
		return 0
	}
	return k / raw
}

func (s intakeSection) cpuOf(kind string) cpuUse {
	u := cpuUse{used: map[string]time.Duration{}}
	for _, w := range s.windows {
		if w.kind == kind {
			u = u.add(w.cpu)
		}
	}
	return u
}

func (b *bench) runIntake(ctx context.Context) (intakeSection, error) {
	sec := intakeSection{load: loadAverage(), concurrency: b.s.concurrency}
	customer := b.customer(intakeCustomer)
	high := func(prefix string) func(int) benchAlert { return numbered(prefix, integrations.SeverityHigh) }
	var ids []string

	b.log.Info("intake: backlog", "for", b.s.intakeWarm)
	warm := b.sender.postAll(ctx, b.s.concurrency, 0, time.Now().Add(b.s.intakeWarm), intakeCustomer, high("warm"))
	sec.warm = summarize(warm)
	ids = append(ids, incidentIDs(warm)...)

	next := map[string]int{"raw": 1, "direct": 1, "http": 1}
	backlog := fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer=%q AND XsocState=%q`, intakeCustomer, api.StateNew)
	for round := range b.s.rounds {
		for i := range intakeKinds {
			kind := intakeKinds[(i+round)%len(intakeKinds)]
			w := intakeWindow{kind: kind, round: round, backlog: count(ctx, b.stack.Temporal, backlog)}
			b.log.Info("intake: window", "kind", kind, "round", round+1, "backlog", w.backlog)
			type result struct {
				id       string
				latency  time.Duration
				err      error
				incident bool
			}
			send := func(n int) result {
				began := time.Now()
				switch kind {
				case "raw":
					_, err := startNoop(ctx, b.stack.Temporal, deferredNoopQueue, "intake-raw", n)
					return result{latency: time.Since(began), err: err}
				case "direct":
					a := numbered("direct", integrations.SeverityHigh)(n)
					ref, err := b.intake.Deliver(ctx, customer, "generic", a.normalized())
					if err == nil && ref.Duplicate {
						err = fmt.Errorf("alert %s answered duplicate", a.id)
					}
					return result{id: ref.WorkflowID, latency: time.Since(began), err: err, incident: true}
				default:
					d := b.sender.post(ctx, intakeCustomer, high("http")(n))
					var err error
					if !d.started() {
						err = fmt.Errorf("%s: status %d, duplicate %v: %v", d.alert.id, d.status, d.duplicate, d.err)
					}
					return result{id: d.workflowID, latency: d.latency(), err: err, incident: true}
				}
			}
			meter := startCPU(b.stack)
			begin := time.Now()
			results := closedLoop(ctx, b.s.concurrency, next[kind], 0, begin.Add(b.s.window), send)
			w.wall = time.Since(begin)
			w.cpu = meter.stop()
			next[kind] += len(results)
			var latencies []time.Duration
			for _, r := range results {
				if r.err != nil {
					w.failed++
					if w.firstError == "" {
						w.firstError = r.err.Error()
					}
					continue
				}
				w.started++
				latencies = append(latencies, r.latency)
				if r.incident {
					ids = append(ids, r.id)
				}
			}
			w.latency = percentilesOf(latencies)
			sec.windows = append(sec.windows, w)
		}
	}
	lastSent := time.Now()
	sec.incidents = len(ids)

	b.log.Info("intake: waiting for the backlog to be paged", "incidents", len(ids))
	pages, missing := b.slack.await(ctx, ids, b.s.drainBudget)
	sec.drainMiss = missing
	var last time.Time
	for _, id := range ids {
		if p := pages[id]; p.n > 0 && p.first.After(last) {
			last = p.first
		}
	}
	sec.drain = last.Sub(lastSent)

	// The raw starts' workflows run now, so that nothing of this section stays open.
	w, err := noopWorker(b.stack.Temporal, deferredNoopQueue)
	if err != nil {
		return sec, err
	}
	defer w.Stop()
	if err := waitCount(ctx, b.stack.Temporal, noopQuery("intake-raw")+` AND ExecutionStatus="Running"`, 0, 5*time.Minute); err != nil {
		sec.err = err.Error()
	}
	return sec, nil
}
