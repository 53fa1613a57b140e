package main

import (
	"cmp"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"xsoc/internal/devstack"
)

type percentiles struct {
	n                  int
	p50, p95, p99, max time.Duration
}

// percentilesOf answers nearest-rank percentiles.
func percentilesOf(ds []time.Duration) percentiles {
	if len(ds) == 0 {
		return percentiles{}
	}
	r := nearestRanks(ds)
	return percentiles{n: len(ds), p50: r[0], p95: r[1], p99: r[2], max: r[3]}
}

// nearestRanks answers the nearest-rank p50, p95, p99 and max of xs (not empty).
func nearestRanks[T cmp.Ordered](xs []T) [4]T {
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	rank := func(q float64) T {
		i := int(q*float64(len(sorted))+0.999999) - 1
		return sorted[max(0, min(i, len(sorted)-1))]
	}
	return [4]T{rank(0.50), rank(0.95), rank(0.99), sorted[len(sorted)-1]}
}

func (p percentiles) String() string {
	if p.n == 0 {
		return "—"
	}
	return fmt.Sprintf("%s / %s / %s", ms(p.p50), ms(p.p95), ms(p.p99))
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Millisecond || d == 0:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
}

type report struct {
	settings  settings
	date      time.Time
	nproc     int
	cpu       string
	goVersion string
	temporal  string
	postgres  string // the cluster's PostgreSQL version
	load      string // at the start
	endLoad   string
	elapsed   time.Duration

	intake      *intakeSection
	syslog      *syslogSection
	burst       *burstSection
	storm       *stormSection
	suppression *suppressSection
	memory      *memorySection
	worm        *wormSection
	// burstLater is the burst's sampled incidents read again at the end of the run,
	// after what they do once paged (timers firing).
	burstLater      averageTally
	burstLaterAfter time.Duration
	// settled is how long the bench waited before each section for the previous one's
	// work to quiet down.
	settled map[string]time.Duration
}

func newReport(s settings) *report {
	return &report{settings: s, date: time.Now(), nproc: runtime.NumCPU(), goVersion: runtime.Version(), load: loadAverage(),
		settled: map[string]time.Duration{}}
}

// finish records the machine, the tools and the time taken.
func (r *report) finish(log *slog.Logger) {
	r.elapsed, r.endLoad = time.Since(r.date), loadAverage()
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				r.cpu = strings.TrimSpace(value)
				break
			}
		}
	}
	if r.settings.cluster {
		if out, err := exec.Command("pg_config", "--version").Output(); err == nil {
			r.postgres = strings.TrimPrefix(strings.TrimSpace(string(out)), "PostgreSQL ")
		}
	} else if bin, err := devstack.Tool("XSOC_TEMPORAL_BIN", "temporal"); err == nil {
		if out, err := exec.Command(bin, "--version").Output(); err == nil {
			r.temporal = strings.TrimSpace(string(out))
		}
	} else {
		log.Warn("temporal version unknown", "error", err)
	}
}

type writer struct{ strings.Builder }

func (w *writer) line(format string, args ...any) { _, _ = fmt.Fprintf(w, format+"\n", args...) }

