package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	cybereasonsim "xsoc/integrations/cybereason/sim"
	"xsoc/workflows/api"
)

// What the worm section checks beside its sorting: containment at the Cybereason
// simulator, the critical alerts' pages, every alert one incident, and the workflow
// tasks that failed.

// isolatePath is the Cybereason console's isolate command.
const isolatePath = "/rest/monitor/global/commands/isolate"

// wormSensors maps the worm's sensors' pylumIds to their machine names.
type wormSensors map[string]string

// registerWormSensors registers a sensor at the Cybereason simulator for each of the
// worm's hosts (as an enrolled fleet has), so that isolating them works end to end.
func (b *bench) registerWormSensors(hosts int) (wormSensors, error) {
	sensors := wormSensors{}
	for n := 1; n <= hosts; n++ {
		pylumID := fmt.Sprintf("PYLUMCLIENT_BENCH_WORM_%d", n)
		if _, err := b.stack.Cybereason.AddSensor(cybereasonsim.Sensor{Name: wormHost(n), PylumID: pylumID}); err != nil {
			return nil, fmt.Errorf("registering the worm's sensors at the Cybereason simulator: %w", err)
		}
		sensors[pylumID] = wormHost(n)
	}
	return sensors, nil
}

// isolatedWorm answers when each of the worm's hosts was isolated.
func (b *bench) isolatedWorm(sensors wormSensors) map[string]time.Time {
	names := make(map[string]bool, len(sensors))
	for _, name := range sensors {
		names[name] = true
	}
	at := map[string]time.Time{}
	for name, t := range b.stack.Cybereason.IsolatedAt() {
		if names[name] {
			at[name] = t
		}
	}
	return at
}

