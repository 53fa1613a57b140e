package main

import (
	"fmt"
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
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	rank := func(q float64) time.Duration {
		i := int(q*float64(len(sorted))+0.999999) - 1
		return sorted[max(0, min(i, len(sorted)-1))]
	}
	return percentiles{n: len(sorted), p50: rank(0.50), p95: rank(0.95), p99: rank(0.99), max: sorted[len(sorted)-1]}
}

func (p percentiles) String() string {
	if p.n == 0 {
		return "—"
	}
	return fmt.Sprintf("%s / %s / %s", ms(p.p50), ms(p.p95), ms(p.p99))
}

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

type report struct {
	settings   settings
	date       time.Time
	nproc      int
	cpu        string
	goVersion  string
	temporal   string
	elapsed    time.Duration
	baseline   baseline
	sustained  phase
	rates      []phase
	burst      phase
	burstCheck burstCheck
	memory     []memoryPoint
}

func newReport(s settings) *report {
	return &report{settings: s, date: time.Now(), nproc: runtime.NumCPU(), goVersion: runtime.Version()}
}

// describe records the machine and the tools.
func (r *report) describe() {
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				r.cpu = strings.TrimSpace(value)
				break
			}
		}
	}
	if bin, err := devstack.Tool("XSOC_TEMPORAL_BIN", "temporal"); err == nil {
		if out, err := exec.Command(bin, "--version").Output(); err == nil {
			r.temporal = strings.TrimSpace(string(out))
		}
	}
}

func (r *report) markdown() string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	s := r.settings
	line("# xsoc benchmark results")
	line("")
	line("Written by `make bench` (`go run ./bench`) on %s. Machine: nproc %d (%s), %s, %s; the Temporal dev server keeps its state in a SQLite file (pragmas: %s), as `make run` does. The run took %s.",
		r.date.Format("2006-01-02 15:04 MST"), r.nproc, r.cpu, r.goVersion, r.temporal, pragmas(s.pragmas), r.elapsed.Round(time.Second))
	line("")

	bl := r.baseline
	line("## 1. Baseline: Temporal alone (no-op workflow, concurrency %d)", s.concurrency)
	line("")
	line("| measure | value |")
	line("|---|---|")
	line("| start rate (starts only, %s) | **%.1f workflows/s** (%d started) |", s.sustain, bl.startRate, bl.started)
	line("| completion rate of those workflows (first start → last close) | %.1f workflows/s |", bl.doneRate)
	line("| start and wait for the result | %.1f workflows/s (%d completed in %s) |", bl.loopRate, bl.loopDone, s.sustain)
	if bl.startError != "" {
		line("| first error | %s |", bl.startError)
	}
	line("")

	su := r.sustained
	ratio := 100 * su.intakeRate / bl.startRate
	line("## 2. xsoc intake, sustained (concurrency %d, %s)", s.concurrency, s.sustain)
	line("")
	line("| measure | value |")
	line("|---|---|")
	line("| HTTP POST → 202 incident started | **%.1f alerts/s** (%d started, %d failed%s) |", su.intakeRate, su.sum.started, su.sum.failed, firstError(su.sum))
	line("| ratio to the baseline start rate (target ≥ 70 %%) | **%.0f %%**: %s |", ratio, verdict(ratio >= 70))
	line("| ratio to the baseline start-and-wait rate | %.0f %% |", 100*su.intakeRate/bl.loopRate)
	line("| HTTP POST → first page in Mailpit | %.1f pages/s (%d missing) |", su.pageRate, su.pagesMissing)
	line("| latency intake → incident started, p50 / p95 / p99 | %s |", su.intake)
	line("| latency intake → first page, p50 / p95 / p99 | %s |", su.page)
	line("")

	line("## 3. Latency at fixed offered rates")
	line("")
	line("| offered | alerts | started | intake → incident p50 / p95 / p99 (max) | intake → first page p50 / p95 / p99 (max) | pages missing |")
	line("|---|---|---|---|---|---|")
	for _, p := range r.rates {
		line("| %g/s for %s | %d | %d | %s (%s) | %s (%s) | %d |", p.offered, s.ratePeriod, p.sum.sent, p.sum.started,
			p.intake, ms(p.intake.max), p.page, ms(p.page.max), p.pagesMissing)
	}
	if len(r.rates) > 0 {
		first := r.rates[0]
		line("")
		line("Target: p99 intake → first page under 1 s at %g alerts/s: **%s** (%s).", first.offered, verdict(first.page.n > 0 && first.page.p99 < time.Second), ms(first.page.p99))
	}
	line("")

	bu, bc := r.burst, r.burstCheck
	line("## 4. Burst of %d alerts (concurrency %d)", bc.want, s.concurrency)
	line("")
	line("| measure | value |")
	line("|---|---|")
	line("| first alert sent → every incident started | %s (%.1f alerts/s) |", ms(bu.sum.lastAnswer.Sub(bu.sum.firstSent)), bu.intakeRate)
	line("| first alert sent → every first page in Mailpit (drained) | **%s** (%.1f pages/s) |", ms(bu.drain), bu.pageRate)
	line("| incidents Temporal's visibility lists (`XsocCustomer=\"%s\" AND XsocHost=\"burst-host\"`) | %d of %d |", customerID, bc.visible, bc.want)
	line("| alerts without an incident / ids with two runs / unexpected ids | %d / %d / %d |", len(bc.missing), len(bc.runsTwice), len(bc.unexpected))
	line("| HTTP answers other than 202 with the alert's own workflow id | %d |", bc.wrongAnswer)
	line("| alerts without a page / paged twice | %d / %d |", bc.pagesMissing, len(bc.doubledPages))
	line("| nothing lost or doubled | **%s** |", verdict(bc.ok()))
	line("| latency intake → incident started, p50 / p95 / p99 | %s |", bu.intake)
	line("| latency intake → first page, p50 / p95 / p99 | %s |", bu.page)
	for _, list := range []struct {
		name string
		ids  []string
	}{{"without an incident", bc.missing}, {"with two runs", bc.runsTwice}, {"unexpected", bc.unexpected}, {"paged twice", bc.doubledPages}} {
		if len(list.ids) > 0 {
			line("| %s (first 10) | %s |", list.name, strings.Join(list.ids[:min(10, len(list.ids))], ", "))
		}
	}
	line("")

	line("## 5. Worker memory with open incidents waiting on SLA timers")
	line("")
	line("| open incidents | worker RSS | growth since restart | per open incident | Go heap live / goroutine stacks at the last GC | time to open them |")
	line("|---|---|---|---|---|---|")
	for i, m := range r.memory {
		if i == 0 {
			line("| 1 (worker just restarted) | %.0f MiB | — | — | %d / %d MB | — |", mib(m.rssKiB), m.gc.liveMB, m.gc.stacksMB)
			continue
		}
		growth := m.rssKiB - r.memory[0].rssKiB
		line("| %d | %.0f MiB (peak %.0f MiB) | %.0f MiB | **%.0f KiB** | %d / %d MB | %s (%.0f/s)%s |", m.open, mib(m.rssKiB), mib(m.hwmKiB),
			mib(growth), float64(growth)/float64(m.open), m.gc.liveMB, m.gc.stacksMB,
			m.elapsed.Round(time.Second), float64(m.open-r.memory[i-1].open)/m.elapsed.Seconds(), startError(m))
	}
	line("")
	line(howToRead)
	return b.String()
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