func (r *report) markdown() string {
	var w writer
	s := r.settings
	if s.cluster {
		w.line("# On the cluster")
		w.line("")
		w.line("Written by `make bench` (`go run ./bench -cluster`) on %s. Machine: nproc %d (%s), %s; the production topology of `make cluster` on the same machine: the Temporal server %s (every service in one process) on PostgreSQL %s (its own data directory, fsync and synchronous commit on: every transaction is on disk before it is answered) for persistence and SQL visibility, the frontend behind mutual TLS, %d workers and %d starters; alerts are posted to one address that spreads them over the starters in turn. The baselines (raw starts, no-op workflows) run on the same cluster. Load average %s at the start and %s at the end; the run took %s. Sections: %s; concurrency %d everywhere.",
			r.date.Format("2006-01-02 15:04 MST"), r.nproc, r.cpu, r.goVersion, devstack.TemporalServerVersion, r.postgres, s.replicas, s.replicas,
			r.load, r.endLoad, r.elapsed.Round(time.Second), strings.Join(s.only, ", "), s.concurrency)
	} else {
		w.line("# xsoc benchmark results")
		w.line("")
		w.line("Written by `make bench` (`go run ./bench`) on %s. Machine: nproc %d (%s), %s, %s; the Temporal dev server keeps its state in a SQLite file (pragmas: %s), as `make run` does. Load average (`uptime`) %s at the start and %s at the end; the machine is shared, so figures vary about ±25 %% between runs. The run took %s. Sections: %s; concurrency %d everywhere.",
			r.date.Format("2006-01-02 15:04 MST"), r.nproc, r.cpu, r.goVersion, r.temporal, pragmas(s.pragmas), r.load, r.endLoad,
			r.elapsed.Round(time.Second), strings.Join(s.only, ", "), s.concurrency)
	}
	w.line("")
	w.line("| target (issue 16) | measured | verdict |")
	w.line("|---|---|---|")
	r.targets(&w)
	w.line("")
	if r.intake != nil {
		r.intakeSection(&w)
	}
	if r.syslog != nil {
		r.syslogSection(&w)
	}
	if r.burst != nil {
		r.burstSection(&w)
	}
	if r.storm != nil {
		r.stormSection(&w)
	}
	if r.memory != nil {
		r.memorySection(&w)
	}
	if r.suppression != nil {
		r.suppressionSection(&w)
	}
	if r.worm != nil {
		r.wormSection(&w)
	}
	if !s.cluster { // the dev server's part says how to read both
		r.whereTheTimeGoes(&w)
		w.line(howToRead)
	}
	return w.String()
}

func (r *report) targets(w *writer) {
	if in := r.intake; in != nil {
		raw, _ := in.rate("raw")
		http, _ := in.rate("http")
		ratio := http / raw
		w.line("| 1. intake ≥ 0.9 × the raw start rate, concurrency %d, worker busy | %.2f × (%.1f vs %.1f starts/s) | **%s** |", r.settings.concurrency, ratio, http, raw, verdict(ratio >= 0.9))
	}
	if b := r.burst; b != nil {
		ratio := b.paged.Seconds() / b.noop.doneSpan.Seconds()
		w.line("| 2. %d paging alerts fully paged within 2 × the time of %d no-op workflows | %.1f × (%s vs %s) | **%s** |", b.want, b.want, ratio, ms(b.paged), ms(b.noop.doneSpan), verdict(ratio <= 2 && b.check.ok(b.want)))
	}
	if st := r.storm; st != nil {
		w.line("| 3. critical alert in a %d-alert storm: HTTP → first page p99 < 2 s | p99 %s over %d criticals (max %s) | **%s** |", r.settings.storm, ms(st.critical.p99), st.critical.n, ms(st.critical.max), verdict(st.critical.n > 0 && st.critMissing == 0 && st.critical.p99 < 2*time.Second))
	}
	if m := r.memory; m != nil && len(m.points) > 1 {
		last := m.points[len(m.points)-1]
		per := perIncident(last.rssKiB-m.points[0].rssKiB, last.open)
		w.line("| 4. worker RSS ≤ 40 KiB per open incident at %d open | %.0f KiB with the default cache (%d); %s with a cache of %d | **%s** (default cache) |", last.open, per, m.cacheDefault,
			smallCacheFigure(m), r.settings.smallCache, verdict(per <= 40))
	}
	if su := r.suppression; su != nil {
		ratio := su.perAlert() / su.noopCost.transactions()
		w.line("| 5. a suppressed alert costs ≤ 1.5 × a no-op workflow, and never pages | %.1f × in server transactions, %.1f × in server time; %d pages | **%s** |", ratio,
			su.suppressSpan.Seconds()/su.noop.doneSpan.Seconds(), su.suppressedPages+int(su.notifyActivities), verdict(ratio <= 1.5 && su.suppressedPages == 0 && su.notifyActivities == 0))
	}
}

func smallCacheFigure(m *memorySection) string {
	if m.replayed.rssAfter == 0 || len(m.points) < 2 {
		return "—"
	}
	return fmt.Sprintf("%.0f KiB", perIncident(m.replayed.rssAfter-m.points[0].rssKiB, m.points[len(m.points)-1].open))
}

