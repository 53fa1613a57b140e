package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	cybereasonsim "xsoc/integrations/cybereason/sim"
)

// wormOf is a worm section with the figures given and everything else in order.
func wormOf(sortedP99, isolatedP99, pagedP99 time.Duration, change func(*wormSection)) *wormSection {
	wo := &wormSection{load: "1.00, 1.00, 1.00", endLoad: "2.00, 1.50, 1.00",
		posted: summary{sent: 2000, started: 2000}, merged: 1990, own: 10, campaigns: 40,
		sorted:  percentiles{n: 2000, p50: time.Second, p95: sortedP99, p99: sortedP99, max: sortedP99},
		contain: wormContainment{expected: 1990, isolated: 1990, commands: 60, singles: 5, hostsPerCommand: 33.2, latency: percentiles{n: 1990, p50: time.Second, p99: isolatedP99, max: isolatedP99}},
		critical: wormCriticals{posted: summary{sent: 20, started: 20}, paged: 20,
			page: percentiles{n: 20, p50: 300 * time.Millisecond, p99: pagedP99, max: pagedP99}},
		check:    wormCheck{alerts: 2020, histories: 243, trouble: taskTrouble{stickyTimedOut: 3}},
		noop:     noopRun{count: 2000, doneSpan: 20 * time.Second},
		noopCost: averageTally{events: 11, workflowTasks: 2},
		costs:    incidentCosts{n: 200, all: averageTally{events: 30, workflowTasks: 4, activityTasks: 1}},
		triage:   entityShare{workflowID: "triage/worm", workflows: 1, within: tally{events: 4000, workflowTasks: 100}},
		campaign: entityShare{workflowID: "40 campaigns", workflows: 40, within: tally{events: 2000, workflowTasks: 200, activityTasks: 60}},
	}
	if change != nil {
		change(wo)
	}
	return wo
}

