package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"xsoc/integrations"
	"xsoc/workflows/api"
)

// Section 4: the worker's memory with many open incidents, and what an event costs an
// incident the worker no longer holds.
//
// The worker is restarted (an empty cache) and medium alerts are opened through the
// starter's intake code (start.Intake, without HTTP): the bench's SOC has no
// medium chain and the customer hears only of confirmed incidents, so they page
// nobody and wait on their 30-day SLA timers. Memory is read once every one of them
// has had triage's answer (visibility counts none in state new).
//
// Then every open incident gets one event — a re-delivery of its alert by intake, an
// Update the incident applies (Deliveries+1, a timeline line) — first for incidents in
// the worker's cache, then, after a restart with a sticky cache smaller than the
// open set, for incidents it does not hold: each of those is replayed from its
// history before the event applies.
const openCustomer = "open"

type memoryPoint struct {
	open     int
	rssKiB   int64
	hwmKiB   int64
	gc       gcTrace
	elapsed  time.Duration
	startErr string
}

// eventPass is one pass of re-deliveries.
type eventPass struct {
	label      string
	cache      int
	events     int
	failed     int
	firstError string
	wall       time.Duration
	latency    percentiles
	workerCPU  time.Duration
	rssAfter   int64
	gc         gcTrace
}

type memorySection struct {
	load         string
	cacheDefault int
	points       []memoryPoint
	history      averageTally // an open incident's history, at rest
	cached       eventPass
	smallRestart memoryPoint // right after the restart with the small cache
	replayed     eventPass
}

func (b *bench) runMemory(ctx context.Context) (memorySection, error) {
	sec := memorySection{load: loadAverage()}
	c := b.stack.Temporal
	customer := b.customer(openCustomer)
	alert := numbered("open", integrations.SeverityMedium)
	deliver := func(n int) error {
		a := alert(n)
		ref, err := b.intake.Deliver(ctx, customer, "generic", a.normalized())
		if err == nil && ref.Duplicate {
			err = fmt.Errorf("alert %s answered duplicate", a.id)
		}
		return err
	}
	if err := b.stack.Restart("worker"); err != nil {
		return sec, err
	}
	sec.cacheDefault = workerCacheSize(b.stack.Logs)
	untriaged := fmt.Sprintf(`WorkflowType="Incident" AND XsocCustomer=%q AND XsocState=%q`, openCustomer, api.StateNew)
	if err := deliver(0); err != nil {
		return sec, fmt.Errorf("first open incident: %w", err)
	}
	if err := waitCount(ctx, c, untriaged, 0, time.Minute); err != nil {
		return sec, fmt.Errorf("the restarted worker did not run the first open incident: %w", err)
	}
	time.Sleep(3 * time.Second)
	start := memoryPoint{open: 1}
	if err := b.readMemory(&start); err != nil {
		return sec, err
	}
	sec.points = append(sec.points, start)
	deadline := time.Now().Add(b.s.openBudget)
	opened := 0
	for _, target := range b.s.open {
		point := memoryPoint{}
		begin := time.Now()
		errs := closedLoop(ctx, b.s.concurrency, opened+1, target-opened, deadline, deliver)
		for _, err := range errs {
			if err != nil {
				if point.startErr == "" {
					point.startErr = err.Error()
				}
				continue
			}
			opened++
		}
		if err := waitCount(ctx, c, untriaged, 0, max(time.Until(deadline), time.Minute)); err != nil {
			point.startErr = err.Error()
		}
		point.open, point.elapsed = opened, time.Since(begin)
		// Let the garbage collector catch up with the last workflow tasks.
		time.Sleep(5 * time.Second)
		if err := b.readMemory(&point); err != nil {
			return sec, err
		}
		b.log.Info("memory: open incidents", "open", opened, "rss_kib", point.rssKiB)
		sec.points = append(sec.points, point)
		if opened < target {
			break
		}
	}
	var ids []string
	for n := 1; n <= opened; n++ {
		ids = append(ids, api.IncidentWorkflowID(openCustomer, "generic", alert(n).id))
	}
	sec.history = costsOf(ctx, c, b.stack.ClientOptions.DataConverter, sample(ids, 100), nil).all

	// Events for cached incidents: the most recently opened, which the cache holds.
	events := min(b.s.events, opened)
	b.log.Info("memory: events for cached incidents", "events", events)
	sec.cached = b.redeliver(ctx, "cached", sec.cacheDefault, opened-events+1, events, alert)

	// Events for incidents the worker does not hold: restart with a small cache and
	// re-deliver from the oldest; the first fill the cache, the later evict them.
	if err := b.stack.Restart("worker", "XSOC_STICKY_CACHE_SIZE="+strconv.Itoa(b.s.smallCache)); err != nil {
		return sec, err
	}
	time.Sleep(3 * time.Second)
	sec.smallRestart = memoryPoint{open: opened}
	if err := b.readMemory(&sec.smallRestart); err != nil {
		return sec, err
	}
	replays := min(max(2*b.s.smallCache, b.s.events), opened)
	b.log.Info("memory: events for evicted incidents", "events", replays, "cache", b.s.smallCache)
	sec.replayed = b.redeliver(ctx, "replayed", workerCacheSize(b.stack.Logs), 1, replays, alert)
	return sec, nil
}

