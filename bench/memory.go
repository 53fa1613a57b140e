package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/internal/devstack"
	"xsoc/workflows"
)

// openHost is the host of the memory phase's incidents, to count them in visibility.
const openHost = "open-host"

// memoryPoint is the worker's memory with a number of open incidents.
type memoryPoint struct {
	open     int
	rssKiB   int64
	hwmKiB   int64
	gc       gcTrace       // the worker's last garbage collection
	elapsed  time.Duration // to open the incidents since the previous point, until the worker ran them
	startErr string
}

// runMemory restarts the worker (so that its cache holds only what this phase starts)
// and opens medium incidents — which page nobody and wait on 30-day SLA timers —
// through the starter's own intake path, reading the worker's RSS at each target once
// the worker has run every one of them (none is still "new" in visibility). It stops
// early at the deadline and says how far it got.
func runMemory(ctx context.Context, stack *devstack.Stack, customer config.Customer, targets []int, concurrency int, deadline time.Time) ([]memoryPoint, error) {
	if err := stack.Restart("worker"); err != nil {
		return nil, err
	}
	intake := workflows.NewIntake(stack.Temporal, stack.ClientOptions, nil)
	deliver := func(n int) error {
		id := fmt.Sprintf("open-%d", n)
		alert := integrations.Alert{ID: id, Detection: detectionPrefix + id, Severity: integrations.SeverityMedium,
			Hosts: []integrations.Host{{Name: openHost}}}
		ref, err := intake.Deliver(ctx, customer, "generic", alert)
		if err == nil && ref.Duplicate {
			err = fmt.Errorf("alert %s answered duplicate", id)
		}
		return err
	}
	// Intake answers once an incident is started; the worker runs it afterwards.
	unprocessed := fmt.Sprintf(`XsocCustomer=%q AND XsocHost=%q AND XsocState=%q`, customer.ID, openHost, workflows.StateNew)
	if err := deliver(0); err != nil {
		return nil, fmt.Errorf("first open incident: %w", err)
	}
	if err := waitCount(ctx, stack.Temporal, unprocessed, 0, time.Minute); err != nil {
		return nil, fmt.Errorf("the restarted worker did not run the first open incident: %w", err)
	}
	points := []memoryPoint{{}}
	time.Sleep(3 * time.Second)
	if err := readMemory(stack, &points[0]); err != nil {
		return nil, err
	}
	opened := 0
	for _, target := range targets {
		point := memoryPoint{}
		begin := time.Now()
		var next atomic.Int64
		next.Store(int64(opened))
		var failed sync.Once
		var done atomic.Int64
		var wg sync.WaitGroup
		for range concurrency {
			wg.Go(func() {
				for ctx.Err() == nil && time.Now().Before(deadline) {
					n := int(next.Add(1))
					if n > target {
						return
					}
					if err := deliver(n); err != nil {
						failed.Do(func() { point.startErr = err.Error() })
						continue
					}
					done.Add(1)
				}
			})
		}
		wg.Wait()
		opened += int(done.Load())
		if err := waitCount(ctx, stack.Temporal, unprocessed, 0, max(time.Until(deadline), time.Minute)); err != nil {
			point.startErr = err.Error()
		}
		point.open, point.elapsed = opened, time.Since(begin)
		// Let the garbage collector catch up with the last workflow tasks.
		time.Sleep(5 * time.Second)
		if err := readMemory(stack, &point); err != nil {
			return points, err
		}
		points = append(points, point)
		if opened < target {
			break
		}
	}
	return points, nil
}

// readMemory reads the worker's resident set (VmRSS), its peak (VmHWM), and what its
// last garbage collection found (the worker runs with GODEBUG=gctrace=1).
func readMemory(stack *devstack.Stack, point *memoryPoint) error {
	point.gc = lastGC(filepath.Join(stack.Logs, "worker.log"))
	pid, err := stack.PID("worker")
	if err != nil {
		return err
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch name {
		case "VmRSS":
			point.rssKiB = kib
		case "VmHWM":
			point.hwmKiB = kib
		}
	}
	return nil
}

// gcTrace is one line of the Go runtime's gctrace: the heap live after the collection
// and the goroutine stacks (each cached workflow's coroutines are goroutines).
type gcTrace struct {
	liveMB, stacksMB int64
}

var gcLine = regexp.MustCompile(`gc \d+ @.* \d+->\d+->(\d+) MB, \d+ MB goal, (\d+) MB stacks`)

func lastGC(logFile string) gcTrace {
	data, err := os.ReadFile(logFile)
	if err != nil {
		return gcTrace{}
	}
	matches := gcLine.FindAllStringSubmatch(string(data), -1)
	if len(matches) == 0 {
		return gcTrace{}
	}
	last := matches[len(matches)-1]
	live, _ := strconv.ParseInt(last[1], 10, 64)
	stacks, _ := strconv.ParseInt(last[2], 10, 64)
	return gcTrace{liveMB: live, stacksMB: stacks}
}
