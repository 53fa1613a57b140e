package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"xsoc/internal/devstack"
	"xsoc/workflows"
)

// burstCheck is the verdict on the burst: every alert one incident, one page.
type burstCheck struct {
	want         int
	visible      int // incidents of the burst Temporal's visibility counts
	missing      []string
	unexpected   []string
	runsTwice    []string
	wrongAnswer  int // alerts whose HTTP answer was not 202 with their own workflow id
	pagesMissing int
	doubledPages []string
}

func (c burstCheck) ok() bool {
	return c.visible == c.want && len(c.missing) == 0 && len(c.unexpected) == 0 && len(c.runsTwice) == 0 &&
		c.wrongAnswer == 0 && c.pagesMissing == 0 && len(c.doubledPages) == 0
}

// checkBurst counts the burst's incidents in Temporal's visibility (every burst alert
// is on host burst-host) and lists them, so that each alert id maps to exactly one
// incident, and checks its HTTP answers and pages.
func checkBurst(ctx context.Context, stack *devstack.Stack, mail *mailbox, ds []delivery, want int) (burstCheck, error) {
	c := burstCheck{want: want}
	expected := map[string]bool{}
	for n := 1; n <= want; n++ {
		expected[workflows.IncidentWorkflowID(customerID, "generic", fmt.Sprintf("burst-%d", n))] = true
	}
	for _, d := range ds {
		if !d.started() || d.workflowID != workflows.IncidentWorkflowID(customerID, "generic", d.alertID) {
			c.wrongAnswer++
		}
	}
	c.wrongAnswer += want - len(ds)
	query := fmt.Sprintf(`XsocCustomer=%q AND XsocHost="burst-host"`, customerID)
	// Visibility is eventually consistent: give it a moment to count every incident.
	_ = waitCount(ctx, stack.Temporal, query, int64(want), time.Minute)
	runs := map[string]int{}
	if err := listExecutions(ctx, stack.Temporal, query, func(e execution) { runs[e.workflowID]++ }); err != nil {
		return c, err
	}
	for id, n := range runs {
		c.visible += n
		switch {
		case !expected[id]:
			c.unexpected = append(c.unexpected, id)
		case n > 1:
			c.runsTwice = append(c.runsTwice, id)
		}
	}
	for id := range expected {
		if runs[id] == 0 {
			c.missing = append(c.missing, id)
		}
	}
	ids := make([]string, 0, want)
	for n := 1; n <= want; n++ {
		ids = append(ids, fmt.Sprintf("burst-%d", n))
	}
	c.pagesMissing = mail.await(ctx, ids, time.Minute)
	c.doubledPages = doubledPages(mail, ds)
	slices.Sort(c.missing)
	slices.Sort(c.unexpected)
	slices.Sort(c.runsTwice)
	return c, nil
}

func doubledPages(mail *mailbox, ds []delivery) []string {
	var doubled []string
	for _, d := range ds {
		if _, n := mail.firstPage(d.alertID); n > 1 {
			doubled = append(doubled, d.alertID)
		}
	}
	slices.Sort(doubled)
	return doubled
}