func perIncident(kib int64, open int) float64 {
	if open <= 0 {
		return 0
	}
	return float64(kib) / float64(open)
}

func (r *report) intakeSection(w *writer) {
	in := r.intake
	w.line("## 1. Intake while the worker is busy (concurrency %d)", in.concurrency)
	w.line("")
	w.line("Load average at the start: %s%s. A backlog of %d paging alerts was sent first (%s); then %d rounds of three %s windows, each kind once per round in a rotated order.",
		in.load, r.settledNote("intake"), in.warm.started, r.settings.intakeWarm, r.settings.rounds, r.settings.window)
	w.line("")
	w.line("| kind | what one start is | starts/s | started (failed) | latency p50 / p95 / p99 | CPU during its windows |")
	w.line("|---|---|---|---|---|---|")
	what := map[string]string{
		"raw":    "StartWorkflowExecution of a no-op workflow (this process's client, codec on), on a queue polled after the section",
		"direct": "start.Intake.Deliver in this process: policy, encrypted input and memo, search attributes, one start",
		"http":   "POST /v1/alerts/generic/intake to the starter → 202 (what a customer's tool does)",
	}
	for _, kind := range intakeKinds {
		rate, started := in.rate(kind)
		failed := 0
		first := ""
		for _, win := range in.windows {
			if win.kind == kind {
				failed += win.failed
				if first == "" {
					first = win.firstError
				}
			}
		}
		p := percentilesOfWindows(in.windows, kind)
		note := ""
		if first != "" {
			note = "; first error: " + first
		}
		w.line("| %s | %s | **%.1f** | %d (%d%s) | %s | %s |", kind, what[kind], rate, started, failed, note, p, in.cpuOf(kind))
	}
	raw, _ := in.rate("raw")
	direct, _ := in.rate("direct")
	http, _ := in.rate("http")
	var rounds []string
	for round := range r.settings.rounds {
		rounds = append(rounds, fmt.Sprintf("%.2f", in.roundRatio("http", round)))
	}
	var backlogs []string
	for _, win := range in.windows {
		backlogs = append(backlogs, fmt.Sprint(win.backlog))
	}
	w.line("")
	w.line("- **HTTP intake / raw start: %.2f** (target ≥ 0.9: %s); by round %s. Intake in process / raw start: %.2f; HTTP / in process: %.2f.",
		http/raw, verdict(http/raw >= 0.9), strings.Join(rounds, ", "), direct/raw, http/direct)
	w.line("- The worker was busy throughout: %.2f cores on average during the windows; incidents of the section not yet triaged at the start of each window: %s.",
		in.cpuOf("raw").add(in.cpuOf("direct")).add(in.cpuOf("http")).cores("worker"), strings.Join(backlogs, ", "))
	w.line("- The %d incidents of the section were all paged %s after the last window (%d missing)%s.", in.incidents, ms(in.drain), in.drainMiss, errorNote(in.err))
	w.line("")
}

// percentilesOfWindows merges a kind's windows' percentiles by taking the worst of
// each (the windows are not kept whole).
func percentilesOfWindows(windows []intakeWindow, kind string) percentiles {
	var p percentiles
	for _, w := range windows {
		if w.kind != kind || w.latency.n == 0 {
			continue
		}
		p.n += w.latency.n
		p.p50, p.p95, p.p99, p.max = max(p.p50, w.latency.p50), max(p.p95, w.latency.p95), max(p.p99, w.latency.p99), max(p.max, w.latency.max)
	}
	return p
}

