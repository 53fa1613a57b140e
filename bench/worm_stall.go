package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"xsoc/workflows/api"
)

// wormStallAfter: the worm's wait for its alerts to be sorted ends early when the
// number still unsorted has not moved for this long — a stall, which the section
// then diagnoses — instead of waiting out the whole drain budget.
const wormStallAfter = 5 * time.Minute

// wormStall is what the bench read when the worm was not sorted in time: the task
// queue's workflow-task backlogs by version (in a 20,000-alert run of 2026-12-06 the
// unversioned backlog, where new incidents' first tasks waited before intake pinned
// them to the current version, stopped being dispatched) and the server's limit
// errors.
type wormStall struct {
	why      string
	backlogs []string
	limits   []string
}

func (s wormStall) found() bool { return s.why != "" }

// waitSorted waits until no alert of the query is left, within budget, and answers
// why not: out of budget, or stalled (the count unchanged for stallAfter).
func waitSorted(ctx context.Context, c client.Client, query string, budget, stallAfter time.Duration) string {
	deadline := time.Now().Add(budget)
	last, since := int64(-1), time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		n := count(ctx, c, query)
		if n == 0 {
			return ""
		}
		if n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= stallAfter {
			return fmt.Sprintf("%d alerts unsorted, unchanged for %s", n, stallAfter)
		}
		time.Sleep(time.Second)
	}
	return fmt.Sprintf("%d alerts unsorted when the drain budget (%s) ran out", last, budget)
}

// diagnoseStall reads the task queue's backlogs and the server log's limit errors.
func diagnoseStall(ctx context.Context, c client.Client, namespace, logs, why string) wormStall {
	stall := wormStall{why: why}
	resp, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
		Namespace:      namespace,
		TaskQueue:      &taskqueuepb.TaskQueue{Name: api.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		ApiMode:        enumspb.DESCRIBE_TASK_QUEUE_MODE_ENHANCED,                                  //nolint:staticcheck // the mode that reports backlogs by version on server 1.29
		Versions:       &taskqueuepb.TaskQueueVersionSelection{Unversioned: true, AllActive: true}, //nolint:staticcheck // see ApiMode
		TaskQueueTypes: []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW},                  //nolint:staticcheck // see ApiMode
		ReportStats:    true,
	})
	if err != nil {
		stall.backlogs = append(stall.backlogs, "describing the task queue failed: "+err.Error())
	}
	for version, info := range resp.GetVersionsInfo() { //nolint:staticcheck // see ApiMode
		if version == "" {
			version = "unversioned"
		}
		for _, typeInfo := range info.GetTypesInfo() {
			stats := typeInfo.GetStats()
			stall.backlogs = append(stall.backlogs, fmt.Sprintf("%s: %d workflow tasks, the oldest %s, dispatched %.1f a second",
				version, stats.GetApproximateBacklogCount(), stats.GetApproximateBacklogAge().AsDuration().Round(time.Second),
				stats.GetTasksDispatchRate()))
		}
	}
	slices.Sort(stall.backlogs)
	stall.limits = serverLimitErrors(filepath.Join(logs, "temporal.log"))
	return stall
}

// serverLimitErrors answers the server log's errors about a limit reached (pending
// signals, activities or child workflows of one workflow, buffered events), each with
// the workflows it named and how often.
func serverLimitErrors(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return []string{"reading the server log failed: " + err.Error()}
	}
	defer f.Close() //nolint:errcheck // read only
	message := regexp.MustCompile(`msg="([^"]*limit[^"]*)"`)
	workflow := regexp.MustCompile(`wf-id=(\S+)`)
	counts := map[string]int{}
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		m := message.FindStringSubmatch(line)
		if m == nil || !strings.Contains(line, "level=ERROR") && !strings.Contains(line, "level=WARN") {
			continue
		}
		key := m[1]
		if w := workflow.FindStringSubmatch(line); w != nil {
			key += " (" + w[1] + ")"
		}
		counts[key]++
	}
	var found []string
	for key, n := range counts {
		found = append(found, fmt.Sprintf("%d × %s", n, key))
	}
	slices.Sort(found)
	return found
}
