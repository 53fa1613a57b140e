package server

import (
	"fmt"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestFailureLimiterRefills(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	l := newFailureLimiter()
	l.now = func() time.Time { return now }
	for range failureBurst {
		if l.blocked("a") > 0 {
			t.Fatal("blocked within the burst")
		}
		l.failed("a")
	}
	if wait := l.blocked("a"); wait <= 0 || wait > failureEvery {
		t.Fatalf("after the burst: wait %v, want up to %v", wait, failureEvery)
	}
	if l.blocked("b") > 0 {
		t.Fatal("another key is blocked")
	}
	now = now.Add(failureEvery)
	if l.blocked("a") > 0 {
		t.Fatal("still blocked once one failure's allowance came back")
	}
	l.failed("a")
	if l.blocked("a") == 0 {
		t.Fatal("a failure after the refill does not block again")
	}
}

func TestFailureLimiterForgets(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	l := newFailureLimiter()
	l.now = func() time.Time { return now }
	for i := range maxLimitedAddresses {
		l.failed(fmt.Sprint(i))
	}
	now = now.Add(time.Second)
	l.failed("new")
	if len(l.buckets) > maxLimitedAddresses {
		t.Fatalf("%d buckets", len(l.buckets))
	}
	if _, kept := l.buckets["new"]; !kept {
		t.Fatal("the newest key was forgotten")
	}
}

func TestClientAddress(t *testing.T) {
	trusted := func(a netip.Addr) bool { return netip.MustParsePrefix("10.0.0.0/24").Contains(a) }
	for _, tc := range []struct{ remote, forwarded, want string }{
		{"192.0.2.1:5000", "203.0.113.9", "192.0.2.1"}, // not from a proxy: the header is the client's own words
		{"10.0.0.5:5000", "203.0.113.9", "203.0.113.9"},
		{"10.0.0.5:5000", "198.51.100.1, 203.0.113.9", "203.0.113.9"}, // the client wrote the first
		{"10.0.0.5:5000", "203.0.113.9, 10.0.0.7", "203.0.113.9"},     // two proxies
		{"10.0.0.5:5000", "", "10.0.0.5"},
		{"[::ffff:192.0.2.1]:5000", "", "192.0.2.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.forwarded != "" {
			r.Header.Set("X-Forwarded-For", tc.forwarded)
		}
		if got := clientAddress(r, trusted); got.String() != tc.want {
			t.Errorf("%s via %q: %s, want %s", tc.remote, tc.forwarded, got, tc.want)
		}
	}
	if key := addressKey(netip.MustParseAddr("2001:db8::1")); key != "2001:db8::/64" {
		t.Errorf("IPv6 key %s", key)
	}
}