func (r *report) burstSection(w *writer) {
	b := r.burst
	ratio := b.paged.Seconds() / b.noop.doneSpan.Seconds()
	w.line("## 2. Burst of %d paging alerts against %d no-op workflows", b.want, b.want)
	w.line("")
	w.line("Load average at the start: %s%s. Customer `burst`: SOC paging on (Slack), status updates configured, no suppression rule, storm threshold raised so that every alert pages.", b.load, r.settledNote("burst"))
	w.line("")
	w.line("| measure | value |")
	w.line("|---|---|")
	w.line("| %d no-op workflows: first start → last close (server's times) | %s (all started in %s; CPU %s)%s |", b.noop.count, ms(b.noop.doneSpan), ms(b.noop.startSpan), b.noopCPU, errorNote(b.noop.err))
	w.line("| %d alerts: first POST → every incident's SOC page | **%s** (all answered 202 in %s; CPU %s) |", b.sum.started, ms(b.paged), ms(b.sum.lastAnswer.Sub(b.sum.firstSent)), b.cpu)
	w.line("| ratio (target ≤ 2) | **%.2f**: %s |", ratio, verdict(ratio <= 2))
	w.line("| HTTP → 202, p50 / p95 / p99 | %s |", b.intake)
	w.line("| HTTP → SOC page, p50 / p95 / p99 | %s |", b.page)
	w.line("| incidents in visibility / alerts without one / ids with two runs | %d of %d / %d / %d |", b.check.visible, b.want, b.check.missing, b.check.runsTwice)
	w.line("| answers other than 202 with the alert's own workflow id | %d |", b.check.wrongAnswer)
	w.line("| incidents without a SOC page / paged twice | %d / %d |", b.check.pagesMissing, b.check.pagedTwice)
	w.line("| nothing lost or doubled | **%s** |", verdict(b.check.ok(b.want)))
	w.line("| emails during the burst (the customer's chain and status updates) | %d |", b.mails)
	w.line("")
	w.line("Server work per workflow, from %d sampled histories (%d paged) and %d no-op ones; the entities' share is what they wrote during the burst divided by its alerts; database writes are the server's own count (`persistence_requests`, write operations) during each run divided by its workflows:", b.costs.n, b.costs.paged, 50)
	w.line("")
	writeCostTable(w, b.noopCost, b.costs, []entityShare{b.triage, b.account}, b.want, b.noopDB, b.noop.count, b.db, b.want)
	w.line("")
	w.line("Where an incident's way to its first page goes (sampled histories; event times are the server's):")
	w.line("")
	writeSteps(w, b.costs)
	w.line("")
	writeTriage(w, "the burst", b.triage, b.shareErrs)
	if b.db != nil {
		w.line("")
		w.line("Database writes per alert during the burst, largest first: %s.", b.db.topWrites(float64(b.want), 8))
		w.line("Per no-op workflow: %s.", b.noopDB.topWrites(float64(b.noop.count), 8))
	}
	w.line("")
}

// writeCostTable compares a no-op workflow with the incidents' histories and the
// entities' shares.
func writeCostTable(w *writer, noop averageTally, costs incidentCosts, shares []entityShare, alerts int, noopDB persistence, noops int, db persistence, dbAlerts int) {
	w.line("| per workflow | no-op workflow | incident, start → first page | incident, whole history so far |")
	w.line("|---|---|---|---|")
	row := func(name string, f func(averageTally) float64) {
		toPage := "—" // nothing paged: the incidents were suppressed
		if costs.paged > 0 {
			toPage = fmt.Sprintf("%.1f", f(costs.toPage))
		}
		w.line("| %s | %.1f | %s | %.1f |", name, f(noop), toPage, f(costs.all))
	}
	row("history events", func(a averageTally) float64 { return a.events })
	row("workflow tasks", func(a averageTally) float64 { return a.workflowTasks })
	row("activity tasks", func(a averageTally) float64 { return a.activityTasks })
	row("**transactions** (events + workflow tasks + activity tasks)", averageTally.transactions)
	row("signals received / sent", func(a averageTally) float64 { return a.signalsIn + a.signalsOut })
	row("timers started", func(a averageTally) float64 { return a.timers })
	row("search attribute upserts", func(a averageTally) float64 { return a.upserts })
	row("markers (versions, local activities)", func(a averageTally) float64 { return a.markers })
	toPageActivities := "—"
	if costs.paged > 0 {
		toPageActivities = costs.toPage.activityList()
	}
	w.line("| activities | — | %s | %s |", toPageActivities, costs.all.activityList())
	total := costs.all.transactions()
	for _, s := range shares {
		per := float64(s.within.transactions()) / float64(alerts)
		total += per
		w.line("| + share of `%s` per alert (events / workflow tasks / activity tasks) | — | — | %.2f (%.2f / %.2f / %.2f) |", s.workflowID, per,
			float64(s.within.events)/float64(alerts), float64(s.within.workflowTasks)/float64(alerts), float64(s.within.activityTasks)/float64(alerts))
	}
	w.line("| **transactions per alert, all workflows** | %.1f | — | **%.1f** (%.1f × a no-op) |", noop.transactions(), total, total/noop.transactions())
	if noopDB != nil && db != nil {
		w.line("| database writes (transactions) per workflow | %.1f | — | %.1f (%.1f ×) |", noopDB.writes()/float64(noops), db.writes()/float64(dbAlerts),
			(db.writes()/float64(dbAlerts))/(noopDB.writes()/float64(noops)))
	}
}

