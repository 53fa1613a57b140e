package syslogd

import (
	"log/slog"
	"sync"
	"time"
)

// rateLog logs a kind of problem once per key (a source, or an unknown sender's
// address) per period, saying how many like it it did not log since: a sender that
// writes garbage all day is seen in the log once a minute, never flooding it.
type rateLog struct {
	log    *slog.Logger
	period time.Duration
	now    func() time.Time

	mu   sync.Mutex
	seen map[string]logged
}

type logged struct {
	at         time.Time
	suppressed int
}

// maxKeys bounds the keys remembered: senders from everywhere must not grow the map
// without end.
const maxKeys = 10_000

func newRateLog(log *slog.Logger, period time.Duration) *rateLog {
	return &rateLog{log: log, period: period, now: time.Now, seen: map[string]logged{}}
}

// warn logs msg with attrs unless key was logged within the period.
func (r *rateLog) warn(key, msg string, attrs ...any) {
	r.mu.Lock()
	now := r.now()
	if _, known := r.seen[key]; !known && len(r.seen) >= maxKeys {
		for k, v := range r.seen {
			if now.Sub(v.at) >= r.period {
				delete(r.seen, k)
			}
		}
		if len(r.seen) >= maxKeys {
			key = overflowKey // so many senders at once: they share one line a period
		}
	}
	last, ok := r.seen[key]
	if ok && now.Sub(last.at) < r.period {
		last.suppressed++
		r.seen[key] = last
		r.mu.Unlock()
		return
	}
	r.seen[key] = logged{at: now}
	r.mu.Unlock()
	if last.suppressed > 0 {
		attrs = append(attrs, "not_logged_since", last.suppressed)
	}
	r.log.Warn(msg, attrs...)
}

const overflowKey = "\x00overflow"