// The worm's section says each Done-when target's figure and verdict, and the server
// work per alert beside the no-op baseline.
func TestTheWormSectionJudgesEachTarget(t *testing.T) {
	cases := []struct {
		name  string
		worm  *wormSection
		want  []string
		unmet []string // targets that must read NOT met
	}{
		{"all met", wormOf(40*time.Second, 12*time.Second, 900*time.Millisecond, nil),
			[]string{"p99 40.0 s (max 40.0 s), 0 not sorted", "1990 of 1990 hosts isolated, 0 isolated twice", "20 of 20 paged",
				"0 lost, 0 doubled, 0 answered otherwise, of 2020 alerts; in 243 histories, 0 workflow tasks failed and 0 timed out on the worker (3 more",
				"at the end: 2.00, 1.50, 1.00", "| 60 (5) / 33.2 / 0 |", "100.0 a second", "`40 campaigns`", "**transactions per alert, all workflows**"}, nil},
		{"where the time goes", wormOf(40*time.Second, 12*time.Second, 900*time.Millisecond, func(wo *wormSection) {
			wo.costs.sortSteps = map[string]percentiles{sortSteps[0]: percentilesOf([]time.Duration{2 * time.Second, 30 * time.Second})}
			wo.costs.tasksBeforeAnswer = &[4]int{1, 2, 3, 4}
		}), []string{"| start → first workflow task picked up | 2000 ms / 30.0 s / 30.0 s (30.0 s) |",
			"| workflow tasks before the answer (one, or more while a local activity waits) | 1 / 2 / 3 (4) |"}, nil},
		{"slow sorting", wormOf(61*time.Second, 12*time.Second, time.Second, nil), nil, []string{"sorted within"}},
		{"a host missed", wormOf(time.Second, time.Second, time.Second, func(wo *wormSection) { wo.contain.isolated-- }),
			[]string{"1989 of 1990 hosts isolated"}, []string{"isolated within"}},
		{"a host isolated twice", wormOf(time.Second, time.Second, time.Second, func(wo *wormSection) { wo.contain.doubled = 1 }), nil, []string{"isolated within"}},
		{"slow isolation", wormOf(time.Second, 31*time.Second, time.Second, nil), nil, []string{"isolated within"}},
		{"a slow page", wormOf(time.Second, time.Second, 2100*time.Millisecond, nil), nil, []string{"paged within"}},
		{"a critical never paged", wormOf(time.Second, time.Second, time.Second, func(wo *wormSection) { wo.critical.missing, wo.critical.paged = 1, 19 }),
			nil, []string{"paged within"}},
		{"a doubled alert", wormOf(time.Second, time.Second, time.Second, func(wo *wormSection) { wo.check.doubled = 1 }), nil, []string{"0 lost"}},
		{"a failed task", wormOf(time.Second, time.Second, time.Second, func(wo *wormSection) {
			wo.check.trouble = taskTrouble{failed: 1, seen: []string{"incident/worm/generic/worm-7 event 9 failed (NonDeterministicError): boom"}}
		}), []string{"- incident/worm/generic/worm-7 event 9 failed (NonDeterministicError): boom"}, []string{"0 lost"}},
		{"a timed-out task", wormOf(time.Second, time.Second, time.Second, func(wo *wormSection) { wo.check.trouble.timedOut = 1 }), nil, []string{"0 lost"}},
		{"a stall", wormOf(time.Second, time.Second, time.Second, func(wo *wormSection) {
			wo.unsorted = 7960
			wo.stall = wormStall{why: "7960 alerts unsorted, unchanged for 5m0s",
				backlogs: []string{"unversioned: 2133 workflow tasks, the oldest 20m0s, dispatched 0.0 a second"},
				limits:   []string{"2 × the number of pending signals to external workflows, 2000, has reached the per-workflow limit of 2000 (triage/worm)"}}
		}), []string{"**Not every alert was sorted: 7960 alerts unsorted, unchanged for 5m0s.**", "- unversioned: 2133 workflow tasks",
			"- 2 × the number of pending signals to external workflows"}, []string{"sorted within"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newReport(settings{only: []string{"worm"}, worm: 2000, concurrency: 20, criticals: 20})
			r.worm = tc.worm
			text := r.markdown()
			for _, want := range tc.want {
				if !strings.Contains(text, want) {
					t.Errorf("%q missing from\n%s", want, text)
				}
			}
			for _, line := range strings.Split(text, "\n") {
				if !strings.HasPrefix(line, "| every alert sorted") && !strings.HasPrefix(line, "| each joining host") &&
					!strings.HasPrefix(line, "| critical alerts paged") && !strings.HasPrefix(line, "| 0 lost") {
					continue
				}
				unmet := false
				for _, target := range tc.unmet {
					unmet = unmet || strings.Contains(line, target)
				}
				if got := strings.HasSuffix(line, "**NOT met** |"); got != unmet {
					t.Errorf("NOT met %v, want %v: %s", got, unmet, line)
				}
			}
		})
	}
}

// Isolate commands are counted by the worm's sensors they name: one named by two
// commands was isolated twice; other sensors and calls do not count.
func TestIsolateCommandsCountTheWormsSensorsNamedTwice(t *testing.T) {
	sensors := wormSensors{"P1": "worm-host-1", "P2": "worm-host-2", "P3": "worm-host-3"}
	calls := []cybereasonsim.Call{
		{Path: isolatePath, Body: `{"pylumIds":["P1","P2"]}`},
		{Path: "/rest/sensors/query", Body: `{"filters":[]}`},
		{Path: isolatePath, Body: `{"pylumIds":["P2","P3","OTHER"]}`},
		{Path: isolatePath, Body: `{"pylumIds":["OTHER"]}`},
	}
	calls = append(calls, cybereasonsim.Call{Path: isolatePath, Body: `{"pylumIds":["P3","OTHER"]}`})
	commands, singles, doubled, per := isolateCommands(calls, sensors)
	if commands != 3 || singles != 1 || doubled != 2 || per != 5.0/3 {
		t.Errorf("commands %d (%d single), doubled %d, per command %.2f; want 3 (1), 2, 1.67", commands, singles, doubled, per)
	}
}

// Every alert maps to exactly one incident with one run.
func TestCheckWormCountsLostAndDoubledAlerts(t *testing.T) {
	delivered := func(id string) delivery {
		return delivery{alert: benchAlert{id: id}, status: 202, workflowID: "incident/worm/generic/" + id}
	}
	incidents := map[string][]execution{
		"incident/worm/generic/a": {{}},
		"incident/worm/generic/b": {{}, {}},
	}
	c := checkWorm([]delivery{delivered("a"), delivered("b"), delivered("c")}, incidents)
	if c.lost != 1 || c.doubled != 1 || c.wrongAnswer != 0 || c.ok() {
		t.Errorf("%+v: want 1 lost, 1 doubled, not ok", c)
	}
}