func writeSteps(w *writer, costs incidentCosts) {
	w.line("| step | p50 | p95 | p99 |")
	w.line("|---|---|---|---|")
	for _, step := range append(slices.Clone(pageSteps), "start → page delivered (activity completed)") {
		p, ok := costs.steps[step]
		if !ok {
			continue
		}
		w.line("| %s | %s | %s | %s |", step, ms(p.p50), ms(p.p95), ms(p.p99))
	}
	if costs.historyErrors > 0 {
		w.line("| histories not read | %d: %s |  |  |", costs.historyErrors, costs.firstHistoryErrs)
	}
}

func writeTriage(w *writer, during string, t entityShare, shareErr string) {
	if shareErr != "" {
		w.line("The entities' histories could not all be read: %s.", shareErr)
	}
	if t.within.workflowTasks == 0 {
		return
	}
	w.line("The customer's `%s` during %s (%d run(s)): %d workflow tasks for %d signals and %d updates received (%.1f a task on average, at most %d), %d signals sent; each task waited %s (p50 / p95 / p99) from scheduled to picked up, and took %s on the worker.",
		t.workflowID, during, t.runs, t.within.workflowTasks, t.within.signalsIn, t.within.updates, t.signalsPerTask, t.maxSignalsInTask, t.within.signalsOut, t.taskWaits, t.taskTimes)
}

func (r *report) stormSection(w *writer) {
	st := r.storm
	w.line("## 3. Critical alerts in a storm of %d high alerts", r.settings.storm)
	w.line("")
	w.line("Load average at the start: %s%s. Customer `storm`, the SOC's storm settings (more than 30 new alerts a minute). %d critical alerts were posted one by one, every %s from %s after the storm's first alert, while %d senders posted the storm.",
		st.load, r.settledNote("storm"), len(st.criticals), r.settings.criticalEvery, r.settings.criticalFirst, r.settings.concurrency)
	w.line("")
	w.line("| measure | value |")
	w.line("|---|---|")
	w.line("| critical alerts: HTTP → SOC page (Slack post), p50 / p95 / p99 (max) | **%s (%s)**, %d paged, %d missing |", st.critical, ms(st.critical.max), st.critical.n, st.critMissing)
	w.line("| critical alerts: HTTP → 202, p50 / p95 / p99 | %s |", st.critIntake)
	w.line("| storm: high alerts answered 202 | %d in %s (%d failed%s) |", st.highs.started, ms(st.highs.lastAnswer.Sub(st.highs.firstSent)), st.highs.failed, firstErrorNote(st.highs))
	w.line("| the SOC's \"storm started\" notice | +%s |", ms(st.stormStarted))
	w.line("| high alerts paged one by one (before the storm began) | %d |", st.highsPaged)
	w.line("| first POST → every storm incident had triage's answer | %s%s |", ms(st.triaged), missingNote(st.triageMissing))
	w.line("| SOC notices of the storm | %s |", strings.Join(st.notices, "; "))
	w.line("| CPU during the section | %s |", st.cpu)
	w.line("")
	w.line("Where a critical incident's way to its page goes (%d histories):", st.critCosts.paged)
	w.line("")
	writeSteps(w, st.critCosts)
	w.line("")
	writeTriage(w, "the storm", st.triage, st.shareErr)
	w.line("")
}