// redeliver re-delivers alerts first..first+n-1 of the open incidents and reads what
// the events cost the worker.
func (b *bench) redeliver(ctx context.Context, label string, cache, first, n int, alert func(int) benchAlert) eventPass {
	p := eventPass{label: label, cache: cache}
	customer := b.customer(openCustomer)
	pid, _ := b.stack.PID("worker")
	cpuBefore, _ := cpuTime(pid)
	begin := time.Now()
	type result struct {
		took time.Duration
		err  error
	}
	results := closedLoop(ctx, b.s.concurrency, first, n, begin.Add(b.s.openBudget), func(i int) result {
		began := time.Now()
		ref, err := b.intake.Deliver(ctx, customer, "generic", alert(i).normalized())
		if err == nil && !ref.Duplicate {
			err = fmt.Errorf("alert %s started a new incident", alert(i).id)
		}
		return result{time.Since(began), err}
	})
	p.wall = time.Since(begin)
	cpuAfter, _ := cpuTime(pid)
	p.workerCPU = cpuAfter - cpuBefore
	var took []time.Duration
	for _, r := range results {
		if r.err != nil {
			p.failed++
			if p.firstError == "" {
				p.firstError = r.err.Error()
			}
			continue
		}
		p.events++
		took = append(took, r.took)
	}
	p.latency = percentilesOf(took)
	time.Sleep(5 * time.Second)
	var after memoryPoint
	if err := b.readMemory(&after); err == nil {
		p.rssAfter, p.gc = after.rssKiB, after.gc
	}
	return p
}

// readMemory reads the worker's resident set (VmRSS), its peak (VmHWM), and what its
// last garbage collection found (the worker runs with GODEBUG=gctrace=1).
func (b *bench) readMemory(point *memoryPoint) error {
	point.gc = lastGC(filepath.Join(b.stack.Logs, "worker.log"))
	pid, err := b.stack.PID("worker")
	if err != nil {
		return err
	}
	point.rssKiB, point.hwmKiB, err = memory(pid)
	return err
}

// gcTrace is one line of the Go runtime's gctrace: the heap live after the collection
// and the goroutine stacks (each cached workflow's coroutines are goroutines).
type gcTrace struct {
	liveMB, stacksMB int64
}

var gcLine = regexp.MustCompile(`gc \d+ @.* \d+->\d+->(\d+) MB, \d+ MB goal, (\d+) MB stacks`)

func lastGC(logFile string) gcTrace {
	data, err := os.ReadFile(logFile)
	if err != nil {
		return gcTrace{}
	}
	matches := gcLine.FindAllStringSubmatch(string(data), -1)
	if len(matches) == 0 {
		return gcTrace{}
	}
	last := matches[len(matches)-1]
	live, _ := strconv.ParseInt(last[1], 10, 64)
	stacks, _ := strconv.ParseInt(last[2], 10, 64)
	return gcTrace{liveMB: live, stacksMB: stacks}
}

var cacheLine = regexp.MustCompile(`msg="worker started".*sticky_cache_size=(\d+)`)

// workerCacheSize reads the sticky cache size the worker last said it started with
// (0 when its log does not say).
func workerCacheSize(logs string) int {
	data, err := os.ReadFile(filepath.Join(logs, "worker.log"))
	if err != nil {
		return 0
	}
	matches := cacheLine.FindAllStringSubmatch(string(data), -1)
	if len(matches) == 0 {
		return 0
	}
	last := matches[len(matches)-1]
	n, _ := strconv.Atoi(last[1])
	return n
}