// awaitIsolation waits, once the worm is sorted, until every host of the worm's
// alerts is isolated, or none was for isolationQuiet (the rest are not in a contained
// campaign), or the drain budget is spent.
func (b *bench) awaitIsolation(ctx context.Context, sensors wormSensors, incidents []string) {
	const isolationQuiet = 30 * time.Second
	deadline := time.Now().Add(b.s.drainBudget)
	last, lastChange := -1, time.Now()
	for ctx.Err() == nil && time.Now().Before(deadline) {
		n := len(b.isolatedWorm(sensors))
		if n >= len(incidents) {
			return
		}
		if n != last {
			last, lastChange = n, time.Now()
		} else if time.Since(lastChange) > isolationQuiet {
			b.log.Warn("worm: hosts no longer being isolated", "isolated", n, "alerts", len(incidents))
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// wormContainment is what the simulator saw of the worm's hosts.
type wormContainment struct {
	// expected are the worm's hosts (every one shares its detection with a campaign,
	// which contains its hosts); isolated those the simulator cut off, ownIncident
	// those of them whose alert's incident stayed its own (a campaign took its host
	// as a member, or triage answered it late).
	expected, isolated, ownIncident int
	// latency runs from each alert's 202 to its host's isolation; afterSorted from the
	// alert sorted (its incident closed merged, or triage answered) to that isolation.
	latency, afterSorted percentiles
	// commands are the isolate commands that named worm sensors, singles those that
	// named one alone; doubled the sensors named by more than one.
	commands, singles, doubled int
	hostsPerCommand            float64
}

// wormSorted is when an alert of the worm was answered 202 and sorted, and whether
// its incident closed merged.
type wormSorted struct {
	answered, sorted time.Time
	merged           bool
}

func (b *bench) containmentOf(alerts int, sorted map[string]wormSorted, sensors wormSensors) wormContainment {
	c := wormContainment{expected: alerts}
	isolated := b.isolatedWorm(sensors)
	var waits, afterSorted []time.Duration
	for host, m := range sorted {
		if at, ok := isolated[host]; ok {
			c.isolated++
			waits = append(waits, at.Sub(m.answered))
			afterSorted = append(afterSorted, at.Sub(m.sorted))
			if !m.merged {
				c.ownIncident++
			}
		}
	}
	c.latency, c.afterSorted = percentilesOf(waits), percentilesOf(afterSorted)
	c.commands, c.singles, c.doubled, c.hostsPerCommand = isolateCommands(b.stack.Cybereason.Calls(), sensors)
	return c
}

// isolateCommands counts the isolate commands that named the sensors (and those that
// named one alone), the sensors named by more than one, and the sensors a command
// named on average.
func isolateCommands(calls []cybereasonsim.Call, sensors wormSensors) (commands, singles, doubled int, perCommand float64) {
	named := map[string]int{}
	total := 0
	for _, call := range calls {
		if call.Path != isolatePath {
			continue
		}
		var body struct {
			PylumIDs []string `json:"pylumIds"`
		}
		if json.Unmarshal([]byte(call.Body), &body) != nil {
			continue
		}
		ours := 0
		for _, id := range body.PylumIDs {
			if _, ok := sensors[id]; ok {
				named[id]++
				ours++
			}
		}
		if ours > 0 {
			commands++
			total += ours
		}
		if ours == 1 {
			singles++
		}
	}
	for _, n := range named {
		if n > 1 {
			doubled++
		}
	}
	if commands > 0 {
		perCommand = float64(total) / float64(commands)
	}
	return commands, singles, doubled, perCommand
}

// wormCriticals are the critical alerts posted during the worm and their pages.
type wormCriticals struct {
	posted summary
	// page runs from each one's 202 to its first SOC page; intake from its POST to
	// the 202.
	page, intake percentiles
	paged        int
	missing      int
}

func (w *wormCriticals) measure(criticals []delivery, pages map[string]pageCount) {
	var page, intake []time.Duration
	for _, d := range criticals {
		if p := pages[d.workflowID]; d.started() && p.n > 0 {
			page = append(page, p.first.Sub(d.answered))
			intake = append(intake, d.latency())
			continue
		}
		w.missing++
	}
	w.paged = len(page)
	w.page, w.intake = percentilesOf(page), percentilesOf(intake)
}

// wormCheck is the verdict on the worm: every alert exactly one incident, one run, no
// workflow task failed.
type wormCheck struct {
	alerts      int
	lost        int // alerts without an incident
	doubled     int // alerts with more than one run of their incident
	wrongAnswer int // alerts not answered 202 with their own incident's id
	// trouble is the workflow tasks that did not complete in the histories read
	// (sampled incidents, the criticals, triage, account, campaigns); histories is how
	// many workflows that covers.
	trouble   taskTrouble
	histories int
}

func (c wormCheck) ok() bool {
	return c.lost == 0 && c.doubled == 0 && c.wrongAnswer == 0 && c.trouble.failures() == 0
}

// checkWorm maps each alert to its incident (by id: incident/worm/generic/<alert id>)
// among the customer's incidents, every run.
func checkWorm(ds []delivery, incidents map[string][]execution) wormCheck {
	c := wormCheck{alerts: len(ds)}
	for _, d := range ds {
		want := api.IncidentWorkflowID(wormCustomer, "generic", d.alert.id)
		if !d.started() || d.workflowID != want {
			c.wrongAnswer++
		}
		switch runs := len(incidents[want]); {
		case runs == 0:
			c.lost++
		case runs > 1:
			c.doubled++
		}
	}
	return c
}

// countTasks adds the failed and timed-out workflow tasks of what was read.
func (c *wormCheck) countTasks(costs []incidentCosts, shares ...entityShare) {
	for _, cost := range costs {
		c.trouble = c.trouble.plus(cost.trouble)
		c.histories += cost.n - cost.historyErrors
	}
	for _, s := range shares {
		c.trouble = c.trouble.plus(s.trouble)
		c.histories += s.workflows
	}
}

// sharesOf adds up what several entities (the campaigns) wrote between from and to.
func sharesOf(ctx context.Context, b *bench, workflowIDs []string, from, to time.Time) (entityShare, error) {
	sum := entityShare{workflowID: fmt.Sprintf("%d campaigns", len(workflowIDs))}
	var firstErr error
	for _, id := range workflowIDs {
		s, err := shareOf(ctx, b.stack.Temporal, b.stack.ClientOptions.DataConverter, id, from, to)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		sum.runs += s.runs
		sum.workflows++
		sum.within = sum.within.plus(s.within)
		sum.trouble = sum.trouble.plus(s.trouble)
	}
	return sum, firstErr
}
