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
// moments.
type cpuMeter struct {
	stack *devstack.Stack
	names []string
	start map[string]time.Duration
	begin time.Time
}

// meterNames are the processes whose CPU the sections report; "bench" is this one.
var meterNames = []string{"temporal", "worker", "starter", "bench"}

func startCPU(stack *devstack.Stack) *cpuMeter {
	m := &cpuMeter{stack: stack, names: meterNames, start: map[string]time.Duration{}, begin: time.Now()}
	for _, name := range m.names {
		m.start[name] = m.read(name)
	}
	return m
}

func (m *cpuMeter) read(name string) time.Duration {
	pid := os.Getpid()
	if name != "bench" {
		var err error
		if pid, err = m.stack.PID(name); err != nil {
			return 0
		}
	}
	t, _ := cpuTime(pid)
	return t
}

// cpuUse is the CPU each process used over a span, and the span.
type cpuUse struct {
	wall time.Duration
	used map[string]time.Duration
}

func (m *cpuMeter) stop() cpuUse {
	u := cpuUse{wall: time.Since(m.begin), used: map[string]time.Duration{}}
	for _, name := range m.names {
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

// String is "server 0.93, worker 0.61, starter 0.12, bench 0.20 cores".
func (u cpuUse) String() string {
	var parts []string
	for _, name := range meterNames {
		label := name
		if name == "temporal" {
			label = "server"
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
