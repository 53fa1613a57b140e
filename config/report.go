package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// report gathers the problems of one file, each named by section (`customer "acme"`,
// `soc`), field and why.
type report struct {
	customers *Customers
	lines     map[string]int // by path
	problems  []problem
	// undecoded are the paths of values that did not decode: the checks of the rules
	// skip them and what lies under them, which would only repeat the problem.
	undecoded []string
}

func (r *report) undecodable(p decodeProblem) {
	if p.lost {
		r.undecoded = append(r.undecoded, p.path)
	}
	r.add(p.path, p.line, p.why)
}

// problem is one line of the report: "line 7: customer "acme": sla.high.ack: why".
type problem struct {
	line int
	text string
}

func (r *report) add(path string, line int, why string) {
	section, field := r.section(path)
	var parts []string
	if line > 0 {
		parts = append(parts, fmt.Sprintf("line %d", line))
	}
	for _, part := range []string{section, field, why} {
		if part != "" {
			parts = append(parts, part)
		}
	}
	r.problems = append(r.problems, problem{line, strings.Join(parts, ": ")})
}

// sorted lists the problems in the order of the file.
func (r *report) sorted() []string {
	slices.SortStableFunc(r.problems, func(a, b problem) int { return a.line - b.line })
	texts := make([]string, len(r.problems))
	for i, p := range r.problems {
		texts[i] = p.text
	}
	return texts
}

// at answers the function the rules of the value at path report through.
func (r *report) at(path string) addProblem {
	return func(field, format string, args ...any) {
		full := joinPath(path, field)
		for _, undecoded := range r.undecoded {
			if full == undecoded || strings.HasPrefix(full, undecoded+".") || strings.HasPrefix(full, undecoded+"[") {
				return
			}
		}
		r.add(full, r.line(full), fmt.Sprintf(format, args...))
	}
}

// line answers the line of the value at path or, when the file does not hold it
// (a required field left out), of the nearest value around it.
func (r *report) line(path string) int {
	for path != "" {
		if line, ok := r.lines[path]; ok {
			return line
		}
		path = path[:max(0, strings.LastIndexAny(path, ".["))]
	}
	return r.lines[""]
}

// section splits a path of the file into the section a person knows it by and the
// field within it: customers[2].sla.low.ack → `customer "acme"`, sla.low.ack.
func (r *report) section(path string) (section, field string) {
	if rest, ok := strings.CutPrefix(path, "soc"); ok && (rest == "" || rest[0] == '.') {
		return "soc", strings.TrimPrefix(rest, ".")
	}
	rest, ok := strings.CutPrefix(path, "customers[")
	index, rest, closed := strings.Cut(rest, "]")
	i, err := strconv.Atoi(index)
	if !ok || !closed || err != nil || i >= len(r.customers.Customers) {
		return "", path
	}
	return customerLabel(i, r.customers.Customers[i].ID), strings.TrimPrefix(rest, ".")
}

func customerLabel(i int, id string) string {
	if id == "" {
		return fmt.Sprintf("customers[%d]", i)
	}
	return fmt.Sprintf("customer %q", id)
}
