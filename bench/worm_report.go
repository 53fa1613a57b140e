package main

import "time"

// The Done-when targets of the worm (issue 28).
const (
	wormSortedWithin   = 60 * time.Second
	wormIsolatedWithin = 30 * time.Second
	wormPagedWithin    = 2 * time.Second
)

func (wo wormSection) sortedMet() bool {
	return wo.sorted.n > 0 && wo.unsorted == 0 && wo.sorted.p99 <= wormSortedWithin
}

func (c wormContainment) met() bool {
	return c.latency.n > 0 && c.isolated == c.expected && c.doubled == 0 && c.latency.p99 <= wormIsolatedWithin
}

func (w wormCriticals) met() bool {
	return w.paged > 0 && w.missing == 0 && w.posted.failed == 0 && w.page.p99 <= wormPagedWithin
}

func (r *report) wormSection(w *writer) {
	wo := r.worm
	w.line("## Worm: %d alerts of one customer, %d variants over distinct hosts", r.settings.worm, wormVariants)
	w.line("")
	w.line("Load average at the start: %s%s; at the end: %s. Customer `worm`, the SOC's storm and campaign settings (more than 30 new alerts a minute is a storm; 3 hosts sharing a detection within 30 minutes open a campaign); its hosts are sensors of the Cybereason simulator and its policy is `isolate_first`, so each campaign isolates its hosts and every host that joins it. %d senders posted as fast as they were answered; %d critical alerts (hosts and detections of their own) were posted one by one, spread evenly across the worm. An alert is **sorted** when its incident closed merged into its campaign (or suppressed), or, for an incident of its own, when triage answered it.",
		wo.load, r.settledNote("worm"), wo.endLoad, r.settings.concurrency, wo.critical.posted.sent)
	w.line("")
	c := wo.contain
	cr := wo.critical
	w.line("| target (issue 28) | measured | verdict |")
	w.line("|---|---|---|")
	w.line("| every alert sorted within %s of its 202 (p99) | p99 %s (max %s), %d not sorted | **%s** |", ms(wormSortedWithin), ms(wo.sorted.p99), ms(wo.sorted.max), wo.unsorted, verdict(wo.sortedMet()))
	w.line("| each joining host of a contained campaign isolated within %s of its alert's 202 (p99) | p99 %s (max %s); %d of %d hosts isolated, %d isolated twice | **%s** |",
		ms(wormIsolatedWithin), ms(c.latency.p99), ms(c.latency.max), c.isolated, c.expected, c.doubled, verdict(c.met()))
	w.line("| critical alerts paged within %s (202 → SOC page, p99) | p99 %s (max %s); %d of %d paged | **%s** |", ms(wormPagedWithin), ms(cr.page.p99), ms(cr.page.max), cr.paged, cr.posted.sent, verdict(cr.met()))
	tr := wo.check.trouble
	w.line("| 0 lost, 0 doubled, 0 failed workflow tasks | %d lost, %d doubled, %d answered otherwise, of %d alerts; in %d histories, %d workflow tasks failed and %d timed out on the worker (%d more timed out waiting on a sticky queue and went to another poller) | **%s** |",
		wo.check.lost, wo.check.doubled, wo.check.wrongAnswer, wo.check.alerts, wo.check.histories, tr.failed, tr.timedOut, tr.stickyTimedOut, verdict(wo.check.ok()))
	w.line("")
	w.line("| measure | value |")
	w.line("|---|---|")
	w.line("| answered 202 | %d in %s, %.0f a second (%d failed%s) |", wo.posted.started, ms(wo.posted.lastAnswer.Sub(wo.posted.firstSent)), wo.intakePerSecond, wo.posted.failed, firstErrorNote(wo.posted))
	w.line("| 202 → sorted, p50 / p95 / p99 (max) | **%s (%s)** |", wo.sorted, ms(wo.sorted.max))
	w.line("| first POST → the last alert sorted | %s: **%.1f alerts sorted a second** |", ms(wo.took), wo.perSecond)
	w.line("| no-op baseline: %d no-op workflows, first start → last close (server's times) | %s: %.1f a second (%.1f × the alerts' rate)%s |", wo.noop.count, ms(wo.noop.doneSpan), noopRate(wo.noop),
		noopRate(wo.noop)/max(wo.perSecond, 0.001), errorNote(wo.noop.err))
	w.line("| merged (closed) / own incidents / not sorted | %d / %d / %d |", wo.merged, wo.own, wo.unsorted)
	w.line("| campaigns | %d |", wo.campaigns)
	w.line("| 202 → host isolated at the simulator, p50 / p95 / p99 (max) | **%s (%s)** over %d hosts |", c.latency, ms(c.latency.max), c.latency.n)
	w.line("| of which the alert sorted → its host isolated, p50 / p95 / p99 (max) | %s (%s) |", c.afterSorted, ms(c.afterSorted.max))
	w.line("| hosts isolated / expected (every host of the worm) / isolated whose alert's incident stayed its own | %d / %d / %d |", c.isolated, c.expected, c.ownIncident)
	w.line("| isolate commands naming the worm's sensors (naming one alone) / sensors per command / sensors named twice | %d (%d) / %.1f / %d |", c.commands, c.singles, c.hostsPerCommand, c.doubled)
	w.line("| critical alerts: 202 → SOC page (Slack post), p50 / p95 / p99 (max) | **%s (%s)**, %d of %d paged%s |", cr.page, ms(cr.page.max), cr.paged, cr.posted.sent, firstErrorNote(cr.posted))
	w.line("| critical alerts: POST → 202, p50 / p95 / p99 | %s |", cr.intake)
	w.line("| incidents that paged the SOC one by one | %d |", wo.paged)
	w.line("| CPU during the section | %s |", wo.cpu)
	w.line("")
	if st := wo.stall; st.found() {
		w.line("**Not every alert was sorted: %s.** The task queue's workflow-task backlogs then, by version (incidents start pinned to the worker's version and wait in its backlog; the entities' tasks pass through the unversioned one):", st.why)
		w.line("")
		for _, b := range st.backlogs {
			w.line("- %s", b)
		}
		w.line("")
		if len(st.limits) == 0 {
			w.line("The server's log names no limit reached.")
		} else {
			w.line("Limits the server's log says were reached:")
			w.line("")
			for _, l := range st.limits {
				w.line("- %s", l)
			}
		}
		w.line("")
	}
	w.line("Alerts posted faster than they are sorted wait, durably, in their incidents (none is lost); an incident whose triage is busy waits for the answer by signal, up to 15 minutes, and pages the SOC as a new incident of its own only then (the incidents that paged one by one, above, are the storm's first 30 and the criticals). A host is isolated when the simulator took the isolate command that cut it off; a sensor named by two commands is a host isolated twice.")
	w.line("")
	w.line("Where a merged incident's time goes, from the same %d sampled histories (server's times; p50 / p95 / p99):", wo.costs.n)
	w.line("")
	w.line("| step | p50 / p95 / p99 (max) |")
	w.line("|---|---|")
	for _, step := range sortSteps {
		if p, ok := wo.costs.sortSteps[step]; ok {
			w.line("| %s | %s (%s) |", step, p, ms(p.max))
		}
	}
	if t := wo.costs.tasksBeforeAnswer; t != nil {
		w.line("| workflow tasks before the answer (one, or more while a local activity waits) | %d / %d / %d (%d) |", t[0], t[1], t[2], t[3])
	}
	w.line("")
	w.line("Where a critical alert's time goes on its way to the SOC's page during the worm, from its %d incidents' histories (server's times):", wo.critCosts.n)
	w.line("")
	writeSteps(w, wo.critCosts)
	w.line("")
	w.line("Server work per alert, from %d sampled merged incidents and %d no-op ones; the shares are what the customer's Triage, its Account and the campaigns (every run) wrote during the section divided by its %d alerts (criticals included); database writes are the server's own count during each run divided by its workflows:", wo.costs.n, 50, wo.alerts())
	w.line("")
	writeCostTable(w, wo.noopCost, wo.costs, []entityShare{wo.triage, wo.account, wo.campaign}, max(1, wo.alerts()), wo.noopDB, wo.noop.count, wo.db, max(1, wo.alerts()))
	w.line("")
	writeTriage(w, "the worm", wo.triage, wo.shareErr)
	w.line("")
	if told := tr.told(); len(told) > 0 {
		w.line("Workflow tasks that failed or timed out on the worker (failures first, at most %d):", troubleSeen)
		w.line("")
		for _, s := range told {
			w.line("- %s", s)
		}
		w.line("")
	}
}

// noopRate is the no-op workflows closed a second.
func noopRate(n noopRun) float64 {
	if n.doneSpan <= 0 {
		return 0
	}
	return float64(n.count) / n.doneSpan.Seconds()
}
