// Package simkit holds what the simulators share. Product code never imports it.
package simkit

import "sync"

// Faults is a simulator's queue of injected failures, by request key (a path, or a
// pattern the simulator matches). The zero value is ready to use.
type Faults[F any] struct {
	mu     sync.Mutex
	queues map[string][]*queued[F]
}

type queued[F any] struct {
	fault F
	left  int
}

// Add queues fault for the next times requests matching key (at least one).
func (q *Faults[F]) Add(key string, fault F, times int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.queues == nil {
		q.queues = map[string][]*queued[F]{}
	}
	q.queues[key] = append(q.queues[key], &queued[F]{fault: fault, left: max(times, 1)})
}

// Take answers the fault for a request with exactly this key, if one is queued,
// counting one use of it.
func (q *Faults[F]) Take(key string) *F {
	return q.TakeMatching(func(k string) bool { return k == key })
}

// TakeMatching answers a queued fault whose key matches, counting one use of it.
func (q *Faults[F]) TakeMatching(matches func(key string) bool) *F {
	q.mu.Lock()
	defer q.mu.Unlock()
	for key, queue := range q.queues {
		if len(queue) == 0 || !matches(key) {
			continue
		}
		head := queue[0]
		head.left--
		if head.left <= 0 {
			q.queues[key] = queue[1:]
		}
		fault := head.fault
		return &fault
	}
	return nil
}
