package main

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"xsoc/workflows/api"
)

// The baselines are Temporal alone: a workflow that does nothing, on a task queue of
// its own, run by a worker in this process and started by this process's client (the
// xsoc clients' codec included), at the sections' concurrency.
const (
	noopQueue = "xsoc-bench-noop"
	noopType  = "BenchNoop"
)

func noop(workflow.Context) error { return nil }

// noopWorker runs the no-op workflows of a task queue, with the pollers of xsoc's
// worker (worker/main.go), so that the baseline is as tuned.
func noopWorker(c client.Client, queue string) (worker.Worker, error) {
	w := worker.New(c, queue, worker.Options{MaxConcurrentWorkflowTaskPollers: 8, MaxConcurrentActivityTaskPollers: 8})
	w.RegisterWorkflowWithOptions(noop, workflow.RegisterOptions{Name: noopType})
	return w, w.Start()
}

// noopQuery lists a batch of no-op workflows: each batch is tagged with its label in
// the search attribute XsocCustomer.
func noopQuery(label string) string {
	return fmt.Sprintf(`WorkflowType=%q AND XsocCustomer=%q`, noopType, label)
}

// startNoop starts one no-op workflow tagged with label.
func startNoop(ctx context.Context, c client.Client, queue, label string, n int) (string, error) {
	id := fmt.Sprintf("noop/%s/%d", label, n)
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue,
		TypedSearchAttributes: temporal.NewSearchAttributes(api.SACustomer.ValueSet(label))}, noopType)
	return id, err
}

// noopRun is a batch of no-op workflows run to completion.
type noopRun struct {
	count     int
	startSpan time.Duration // first start sent → last start answered
	doneSpan  time.Duration // server: first start → last close
	err       string
}

// runNoops starts count no-op workflows at the concurrency, with a worker in this
// process completing them, and waits until every one is closed: the server's time
// for that many workflows, from the first start to the last close (its own times).
func runNoops(ctx context.Context, c client.Client, label string, count, concurrency int) (noopRun, []string, error) {
	w, err := noopWorker(c, noopQueue)
	if err != nil {
		return noopRun{}, nil, err
	}
	defer w.Stop()
	r := noopRun{count: count}
	begin := time.Now()
	type started struct {
		id  string
		err error
	}
	results := closedLoop(ctx, concurrency, 1, count, time.Now().Add(10*time.Minute), func(n int) started {
		id, err := startNoop(ctx, c, noopQueue, label, n)
		return started{id, err}
	})
	r.startSpan = time.Since(begin)
	var ids []string
	for _, s := range results {
		if s.err != nil && r.err == "" {
			r.err = s.err.Error()
		}
		ids = append(ids, s.id)
	}
	if err := waitCount(ctx, c, noopQuery(label)+` AND ExecutionStatus="Running"`, 0, 5*time.Minute); err != nil {
		return r, ids, fmt.Errorf("no-op workflows still running: %w", err)
	}
	if err := waitCount(ctx, c, noopQuery(label)+` AND ExecutionStatus="Completed"`, int64(count), time.Minute); err != nil {
		return r, ids, fmt.Errorf("no-op workflows: %w", err)
	}
	first, last, _, err := span(ctx, c, noopQuery(label))
	r.doneSpan = last.Sub(first)
	return r, ids, err
}

// waitCount waits until visibility counts `want` executions for the query.
func waitCount(ctx context.Context, c client.Client, query string, want int64, within time.Duration) error {
	deadline := time.Now().Add(within)
	var got int64
	for time.Now().Before(deadline) && ctx.Err() == nil {
		resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err != nil {
			return err
		}
		if got = resp.GetCount(); got == want {
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("%s: %d, want %d", query, got, want)
}

func count(ctx context.Context, c client.Client, query string) int64 {
	resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	if err != nil {
		return -1
	}
	return resp.GetCount()
}

// span answers the earliest start and the latest close of the closed executions the
// query lists, and how many there are.
func span(ctx context.Context, c client.Client, query string) (first, last time.Time, closed int, err error) {
	err = listExecutions(ctx, c, query, func(e execution) {
		if e.closed.IsZero() {
			return
		}
		closed++
		if first.IsZero() || e.started.Before(first) {
			first = e.started
		}
		if e.closed.After(last) {
			last = e.closed
		}
	})
	return first, last, closed, err
}

type execution struct {
	workflowID, runID string
	started, closed   time.Time
	historyLength     int64
}

func listExecutions(ctx context.Context, c client.Client, query string, each func(execution)) error {
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: 1000, NextPageToken: token})
		if err != nil {
			return fmt.Errorf("listing %s: %w", query, err)
		}
		for _, info := range resp.GetExecutions() {
			e := execution{workflowID: info.GetExecution().GetWorkflowId(), runID: info.GetExecution().GetRunId(),
				started: info.GetStartTime().AsTime(), historyLength: info.GetHistoryLength()}
			if info.GetCloseTime() != nil {
				e.closed = info.GetCloseTime().AsTime()
			}
			each(e)
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return nil
		}
	}
}
