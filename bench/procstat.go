package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"xsoc/internal/devstack"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat's CPU times (100
// on every Linux architecture Go runs on).
const clockTicks = 100

// loadAverage answers /proc/loadavg's 1-, 5- and 15-minute load, as uptime prints it.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	fields := strings.Fields(string(data))
	if len(fields) < 3 {
		return "unknown"
	}
	return strings.Join(fields[:3], ", ")
}

// cpuTime answers the CPU time (user + system) a process has used.
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count fields after its ")".
	_, rest, ok := strings.Cut(string(data), ") ")
	if !ok {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	fields := strings.Fields(rest)
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// memory answers a process's resident set (VmRSS) and its peak (VmHWM), in KiB.
func memory(pid int) (rss, hwm int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch name {
		case "VmRSS":
			rss = kib
		case "VmHWM":
			hwm = kib
		}
	}
	return rss, hwm, nil
}

// cpuMeter reads the CPU time of the stack's processes and of this one between two
// moments, by role: the workers' and the starters' replicas summed.
type cpuMeter struct {
	stack *devstack.Stack
	start map[string]time.Duration
	begin time.Time
}

// meterNames are the roles whose CPU the sections report; "bench" is this process,
// "postgres" the cluster's PostgreSQL (with its backends).
var meterNames = []string{"temporal", "postgres", "worker", "starter", "bench"}

func startCPU(stack *devstack.Stack) *cpuMeter {
	m := &cpuMeter{stack: stack, start: map[string]time.Duration{}, begin: time.Now()}
	for _, name := range meterNames {
		m.start[name] = m.read(name)
	}
	return m
}

func (m *cpuMeter) read(role string) time.Duration {
	var pids []int
	switch role {
	case "bench":
		pids = []int{os.Getpid()}
	case "worker", "starter":
		parts := m.stack.Workers()
		if role == "starter" {
			parts = m.stack.Starters()
		}
		for _, part := range parts {
			if pid, err := m.stack.PID(part); err == nil {
				pids = append(pids, pid)
			}
		}
	case "postgres":
		// Its work is done by one backend process per connection, its children.
		if pid, err := m.stack.PID(role); err == nil {
			pids = append([]int{pid}, children(pid)...)
		}
	default:
		if pid, err := m.stack.PID(role); err == nil {
			pids = []int{pid}
		}
	}
	var total time.Duration
	for _, pid := range pids {
		t, _ := cpuTime(pid)
		total += t
	}
	return total
}

// children answers the processes whose parent is pid.
func children(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var found []int
	for _, entry := range entries {
		child, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			continue
		}
		_, rest, _ := strings.Cut(string(data), ") ")
		if fields := strings.Fields(rest); len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			found = append(found, child)
		}
	}
	return found
}

// cpuUse is the CPU each process used over a span, and the span.
type cpuUse struct {
	wall time.Duration
	used map[string]time.Duration
}

func (m *cpuMeter) stop() cpuUse {
	u := cpuUse{wall: time.Since(m.begin), used: map[string]time.Duration{}}
	for _, name := range meterNames {
		u.used[name] = m.read(name) - m.start[name]
	}
	return u
}

// cores answers how many cores a process kept busy on average.
func (u cpuUse) cores(name string) float64 {
	if u.wall <= 0 {
		return 0
	}
	return u.used[name].Seconds() / u.wall.Seconds()
}

// String is "server 0.93, worker 0.61, starter 0.12, bench 0.20 cores" (with
// PostgreSQL's on a cluster).
func (u cpuUse) String() string {
	var parts []string
	for _, name := range meterNames {
		label := name
		switch {
		case name == "temporal":
			label = "server"
		case name == "postgres" && u.used[name] == 0:
			continue // the dev server has none
		}
		parts = append(parts, fmt.Sprintf("%s %.2f", label, u.cores(name)))
	}
	return strings.Join(parts, ", ") + " cores"
}

// add sums two spans' CPU use.
func (u cpuUse) add(o cpuUse) cpuUse {
	sum := cpuUse{wall: u.wall + o.wall, used: map[string]time.Duration{}}
	for _, name := range meterNames {
		sum.used[name] = u.used[name] + o.used[name]
	}
	return sum
}
