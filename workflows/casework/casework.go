// Package casework is the case work the workflows share: SLA clocks, escalation
// chains and their pages, the timeline, the alarm, notifications, search attributes
// and the activity options (options.go). It knows the workflows only by their names
// and payloads (package api): a change here changes every workflow that uses it, and
// the replay tests of each workflow package prove it changed no command.
package casework

import (
	"errors"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"

	"xsoc/integrations"
)

// PriorityOf is the task priority of an incident's work: critical and emergency
// incidents are served before a storm of lower ones (1 is served first).
func PriorityOf(severity integrations.Severity) temporal.Priority {
	switch {
	case severity.Rank() >= integrations.SeverityCritical.Rank():
		return temporal.Priority{PriorityKey: 1}
	case severity == integrations.SeverityHigh:
		return temporal.Priority{PriorityKey: 3}
	}
	return temporal.Priority{PriorityKey: 4}
}

// TriageTimeout is how long a new incident waits for its customer's triage before it
// pages as if triage had said "a new incident": a triage outage must never cost a page.
const TriageTimeout = time.Minute

// TriagePatience is how long a new incident waits for a busy triage's answer,
// holding no workflow task (incidentVersionPatience): a triage that is running
// answers every admission in order, and in a worm it may be minutes behind. Taking
// a late answer for "a new incident" (TriageTimeout) turned thousands of a
// campaign's members into incidents of their own, each paged and contained on its
// own, which slowed triage further. A triage that is not running is known at once
// (the Update fails) and still costs no page; one that is running but answers
// nothing for this long is broken, and the incident pages as a new one.
const TriagePatience = 15 * time.Minute

// TriageReask is how often an incident waiting for a busy triage's answer asks again:
// the answer is signalled by the worker that asked, and a worker can be lost.
const TriageReask = 3 * time.Minute

// TriageAskAgain is how soon an incident whose question to a busy triage may not have
// been asked (its local activity ran out of time before it could ask: the worker was
// that busy) asks again.
const TriageAskAgain = 15 * time.Second

// Backoff is the wait before the next try after failures in a row: 2 s doubling, at
// most 5 minutes.
func Backoff(failures int) time.Duration {
	wait := 2 * time.Second
	for i := 1; i < failures && wait < 5*time.Minute; i++ {
		wait *= 2
	}
	return min(wait, 5*time.Minute)
}

// FailureMessage is what an activity's failure says in the vendor's or the Account's
// own words, without the SDK's wrapping.
func FailureMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}

// SortedKeys answers a map's keys in order. Ranging over the map is deterministic
// here because the keys are sorted before anything uses them.
//
//workflowcheck:ignore
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