func (r *report) memorySection(w *writer) {
	m := r.memory
	w.line("## 4. Worker memory with open incidents waiting on SLA timers")
	w.line("")
	w.line("Load average at the start: %s%s. The worker's sticky cache: %d workflows (its log at start; `XSOC_STICKY_CACHE_SIZE` unset: xsoc's default).", m.load, r.settledNote("memory"), m.cacheDefault)
	w.line("")
	w.line("| open incidents | worker RSS | growth since restart | per open incident | Go heap live / goroutine stacks at the last GC | time to open them |")
	w.line("|---|---|---|---|---|---|")
	for i, p := range m.points {
		if i == 0 {
			w.line("| 1 (worker just restarted) | %.0f MiB | — | — | %d / %d MB | — |", mib(p.rssKiB), p.gc.liveMB, p.gc.stacksMB)
			continue
		}
		growth := p.rssKiB - m.points[0].rssKiB
		w.line("| %d | %.0f MiB (peak %.0f MiB) | %.0f MiB | **%.0f KiB** | %d / %d MB | %s (%.0f/s)%s |", p.open, mib(p.rssKiB), mib(p.hwmKiB),
			mib(growth), perIncident(growth, p.open), p.gc.liveMB, p.gc.stacksMB,
			p.elapsed.Round(time.Second), float64(p.open-m.points[i-1].open)/p.elapsed.Seconds(), errorNote(p.startErr))
	}
	w.line("")
	h := m.history
	w.line("An open incident's history at rest: %.1f events, %.1f workflow tasks, %.1f timers started, activities: %s.", h.events, h.workflowTasks, h.timers, h.activityList())
	w.line("")
	w.line("One event per incident (a re-delivery of its alert: an Update the incident applies), for incidents the worker holds and for incidents it must replay:")
	w.line("")
	w.line("| events | worker's cache | events/s | latency p50 / p95 / p99 | worker CPU per event | worker RSS after |")
	w.line("|---|---|---|---|---|---|")
	for _, p := range []eventPass{m.cached, m.replayed} {
		if p.events == 0 && p.failed == 0 {
			continue
		}
		what := "the most recently opened incidents, all cached"
		if p.label == "replayed" {
			what = "from the oldest, after a restart: none cached, each replayed; the first fill the cache, later ones evict"
		}
		cpuPer := time.Duration(0)
		if p.events > 0 {
			cpuPer = p.workerCPU / time.Duration(p.events)
		}
		w.line("| %d (%s)%s | %d | %.0f | %s | %s | %.0f MiB |", p.events, what, failedNote(p.failed, p.firstError), p.cache,
			float64(p.events)/p.wall.Seconds(), p.latency, ms(cpuPer), mib(p.rssAfter))
	}
	if len(m.points) > 1 && m.replayed.rssAfter > 0 {
		open := m.points[len(m.points)-1].open
		w.line("")
		w.line("With `XSOC_STICKY_CACHE_SIZE=%d` and %d open incidents: RSS %.0f MiB right after the restart, %.0f MiB once the cache was full: **%.0f KiB per open incident** (growth since the first restart divided by the open incidents).",
			r.settings.smallCache, open, mib(m.smallRestart.rssKiB), mib(m.replayed.rssAfter), perIncident(m.replayed.rssAfter-m.points[0].rssKiB, open))
	}
	w.line("")
}

func (su *suppressSection) perAlert() float64 {
	total := su.costs.all.transactions()
	for _, s := range []entityShare{su.triage, su.tuning, su.account} {
		total += float64(s.within.transactions()) / float64(max(1, su.matching))
	}
	return total
}

