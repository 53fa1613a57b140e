package server

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Failed credentials are limited per address: each address may fail failureBurst
// times at once, then once per failureEvery, and is answered 429 (Retry-After) in
// between, whatever it sends — a right token included, so that guessing gains
// nothing by sending one sometimes. Tokens are long enough not to be guessed at any
// rate; the limit keeps a dashboard token typed at the login form from being tried
// as fast as anyone can send, and a misconfigured sender from flooding the logs.
const (
	failureBurst = 10
	failureEvery = 6 * time.Second
	// maxLimitedAddresses bounds the limiter's memory: past it, addresses whose
	// allowance is full again are forgotten first, then the oldest.
	maxLimitedAddresses = 10000
)

// failureLimiter counts failed credentials per key (an address, or an address and
// a customer), as a token bucket of failureBurst refilled one per failureEvery.
type failureLimiter struct {
	mu      sync.Mutex
	buckets map[string]*failureBucket
	now     func() time.Time
}

type failureBucket struct {
	allowance float64
	at        time.Time
}

func newFailureLimiter() *failureLimiter {
	return &failureLimiter{buckets: map[string]*failureBucket{}, now: time.Now}
}

// refilled answers key's allowance now.
func (l *failureLimiter) refilled(b *failureBucket, now time.Time) float64 {
	return math.Min(failureBurst, b.allowance+now.Sub(b.at).Seconds()/failureEvery.Seconds())
}

// blocked answers how long key must wait before its credentials are checked again,
// zero when they may be checked now.
func (l *failureLimiter) blocked(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		return 0
	}
	now := l.now()
	allowance := l.refilled(b, now)
	if allowance >= 1 {
		return 0
	}
	return time.Duration((1 - allowance) * float64(failureEvery))
}

// failed counts one failure of key.
func (l *failureLimiter) failed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxLimitedAddresses {
			l.forget(now)
		}
		b = &failureBucket{allowance: failureBurst, at: now}
		l.buckets[key] = b
	}
	b.allowance, b.at = math.Max(0, l.refilled(b, now)-1), now
}

// forget drops the buckets that are full again, or else the one failed longest ago.
func (l *failureLimiter) forget(now time.Time) {
	var oldest string
	for key, b := range l.buckets {
		if l.refilled(b, now) >= failureBurst {
			delete(l.buckets, key)
		} else if oldest == "" || b.at.Before(l.buckets[oldest].at) {
			oldest = key
		}
	}
	if len(l.buckets) >= maxLimitedAddresses {
		delete(l.buckets, oldest)
	}
}

// tooManyFailures answers 429 when key may not try again yet, and false.
func tooManyFailures(w http.ResponseWriter, limiter *failureLimiter, key string) bool {
	wait := limiter.blocked(key)
	if wait <= 0 {
		return true
	}
	seconds := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(seconds))
	writeError(w, http.StatusTooManyRequests, "too many failed credentials from this address: try again in %d s", seconds)
	return false
}

// clientAddress is who sent r: the peer, or, when the peer is one of the trusted
// proxies, the last address of X-Forwarded-For that is not a trusted proxy (the
// proxy appends the address it took the request from; anything before that was
// written by the client).
func clientAddress(r *http.Request, trusted func(netip.Addr) bool) netip.Addr {
	peer := peerAddress(r)
	if !peer.IsValid() || trusted == nil || !trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if hop = hop.Unmap(); !trusted(hop) {
			return hop
		}
	}
	return peer
}

// peerAddress is the address the connection came from.
func peerAddress(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return addr.Unmap()
}

// addressKey is the limiter's key of an address: an IPv6 client holds a whole /64.
func addressKey(addr netip.Addr) string {
	if addr.Is6() {
		prefix, _ := addr.Prefix(64)
		return prefix.String()
	}
	return addr.String()
}
