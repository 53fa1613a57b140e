package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The baseline is Temporal alone: a workflow that does nothing, on its own task queue,
// run by a worker in this process, started with the same client at the same concurrency.
const (
	noopQueue = "xsoc-bench-noop"
	noopType  = "BenchNoop"
)

func noop(workflow.Context) error { return nil }

type baseline struct {
	started    int
	startRate  float64 // workflows started per second, starts only
	doneRate   float64 // those same workflows completed per second, first start to last close
	loopRate   float64 // start-and-wait per sender, completed per second
	loopDone   int
	startError string
}

func runBaseline(ctx context.Context, c client.Client, concurrency int, duration time.Duration) (baseline, error) {
	var b baseline
	// The pollers of xsoc's worker (worker/main.go), so that the baseline is as tuned.
	w := worker.New(c, noopQueue, worker.Options{MaxConcurrentWorkflowTaskPollers: 8, MaxConcurrentActivityTaskPollers: 8})
	w.RegisterWorkflowWithOptions(noop, workflow.RegisterOptions{Name: noopType})
	if err := w.Start(); err != nil {
		return b, err
	}
	defer w.Stop()

	// Starts only: how fast the server takes new workflows while the worker completes them.
	var next atomic.Int64
	var failed sync.Once
	var wg sync.WaitGroup
	begin := time.Now()
	until := begin.Add(duration)
	for range concurrency {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(until) {
				id := fmt.Sprintf("noop-start-%d", next.Add(1))
				if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: noopQueue}, noopType); err != nil {
					failed.Do(func() { b.startError = err.Error() })
				}
			}
		})
	}
	wg.Wait()
	b.started = int(next.Load())
	b.startRate = float64(b.started) / time.Since(begin).Seconds()

	// Completion: wait until none runs, then take the server's own start and close times.
	if err := waitCount(ctx, c, fmt.Sprintf(`WorkflowType=%q AND ExecutionStatus="Running"`, noopType), 0, 3*time.Minute); err != nil {
		return b, fmt.Errorf("no-op workflows still running: %w", err)
	}
	first, last, closed, err := span(ctx, c, fmt.Sprintf(`WorkflowType=%q`, noopType))
	if err != nil {
		return b, err
	}
	b.doneRate = float64(closed) / last.Sub(first).Seconds()

	// Start and wait: each sender starts a workflow and waits for its result.
	var done atomic.Int64
	begin = time.Now()
	until = begin.Add(duration)
	for range concurrency {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(until) {
				id := fmt.Sprintf("noop-loop-%d", next.Add(1))
				run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: noopQueue}, noopType)
				if err == nil {
					err = run.Get(ctx, nil)
				}
				if err != nil {
					failed.Do(func() { b.startError = err.Error() })
					continue
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	b.loopDone = int(done.Load())
	b.loopRate = float64(b.loopDone) / time.Since(begin).Seconds()
	return b, nil
}

// waitCount waits until visibility counts `want` executions for the query.
func waitCount(ctx context.Context, c client.Client, query string, want int64, within time.Duration) error {
	deadline := time.Now().Add(within)
	var got int64
	for time.Now().Before(deadline) {
		resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err != nil {
			return err
		}
		if got = resp.GetCount(); got == want {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s: %d, want %d", query, got, want)
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
	workflowID string
	started    time.Time
	closed     time.Time
}

func listExecutions(ctx context.Context, c client.Client, query string, each func(execution)) error {
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: 1000, NextPageToken: token})
		if err != nil {
			return fmt.Errorf("listing %s: %w", query, err)
		}
		for _, info := range resp.GetExecutions() {
			e := execution{workflowID: info.GetExecution().GetWorkflowId(), started: info.GetStartTime().AsTime()}
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
