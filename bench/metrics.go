package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// persistence is what the dev server asked of its database (SQLite) so far, read
// from its Prometheus metrics: persistence_requests and visibility_persistence_requests
// by operation. Every write operation is one SQLite transaction (a commit); reads are
// Get*, List*, Count*, Read*, Scan* and the shard's ownership checks.
type persistence map[string]float64 // "operation" or "visibility:operation" → requests

var requestLine = regexp.MustCompile(`^(visibility_)?persistence_requests\{[^}]*operation="([A-Za-z]+)"[^}]*\} ([0-9.e+]+)$`)

func readPersistence(ctx context.Context, url string) (persistence, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	p := persistence{}
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	for lines.Scan() {
		m := requestLine.FindStringSubmatch(lines.Text())
		if m == nil {
			continue
		}
		value, _ := strconv.ParseFloat(m[3], 64)
		name := m[2]
		if m[1] != "" {
			name = "visibility:" + name
		}
		p[name] += value
	}
	return p, lines.Err()
}

// since answers the requests made after an earlier reading.
func (p persistence) since(earlier persistence) persistence {
	d := persistence{}
	for name, v := range p {
		if diff := v - earlier[name]; diff > 0 {
			d[name] = diff
		}
	}
	return d
}

func isWrite(operation string) bool {
	operation = strings.TrimPrefix(operation, "visibility:")
	for _, read := range []string{"Get", "List", "Count", "Read", "Scan", "Assert"} {
		if strings.HasPrefix(operation, read) {
			return false
		}
	}
	return true
}

// writes answers the write requests (SQLite transactions).
func (p persistence) writes() float64 {
	var n float64
	for op, v := range p {
		if isWrite(op) {
			n += v
		}
	}
	return n
}

// topWrites answers the largest write operations, "UpdateWorkflowExecution 3.1, …",
// each divided by per.
func (p persistence) topWrites(per float64, n int) string {
	type op struct {
		name string
		v    float64
	}
	var ops []op
	for name, v := range p {
		if isWrite(name) {
			ops = append(ops, op{name, v})
		}
	}
	slices.SortFunc(ops, func(a, b op) int { return cmp.Or(cmp.Compare(b.v, a.v), cmp.Compare(a.name, b.name)) })
	var parts []string
	for _, o := range ops[:min(n, len(ops))] {
		parts = append(parts, fmt.Sprintf("%s %.1f", o.name, o.v/per))
	}
	return strings.Join(parts, ", ")
}

// metricsSettle is how long a reading waits for the server's metrics to catch up.
const metricsSettle = 2 * time.Second

// persistenceMeter reads the dev server's requests between two moments; without its
// metrics (an error) it answers nothing rather than failing the run.
type persistenceMeter struct {
	url   string
	start persistence
}

func startPersistence(ctx context.Context, url string) *persistenceMeter {
	time.Sleep(metricsSettle)
	p, _ := readPersistence(ctx, url)
	return &persistenceMeter{url: url, start: p}
}

func (m *persistenceMeter) stop(ctx context.Context) persistence {
	if m.start == nil {
		return nil
	}
	// The server reports its metrics every second: let the last requests show.
	time.Sleep(metricsSettle)
	p, err := readPersistence(ctx, m.url)
	if err != nil {
		return nil
	}
	return p.since(m.start)
}
