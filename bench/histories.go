package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"xsoc/workflows/api"
)

// Where the time goes is read from the workflows' own histories
// (GetWorkflowExecutionHistory): every history event is a row the server wrote, every
// workflow task a round trip to a worker (counted by its WorkflowTaskCompleted,
// Failed or TimedOut event), every activity task another (ActivityTaskScheduled).

// tally counts what one history (or part of one) holds.
type tally struct {
	events, workflowTasks, activityTasks int
	signalsIn, signalsOut, timers        int
	markers, updates, upserts            int
	// trouble is the workflow tasks that did not complete.
	trouble taskTrouble
	// activities count activity tasks and local activities by type ("PostSlack",
	// "PostSlack (local)").
	activities map[string]int
}

// plus adds two tallies up.
func (t tally) plus(o tally) tally {
	sum := tally{events: t.events + o.events, workflowTasks: t.workflowTasks + o.workflowTasks, activityTasks: t.activityTasks + o.activityTasks,
		signalsIn: t.signalsIn + o.signalsIn, signalsOut: t.signalsOut + o.signalsOut, timers: t.timers + o.timers,
		markers: t.markers + o.markers, updates: t.updates + o.updates, upserts: t.upserts + o.upserts,
		trouble: t.trouble.plus(o.trouble), activities: map[string]int{}}
	for _, from := range []map[string]int{t.activities, o.activities} {
		for name, n := range from {
			sum.activities[name] += n
		}
	}
	return sum
}

// transactions is the measure of a server's work: workflow tasks + activity
// tasks + history events.
func (t tally) transactions() int { return t.workflowTasks + t.activityTasks + t.events }

// add counts an event; dc (which may be nil) decodes a local activity's marker to
// name its activity.
func (t *tally) add(e *historypb.HistoryEvent, dc converter.DataConverter) {
	t.events++
	if t.activities == nil {
		t.activities = map[string]int{}
	}
	switch e.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
		t.workflowTasks++
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED, enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
		t.workflowTasks++
		t.trouble.add(e, dc)
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
		t.activityTasks++
		t.activities[e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()]++
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
		t.signalsIn++
	case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
		t.signalsOut++
	case enumspb.EVENT_TYPE_TIMER_STARTED:
		t.timers++
	case enumspb.EVENT_TYPE_MARKER_RECORDED:
		t.markers++
		if name := localActivityType(e, dc); name != "" {
			t.activities[name+" (local)"]++
		}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
		t.updates++
	case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
		t.upserts++
	}
}

// incidentHistory is one incident's history: all of it, the part up to its first
// page's delivery, and when each step of the way to that page happened.
type incidentHistory struct {
	all, toPage tally
	paged       bool
	steps       map[string]time.Duration
	// sortSteps are the way of an incident triage answered, paged or not, and
	// tasksBeforeAnswer the workflow tasks it took until the answer (0: no answer).
	sortSteps         map[string]time.Duration
	tasksBeforeAnswer int
}

// The steps from an incident's start to triage's answer and its close (sortSteps).
var sortSteps = []string{
	"start → first workflow task picked up",
	"first workflow task picked up → triage's answer recorded",
	"triage's answer recorded → closed",
}

// The steps from an incident's start to its first page, in order.
var pageSteps = []string{
	"start → first workflow task picked up",
	"first workflow task on the worker",
	"admission sent → triage's answer received",
	"— admission sent → recorded in triage's history",
	"— recorded → triage's workflow task that answers it picked up",
	"— that workflow task picked up → answer sent",
	"— answer sent → received by the incident",
	"answer received → page activity scheduled",
	"page activity scheduled → picked up",
	"page activity on the worker (Slack post)",
	"answer received → page posted by a local activity (recorded)",
}

// localActivityType answers the activity a local activity's marker records ("" for
// another event, or when it cannot be decoded).
func localActivityType(e *historypb.HistoryEvent, dc converter.DataConverter) string {
	marker := e.GetMarkerRecordedEventAttributes()
	if dc == nil || marker.GetMarkerName() != "LocalActivity" {
		return ""
	}
	var data struct{ ActivityType string }
	if dc.FromPayloads(marker.GetDetails()["data"], &data) != nil {
		return ""
	}
	return data.ActivityType
}