// A failed workflow task is told before the timeouts, whichever came first; a sticky
// schedule-to-start timeout is counted apart and not judged a failure.
func TestTaskTroubleTellsFailuresFirst(t *testing.T) {
	timedOut := func(id int64, kind enumspb.TimeoutType) *historypb.HistoryEvent {
		return &historypb.HistoryEvent{EventId: id, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
			Attributes: &historypb.HistoryEvent_WorkflowTaskTimedOutEventAttributes{WorkflowTaskTimedOutEventAttributes: &historypb.WorkflowTaskTimedOutEventAttributes{TimeoutType: kind}}}
	}
	var early, late taskTrouble
	for i := range int64(troubleSeen) {
		early.add(timedOut(10+i, enumspb.TIMEOUT_TYPE_START_TO_CLOSE), nil)
	}
	early.add(timedOut(30, enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START), nil)
	late.add(&historypb.HistoryEvent{EventId: 40, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED,
		Attributes: &historypb.HistoryEvent_WorkflowTaskFailedEventAttributes{WorkflowTaskFailedEventAttributes: &historypb.WorkflowTaskFailedEventAttributes{
			Cause: enumspb.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR, Failure: &failurepb.Failure{Message: "nondeterminism\nstack"}}}}, nil)
	sum := early.of("a").plus(late.of("b"))
	if sum.failed != 1 || sum.timedOut != troubleSeen || sum.stickyTimedOut != 1 || sum.failures() != troubleSeen+1 {
		t.Errorf("%+v", sum)
	}
	told := sum.told()
	if len(told) != troubleSeen || !strings.HasPrefix(told[0], "b event 40") || !strings.HasSuffix(told[0], "failed (NonDeterministicError): nondeterminism") ||
		!strings.Contains(told[1], "a event 10") || !strings.HasSuffix(told[1], "timed out on the worker (StartToClose)") {
		t.Errorf("told %q", told)
	}
}

// A stall is diagnosed from the server's log: each limit error with the workflows it
// named, counted; other lines do not count.
func TestServerLimitErrorsAreCountedByMessageAndWorkflow(t *testing.T) {
	log := filepath.Join(t.TempDir(), "temporal.log")
	lines := []string{
		`time=2026-12-06T06:07:23.699 level=ERROR msg="the number of pending signals to external workflows, 2000, has reached the per-workflow limit of 2000" service=history wf-id=triage/worm wf-run-id=x`,
		`time=2026-12-06T06:17:25.257 level=ERROR msg="the number of pending signals to external workflows, 2000, has reached the per-workflow limit of 2000" service=history wf-id=triage/worm wf-run-id=y`,
		`time=2026-12-06T06:17:26.000 level=INFO msg="rate limit reached, not an error"`,
		`time=2026-12-06T06:17:27.000 level=ERROR msg="Update workflow execution operation failed." wf-id=incident/worm/campaign/worm-29`,
	}
	if err := os.WriteFile(log, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := serverLimitErrors(log)
	want := []string{"2 × the number of pending signals to external workflows, 2000, has reached the per-workflow limit of 2000 (triage/worm)"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
}

// A failure the worker's codec encrypted ("Encoded failure") is told in its own words.
func TestTaskTroubleDecodesAnEncodedFailure(t *testing.T) {
	dc := converter.GetDefaultDataConverter()
	encoded := temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true}).
		ErrorToFailure(errors.New("workflow panic: boom"))
	if encoded.GetMessage() == "workflow panic: boom" {
		t.Fatal("the failure was not encoded")
	}
	var trouble taskTrouble
	trouble.add(&historypb.HistoryEvent{EventId: 7, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED,
		Attributes: &historypb.HistoryEvent_WorkflowTaskFailedEventAttributes{WorkflowTaskFailedEventAttributes: &historypb.WorkflowTaskFailedEventAttributes{
			Cause: enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, Failure: encoded}}}, dc)
	if told := trouble.told(); len(told) != 1 || !strings.HasSuffix(told[0], "failed (WorkflowWorkerUnhandledFailure): workflow panic: boom") {
		t.Errorf("told %q", told)
	}
}
