package devstack

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// balancer spreads requests over the starter replicas in turn, as the load balancer
// in front of a production deployment's starters does; a replica that refuses the
// connection (stopped, restarting) is passed over for the next. Only a request that
// never reached a replica is sent to another: intake is idempotent by the alert's
// workflow id anyway, but callbacks and decisions are not resent blindly.
type balancer struct {
	replicas []string // base URLs
	next     atomic.Uint64
	client   *http.Client
}

func newBalancer(replicas []string) *balancer {
	return &balancer{replicas: replicas, client: &http.Client{
		Timeout: time.Minute,
		// The replica's redirects go back to the caller, as a proxy passes them on.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// maxBalancedBody bounds what the balancer holds to resend: above the starter's own
// 1 MiB limit, so that the replica answers 413 itself.
const maxBalancedBody = 2 << 20

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBalancedBody))
	if err != nil {
		http.Error(w, "reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	first := b.next.Add(1)
	var refused error
	for i := range uint64(len(b.replicas)) {
		replica := b.replicas[(first+i)%uint64(len(b.replicas))]
		forward, err := http.NewRequestWithContext(r.Context(), r.Method, replica+r.URL.RequestURI(), bytes.NewReader(body)) //nolint:gosec // G704: the replicas are the starters this stack launched; the request gives only the path
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		forward.Header = r.Header.Clone()
		forward.Header.Set("X-Forwarded-For", forwardedFor(r))
		forward.Host = r.Host
		resp, err := b.client.Do(forward) //nolint:gosec // G704: to a starter this stack launched, as above
		if errors.Is(err, syscall.ECONNREFUSED) {
			refused = err
			continue
		}
		if err != nil {
			http.Error(w, "starter: "+err.Error(), http.StatusBadGateway)
			return
		}
		for name, values := range resp.Header {
			w.Header()[name] = values
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	w.Header().Set("Retry-After", "5")
	http.Error(w, "no starter answers: "+refused.Error(), http.StatusServiceUnavailable)
}

// forwardedFor adds the caller to the X-Forwarded-For chain.
func forwardedFor(r *http.Request) string {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if prior := r.Header.Get("X-Forwarded-For"); prior != "" {
		return strings.Join([]string{prior, host}, ", ")
	}
	return host
}

// serveBalancer serves the balancer at the stack's starter address.
func (s *Stack) serveBalancer() error {
	listener, err := net.Listen("tcp", s.addresses.Starter)
	if err != nil {
		return &ComponentError{Component: "starters' balancer", Err: err, Addresses: []string{listen{s.addresses.Starter, starterSetting}.String()}}
	}
	server := &http.Server{Handler: newBalancer(s.StarterURLs), ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, server)
	go func() { _ = server.Serve(listener) }()
	return nil
}