func history(ctx context.Context, c client.Client, workflowID, runID string) ([]*historypb.HistoryEvent, error) {
	var events []*historypb.HistoryEvent
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", workflowID, err)
		}
		events = append(events, e)
	}
	return events, nil
}

// readIncident reads an incident's history. Its first page is the first Slack post it
// made (the bench's SOC is paged on Slack, and nothing else of an incident posts to
// Slack before its first page): an activity, completed, or a local activity, recorded.
//
// triage is what the customer's triage's history says of each incident (nil when
// unknown).
func readIncident(events []*historypb.HistoryEvent, triage map[string]triageTimes, dc converter.DataConverter) incidentHistory {
	h := incidentHistory{steps: map[string]time.Duration{}, sortSteps: map[string]time.Duration{}}
	var start, wft1Started, wft1Done, admitted, answered, pageScheduled, pageStarted, pageDone, closed time.Time
	var pageEventID int64
	var workflowID string
	for _, e := range events {
		at := e.GetEventTime().AsTime()
		h.all.add(e, dc)
		if !h.paged {
			h.toPage.add(e, dc)
		}
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			start = at
			workflowID = e.GetWorkflowExecutionStartedEventAttributes().GetWorkflowId()
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			if wft1Started.IsZero() {
				wft1Started = at
			}
			if answered.IsZero() {
				h.tasksBeforeAnswer++
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
			closed = at
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			if wft1Done.IsZero() {
				wft1Done = at
			}
		case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
			if admitted.IsZero() && e.GetSignalExternalWorkflowExecutionInitiatedEventAttributes().GetSignalName() == api.SignalAdmit {
				admitted = at
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			if answered.IsZero() && e.GetWorkflowExecutionSignaledEventAttributes().GetSignalName() == api.SignalTriaged {
				answered = at
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			if pageEventID == 0 && e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName() == "PostSlack" {
				pageEventID, pageScheduled = e.GetEventId(), at
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			if e.GetActivityTaskStartedEventAttributes().GetScheduledEventId() == pageEventID && pageEventID != 0 {
				pageStarted = at
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			if e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId() == pageEventID && pageEventID != 0 {
				pageDone = at
				h.paged = true
			}
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			switch localActivityType(e, dc) {
			case "PostSlack":
				if !h.paged {
					pageDone = at
					h.paged = true
				}
			case "AdmitToTriage":
				// Asked by Update in the first workflow task: the answer is recorded when
				// that task completes.
				if answered.IsZero() {
					answered = at
				}
			}
		}
	}
	for i, span := range [][2]time.Time{{start, wft1Started}, {wft1Started, answered}, {answered, closed}} {
		if !span[0].IsZero() && !span[1].IsZero() {
			h.sortSteps[sortSteps[i]] = span[1].Sub(span[0])
		}
	}
	if answered.IsZero() {
		h.tasksBeforeAnswer = 0
	}
	if !h.paged {
		return h
	}
	t := triage[workflowID]
	for i, span := range [][2]time.Time{{start, wft1Started}, {wft1Started, wft1Done}, {admitted, answered},
		{admitted, t.recorded}, {t.recorded, t.taskStarted}, {t.taskStarted, t.answered}, {t.answered, answered},
		{answered, pageScheduled}, {pageScheduled, pageStarted}, {pageStarted, pageDone}} {
		if !span[0].IsZero() && !span[1].IsZero() {
			h.steps[pageSteps[i]] = span[1].Sub(span[0])
		}
	}
	if pageEventID == 0 && !answered.IsZero() {
		h.steps["answer received → page posted by a local activity (recorded)"] = pageDone.Sub(answered)
	}
	h.steps["start → page delivered (activity completed)"] = pageDone.Sub(start)
	return h
}

// sample answers up to n of the ids, chosen at random (the same choice for the same
// ids in one run does not matter: each section samples once).
func sample(ids []string, n int) []string {
	if len(ids) <= n {
		return slices.Clone(ids)
	}
	picked := slices.Clone(ids)
	rand.Shuffle(len(picked), func(i, j int) { picked[i], picked[j] = picked[j], picked[i] })
	return picked[:n]
}

// incidentCosts is what a sample of incidents cost the server, on average per
// incident, and how long each step to their first page took.
type incidentCosts struct {
	n, paged    int
	all, toPage averageTally
	steps       map[string]percentiles
	sortSteps   map[string]percentiles
	// tasksBeforeAnswer is the p50, p95, p99 and max of the answered incidents'
	// workflow tasks before the answer (nil: none answered).
	tasksBeforeAnswer *[4]int
	// trouble is the workflow tasks of all the histories read that did not complete.
	trouble          taskTrouble
	historyErrors    int
	firstHistoryErrs string
}

type averageTally struct {
	events, workflowTasks, activityTasks float64
	signalsIn, signalsOut, timers        float64
	markers, updates, upserts            float64
	activities                           map[string]float64
}

func (a averageTally) transactions() float64 { return a.events + a.workflowTasks + a.activityTasks }

func (a averageTally) activityList() string {
	var names []string
	for name := range a.activities {
		names = append(names, name)
	}
	slices.Sort(names)
	var parts []string
	for _, name := range names {
		parts = append(parts, fmt.Sprintf("%s %.2f", name, a.activities[name]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func average(ts []tally) averageTally {
	var a averageTally
	if len(ts) == 0 {
		return a
	}
	n := float64(len(ts))
	a.activities = map[string]float64{}
	for _, t := range ts {
		a.events += float64(t.events) / n
		a.workflowTasks += float64(t.workflowTasks) / n
		a.activityTasks += float64(t.activityTasks) / n
		a.signalsIn += float64(t.signalsIn) / n
		a.signalsOut += float64(t.signalsOut) / n
		a.timers += float64(t.timers) / n
		a.markers += float64(t.markers) / n
		a.updates += float64(t.updates) / n
		a.upserts += float64(t.upserts) / n
		for name, v := range t.activities {
			a.activities[name] += float64(v) / n
		}
	}
	return a
}

// costsOf reads the histories of the incidents (their current run) at a low
// concurrency, after the section: reading histories is server work too.
func costsOf(ctx context.Context, c client.Client, dc converter.DataConverter, ids []string, triage map[string]triageTimes) incidentCosts {
	var mu sync.Mutex
	var all, toPage []tally
	steps, sorting := map[string][]time.Duration{}, map[string][]time.Duration{}
	var tasks []int
	costs := incidentCosts{n: len(ids)}
	closedLoop(ctx, 4, 0, len(ids), time.Now().Add(10*time.Minute), func(i int) error {
		events, err := history(ctx, c, ids[i], "")
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			costs.historyErrors++
			if costs.firstHistoryErrs == "" {
				costs.firstHistoryErrs = err.Error()
			}
			return err
		}
		h := readIncident(events, triage, dc)
		all = append(all, h.all)
		for step, d := range h.sortSteps {
			sorting[step] = append(sorting[step], d)
		}
		if h.tasksBeforeAnswer > 0 {
			tasks = append(tasks, h.tasksBeforeAnswer)
		}
		costs.trouble = costs.trouble.plus(h.all.trouble.of(ids[i]))
		if h.paged {
			costs.paged++
			toPage = append(toPage, h.toPage)
			for step, d := range h.steps {
				steps[step] = append(steps[step], d)
			}
		}
		return nil
	})
	costs.all, costs.toPage = average(all), average(toPage)
	costs.steps, costs.sortSteps = map[string]percentiles{}, map[string]percentiles{}
	for step, ds := range steps {
		costs.steps[step] = percentilesOf(ds)
	}
	for step, ds := range sorting {
		costs.sortSteps[step] = percentilesOf(ds)
	}
	if len(tasks) > 0 {
		ranks := nearestRanks(tasks)
		costs.tasksBeforeAnswer = &ranks
	}
	return costs
}

// entityShare is what a per-customer entity (its Triage, Tuning or Account, every
// run of it) wrote during a section: events and tasks between two moments.
type entityShare struct {
	workflowID string
	// workflows and runs are how many workflows (one, or the campaigns added up by
	// sharesOf) and runs of them the share covers.
	workflows, runs int
	within          tally
	// trouble is within's, its events named by the workflow.
	trouble taskTrouble
	// Workflow tasks of the span, for triage: how long each took on the worker, and
	// how many signals each took in.
	taskTimes        percentiles
	taskWaits        percentiles // scheduled → picked up by a worker
	signalsPerTask   float64
	maxSignalsInTask int
	// triage says, for a Triage, when each incident's admission was recorded, picked
	// up by a workflow task, and answered.
	triage map[string]triageTimes
}

// triageTimes are the moments of one incident's admission in its triage's history.
type triageTimes struct {
	recorded    time.Time // the admit signal's event
	taskStarted time.Time // the first workflow task started after it
	answered    time.Time // the triaged signal to the incident, initiated
}

// dc decodes the admissions (their incident) in a triage's history.
func shareOf(ctx context.Context, c client.Client, dc converter.DataConverter, workflowID string, from, to time.Time) (entityShare, error) {
	s := entityShare{workflowID: workflowID, triage: map[string]triageTimes{}}
	var runs []execution
	if err := listExecutions(ctx, c, fmt.Sprintf(`WorkflowId=%q`, workflowID), func(e execution) { runs = append(runs, e) }); err != nil {
		return s, err
	}
	var taskTimes, taskWaits []time.Duration
	for _, run := range runs {
		if !run.closed.IsZero() && run.closed.Before(from) || run.started.After(to) {
			continue
		}
		s.runs++
		s.workflows = 1
		events, err := history(ctx, c, run.workflowID, run.runID)
		if err != nil {
			return s, err
		}
		var taskScheduled, taskStarted time.Time
		signals := 0
		var waiting []string // admissions recorded, not yet seen by a workflow task
		for _, e := range events {
			at := e.GetEventTime().AsTime()
			if at.Before(from) || at.After(to) {
				continue
			}
			s.within.add(e, dc)
			switch e.GetEventType() {
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
				signals++ // an admission by Update is taken by a workflow task as a signal is
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
				signals++
				if a := e.GetWorkflowExecutionSignaledEventAttributes(); a.GetSignalName() == api.SignalAdmit {
					var admission api.Admission
					if dc.FromPayloads(a.GetInput(), &admission) == nil {
						t := s.triage[admission.Incident]
						t.recorded = at
						s.triage[admission.Incident] = t
						waiting = append(waiting, admission.Incident)
					}
				}
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
				taskScheduled = at
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
				taskStarted = at
				if !taskScheduled.IsZero() {
					taskWaits = append(taskWaits, at.Sub(taskScheduled))
				}
				for _, incident := range waiting {
					t := s.triage[incident]
					t.taskStarted = at
					s.triage[incident] = t
				}
				waiting = nil
			case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
				if a := e.GetSignalExternalWorkflowExecutionInitiatedEventAttributes(); a.GetSignalName() == api.SignalTriaged {
					id := a.GetWorkflowExecution().GetWorkflowId()
					t := s.triage[id]
					t.answered = at
					s.triage[id] = t
				}
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
				if !taskStarted.IsZero() {
					taskTimes = append(taskTimes, at.Sub(taskStarted))
				}
				s.maxSignalsInTask = max(s.maxSignalsInTask, signals)
				signals = 0
			}
		}
	}
	s.trouble = s.within.trouble.of(workflowID)
	s.taskTimes, s.taskWaits = percentilesOf(taskTimes), percentilesOf(taskWaits)
	if s.within.workflowTasks > 0 {
		s.signalsPerTask = float64(s.within.signalsIn+s.within.updates) / float64(s.within.workflowTasks)
	}
	return s, nil
}

// noopCosts reads the histories of a sample of no-op workflows.
func noopCosts(ctx context.Context, c client.Client, ids []string) averageTally {
	// A no-op workflow records nothing a data converter would decode.
	var ts []tally
	for _, id := range ids {
		events, err := history(ctx, c, id, "")
		if err != nil {
			continue
		}
		var t tally
		for _, e := range events {
			t.add(e, nil)
		}
		ts = append(ts, t)
	}
	return average(ts)
}
