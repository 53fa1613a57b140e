package activities

import (
	"sync"
	"time"
)

// keyMemory is how long a key is remembered: longer than any activity's retries last
// (the monthly report's mail retries for 6 hours), so a retry is still caught.
const keyMemory = 24 * time.Hour

// maxRememberedKeys bounds the memory whatever the rate: past it, the oldest key goes
// first. An alert storm of 3,000 incidents with a few mails each stays far below.
const maxRememberedKeys = 100_000

// recentKeys is a set of keys that forgets them after keyMemory, so that a worker
// that runs for months holds only the last day's keys. The zero value is ready.
type recentKeys struct {
	mu    sync.Mutex
	added map[string]time.Time
	// order lists the keys as added, oldest first: since every key lives equally
	// long, the ones to forget are always at the front.
	order []keyAdded
	// now is the clock (time.Now when nil); tests move it.
	now func() time.Time
}

type keyAdded struct {
	key string
	at  time.Time
}

// Has tells whether key was added less than keyMemory ago.
func (r *recentKeys) Has(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.added[key]
	return ok && r.clock().Sub(at) < keyMemory
}

// Add remembers key from now on, and forgets what has expired.
func (r *recentKeys) Add(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock()
	if r.added == nil {
		r.added = map[string]time.Time{}
	}
	r.added[key] = now
	r.order = append(r.order, keyAdded{key, now})
	r.forget(now)
}

// Len answers how many keys are remembered.
func (r *recentKeys) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.added)
}

func (r *recentKeys) forget(now time.Time) {
	drop := 0
	for drop < len(r.order) && (now.Sub(r.order[drop].at) >= keyMemory || len(r.order)-drop > maxRememberedKeys) {
		oldest := r.order[drop]
		// A key added again later has a newer entry further on: keep it.
		if r.added[oldest.key].Equal(oldest.at) {
			delete(r.added, oldest.key)
		}
		drop++
	}
	// Reslicing keeps the dropped entries' array until append outgrows it and copies
	// only the live ones: the memory stays a small multiple of what is remembered.
	r.order = r.order[drop:]
}

func (r *recentKeys) clock() time.Time {
	if r.now == nil {
		return time.Now()
	}
	return r.now()
}