func firstError(s summary) string {
	if s.firstError == "" {
		return ""
	}
	return "; first: " + s.firstError
}

func startError(m memoryPoint) string {
	if m.startErr == "" {
		return ""
	}
	return "; first error: " + m.startErr
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

const howToRead = `## How to read it

- **Everything runs on this one machine** — dev server, Mailpit, worker, starter and this
  program share its CPUs — so the figures are this machine's, and the baseline is measured in
  the same run on the same server to make them comparable: never compare with a baseline from
  elsewhere.
- **Baseline.** *Start rate* is how many workflows per second the server accepts when 50
  senders only start no-op workflows (a worker in this process completes them meanwhile);
  *completion rate* is how fast those same workflows finished (server start and close times);
  *start and wait* is 50 senders each starting one and waiting for its result. It is the
  ceiling for "a request in, a workflow started" on this machine.
- **Intake** is an HTTP POST of a normalized alert answered 202: by then the incident is
  durably started in Temporal — one StartWorkflowExecution call, whose answer says whether it
  created the incident or found it running (a duplicate). No worker is on that path, so intake
  compares with the baseline start rate (the target). The worker runs the incident afterwards:
  its first workflow task schedules the SLA timer and the page, then come the email activity and
  one more workflow task — about 7 server transactions per paging alert against 3 for a no-op
  workflow, on a dev server that commits to SQLite on one connection. Under a sustained storm it
  is the pages that queue: *HTTP POST → first page* is the rate at which alerts become pages,
  and the page latency grows with that backlog while the 202s stay fast.
- **First page** latency runs from the moment the POST was sent to the moment Mailpit received
  the page (Mailpit's own receive time, to the millisecond): incident started → email activity
  scheduled → worker renders it and sends it by SMTP. A high alert of the bench customer pages
  exactly one address at 0 s, so it is one email per alert.
- **Fixed rates** are open-loop: alerts are sent on schedule whether or not earlier ones were
  answered, as in an alert storm. When the offered rate exceeds what the stack sustains, the
  latencies grow with the queue — read the p99 together with the sustained rate above.
  Percentiles are nearest-rank over the alerts of that rate (at 2/s for 30 s, p99 is the
  worst but one).
- **Burst**: a month of one large customer's high alerts sent at once by 50 senders. *Drained*
  is from the first POST to the last first page received. The check lists the incidents in
  Temporal's visibility by search attributes and maps each alert id to exactly one incident
  (one run) and one page email; the row "nothing lost or doubled" must say met.
- **Memory**: the worker is restarted, then incidents that page nobody (medium alerts of the
  bench customer) are opened through the starter's intake code (workflows.Intake, without HTTP);
  memory is read once the worker has run every one of them (visibility counts none still in
  state new). They wait on 30-day SLA timers, cached in the worker. RSS is the
  worker process's VmRSS; *per open incident* divides the growth since the restart by the
  incidents open. The worker runs with GODEBUG=gctrace=1 so that its log tells the live heap
  and the goroutine stacks at its last garbage collection: RSS runs above the live heap
  because Go lets the heap grow to twice the live size before collecting (GOGC=100); setting
  GOMEMLIMIT on the worker trades CPU for a lower RSS. The Go SDK caches at most 10,000 workflow executions per worker process
  (worker.SetStickyWorkflowCacheSize): beyond that, the least recently used incidents are
  evicted and replayed from their history when their next timer or decision arrives, so the
  worker's memory stops growing with the number of open incidents there.
`