func (r *report) suppressionSection(w *writer) {
	su := r.suppression
	w.line("## 5. Suppression: %d alerts, %d matching a rule", su.sent.sent, su.matching)
	w.line("")
	w.line("Load average at the start: %s%s. Customer `tuned`; rule %s (`match: {detection: %q}`) added through `tuning/tuned`'s Update `add_rule`, answered in %s; alerts sent 5 s later.",
		su.load, r.settledNote("suppression"), su.ruleID, noiseRule, ms(su.ruleTook))
	w.line("")
	w.line("| measure | value |")
	w.line("|---|---|")
	w.line("| alerts answered 202 | %d of %d%s |", su.sent.started, su.sent.sent, firstErrorNote(su.sent))
	w.line("| incidents with the rule (`XsocRule`) / suppressed / QA samples (every %dth, SOC queue, not paged) | %d / %d / %d |", r.qaEvery(), su.ruled, su.suppressed, su.qaSamples)
	w.line("| %d no-op workflows: first start → last close | %s%s |", su.noop.count, ms(su.noop.doneSpan), errorNote(su.noop.err))
	w.line("| suppressed incidents: first start → last close (server) | %s (**%.2f ×**); first POST → last closed %s |", ms(su.suppressSpan), su.suppressSpan.Seconds()/su.noop.doneSpan.Seconds(), ms(su.firstToClosed))
	w.line("| server transactions per suppressed alert, all workflows / per no-op workflow | %.1f / %.1f (**%.1f ×**, target ≤ 1.5) |", su.perAlert(), su.noopCost.transactions(), su.perAlert()/su.noopCost.transactions())
	w.line("| never pages: SOC pages of suppressed incidents / notification activities in their histories / emails during the section | %d / %.0f / %d |", su.suppressedPages, su.notifyActivities, su.mails)
	w.line("| the other alerts: paged the SOC | %d of %d |", su.realPaged, su.realSent)
	w.line("| CPU during the section | %s |", su.cpu)
	w.line("")
	w.line("Server work per suppressed alert (%d histories; the entities' shares include the %d other alerts):", su.costs.n, su.realSent)
	w.line("")
	writeCostTable(w, su.noopCost, su.costs, []entityShare{su.triage, su.tuning, su.account}, su.matching, su.noopDB, su.noop.count, su.db, su.sent.started)
	w.line("")
	writeTriage(w, "the section", su.triage, su.shareErr)
	w.line("")
}

func (r *report) qaEvery() int {
	if soc := r.suppressionSOC(); soc > 0 {
		return soc
	}
	return 100
}

// suppressionSOC answers the bench file's qa_every.
func (r *report) suppressionSOC() int {
	for _, line := range strings.Split(string(customersFile), "\n") {
		if _, rest, ok := strings.Cut(line, "qa_every:"); ok {
			var n int
			if _, err := fmt.Sscan(strings.Trim(rest, " }"), &n); err != nil {
				return 0
			}
			return n
		}
	}
	return 0
}

// whereTheTimeGoes puts the sections' per-workflow figures side by side.
func (r *report) whereTheTimeGoes(w *writer) {
	type row struct {
		name string
		a    averageTally
	}
	var rows []row
	if b := r.burst; b != nil {
		rows = append(rows, row{"no-op workflow", b.noopCost}, row{"paging incident, start → first page", b.costs.toPage},
			row{"paging incident, whole history right after the burst", b.costs.all})
		if r.burstLaterAfter > 0 {
			rows = append(rows, row{fmt.Sprintf("the same incidents at the end of the run, %s after the burst", r.burstLaterAfter.Round(time.Minute)), r.burstLater})
		}
	}
	if st := r.storm; st != nil {
		rows = append(rows, row{"critical incident in a storm, start → first page", st.critCosts.toPage})
	}
	if su := r.suppression; su != nil {
		rows = append(rows, row{"suppressed incident, whole history", su.costs.all})
	}
	if m := r.memory; m != nil {
		rows = append(rows, row{"open incident at rest (page nobody), whole history", m.history})
	}
	if len(rows) == 0 {
		return
	}
	w.line("## Where the time goes")
	w.line("")
	w.line("Per workflow, from the histories above (averages):")
	w.line("")
	w.line("| workflow | events | workflow tasks | activity tasks | signals in / out | timers | upserts | markers | transactions |")
	w.line("|---|---|---|---|---|---|---|---|---|")
	for _, x := range rows {
		w.line("| %s | %.1f | %.1f | %.1f | %.1f / %.1f | %.1f | %.1f | %.1f | %.1f |", x.name, x.a.events, x.a.workflowTasks, x.a.activityTasks,
			x.a.signalsIn, x.a.signalsOut, x.a.timers, x.a.upserts, x.a.markers, x.a.transactions())
	}
	w.line("")
}

func (r *report) settledNote(section string) string {
	d, ok := r.settled[section]
	if !ok {
		return ""
	}
	return fmt.Sprintf(", after waiting %s for the previous section's work to quiet down", d.Round(time.Second))
}

