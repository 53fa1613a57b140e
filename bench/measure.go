package main

import (
	"context"
	"time"
)

// phase is what one batch of alerts did: how many the starter took, how fast, and how
// long each took to become an incident and to reach Mailpit as a page.
type phase struct {
	offered       float64 // alerts/s offered; 0 when senders send as fast as answered
	sum           summary
	intakeRate    float64 // incidents started per second, first sent to last answer
	pageRate      float64 // first pages per second, first sent to last page received
	drain         time.Duration
	intake, page  percentiles
	pagesMissing  int
	startedAlerts []string
}

// measure waits for the pages of the alerts that started incidents and computes the
// phase's figures.
func measure(ctx context.Context, mail *mailbox, ds []delivery, offered float64) phase {
	p := phase{offered: offered, sum: summarize(ds), startedAlerts: alertIDs(ds)}
	p.pagesMissing = mail.await(ctx, p.startedAlerts, 5*time.Minute)
	var intake, page []time.Duration
	lastPage := p.sum.lastAnswer
	for _, d := range ds {
		if !d.started() {
			continue
		}
		intake = append(intake, d.intakeLatency())
		if first, n := mail.firstPage(d.alertID); n > 0 {
			page = append(page, first.Sub(d.sent))
			if first.After(lastPage) {
				lastPage = first
			}
		}
	}
	p.intake, p.page = percentilesOf(intake), percentilesOf(page)
	if p.sum.started > 0 {
		p.intakeRate = float64(p.sum.started) / p.sum.lastAnswer.Sub(p.sum.firstSent).Seconds()
		p.drain = lastPage.Sub(p.sum.firstSent)
		p.pageRate = float64(len(page)) / p.drain.Seconds()
	}
	return p
}