func pragmas(list []string) string {
	if len(list) == 0 {
		return "SQLite's defaults"
	}
	return "`" + strings.Join(list, "`, `") + "`"
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func errorNote(err string) string {
	if err == "" {
		return ""
	}
	return "; error: " + err
}

func firstErrorNote(s summary) string {
	if s.firstError == "" {
		return ""
	}
	return "; first error: " + s.firstError
}

func failedNote(failed int, first string) string {
	if failed == 0 {
		return ""
	}
	return fmt.Sprintf(", %d failed: %s", failed, first)
}

func missingNote(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d still in state new at the deadline)", n)
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

const howToRead = `## How to read it

- **Everything runs on this one machine** — dev server, Mailpit, worker, starter and this
  program (which also runs the Slack simulator and the baselines' no-op worker) share its
  CPUs — so each figure is compared with a baseline measured in the same run on the same
  server: compare ratios, never absolute rates from another machine or run. The load
  average before each section says how busy the machine was.
- **Server transactions** are counted from the workflows' own histories
  (GetWorkflowExecutionHistory): history events, workflow tasks (WorkflowTaskCompleted,
  Failed or TimedOut events: a round trip to a worker each) and activity tasks
  (ActivityTaskScheduled events: another round trip each), added up as the issue asks. An
  incident's *start → first page* counts its history up to the completion of its first
  Slack post; *whole history* is everything it wrote so far (it then waits on its SLA
  timers). An incident is not alone: the customer's Triage (which answers it), Account
  (which records a closed incident) and Tuning (which counts rule hits) write for it too;
  their *share* is every event and task they wrote during the section divided by the
  section's alerts. *Database writes* come from the dev server's own metrics
  (persistence_requests and visibility_persistence_requests of write operations, each
  one SQLite transaction), read before and after a run and divided by its workflows.
- **Intake (section 1)**: intake answers once the incident is durably started, without
  waiting for a worker, so its baseline is a start alone: StartWorkflowExecution of a
  no-op workflow by this process's client, on a task queue nobody polls until the section
  ends (its workflows run afterwards). The windows of each kind take turns while the
  worker works through the backlog of incidents, so all meet the same background load;
  the ratio is the HTTP kind's starts per second over the raw kind's. *In process* is the
  starter's code without HTTP, which tells the HTTP and process hop apart from the larger
  start (policy, encrypted input, memo, search attributes).
- **Syslog**: a syslog sender gets no answer, so a syslog window ends when the starter's
  own counter (xsoc_syslog_incidents_total, read every 20 ms) has counted each of its events
  as a started incident; an http window ends with the last 202. Both windows send the same
  number of high alerts of one customer, each on its own host, in turns, so both meet the
  same load; the ratio is the syslog window's incidents per second over the http one's.
- **Burst (section 2)**: the no-op baseline is the same number of workflows started at
  the same concurrency and completed by a worker in this process; its time runs from the
  first start to the last close (the server's times). The burst's time runs from the
  first POST to the last incident's first page, the Slack simulator's receive time. The
  check lists the customer's incidents in visibility and maps each alert to exactly one
  incident (one run) and one SOC page.
- **Storm (section 3)**: a critical alert's latency runs from its POST to the SOC's Slack
  post for it. Percentiles are nearest-rank: over 20 criticals, p95 and p99 are the worst.
- **Memory (section 4)**: RSS is the worker's VmRSS; *per open incident* divides its
  growth since the restart by the incidents open. The live heap and goroutine stacks come
  from GODEBUG=gctrace=1 in the worker's log; RSS runs above the live heap because Go
  lets the heap grow to twice the live size before collecting (GOGC=100). The sticky cache
  (XSOC_STICKY_CACHE_SIZE, default 2,000; 0 for the SDK's 10,000) bounds how many incidents the worker
  holds: an event for an incident it does not hold makes it fetch the whole history and
  replay it first, which the *replayed* row measures (latency and worker CPU per event).
- **Suppression (section 5)**: the suppressed incidents' server time runs from the first
  one's start to the last one's close; the no-op baseline is as many no-op workflows at
  the same concurrency. *Never pages* is checked three ways: no SOC page for them on
  Slack, no notification activity in their histories, no email during the section.
`
