package syslogd

import (
	"crypto/x509"
	"net/netip"
	"strings"

	"xsoc/config"
	"xsoc/integrations/syslog"
)

// route is one customer's syslog source, ready to match senders.
type route struct {
	customer *config.Customer
	source   config.SyslogSource
	mapping  syslog.Source
	networks []netip.Prefix
	subject  config.DistinguishedName
}

// routes are every customer's syslog sources.
type routes []*route

func newRoutes(customers *config.Customers) routes {
	var list routes
	for i := range customers.Customers {
		c := &customers.Customers[i]
		for _, s := range c.SyslogSources {
			list = append(list, &route{customer: c, source: s, mapping: s.Mapping(), networks: s.Networks(), subject: s.Subject()})
		}
	}
	return list
}

// sender is who sent a message, as far as the connection proves it.
type sender struct {
	transport string
	address   netip.Addr
	// certificate is the client certificate the TLS handshake verified (nil without).
	certificate *x509.Certificate
}

// find answers the source a message of the sender, whose syslog header names
// hostname, comes from: among the sources that authenticate the sender (by address,
// certificate, or both when a source gives both) and whose hostname, when they give
// one, is the message's, the most precise — a hostname over none, a certificate over
// none, a longer prefix over a shorter. Nil: no known source, and the message is
// nobody's.
func (rs routes) find(from sender, hostname string) *route {
	return rs.best(from, func(r *route) (bool, bool) {
		if r.source.Hostname == "" {
			return true, false
		}
		return strings.EqualFold(r.source.Hostname, hostname), true
	})
}

// authenticated answers the source a message that could not be read (no hostname) is
// counted against: the most precise source that authenticates the sender, those
// without a hostname first.
func (rs routes) authenticated(from sender) *route {
	return rs.best(from, func(r *route) (bool, bool) { return true, r.source.Hostname == "" })
}

// anyFor tells whether some source could take messages of the sender at all.
func (rs routes) anyFor(from sender) bool { return rs.authenticated(from) != nil }

// best answers the most precise source that authenticates the sender among those
// byHostname lets match, those it prefers first.
func (rs routes) best(from sender, byHostname func(*route) (matches, preferred bool)) *route {
	var chosen *route
	var chosenRank [3]int
	for _, r := range rs {
		matches, preferred := byHostname(r)
		if !matches {
			continue
		}
		bits, ok := r.authenticates(from)
		if !ok {
			continue
		}
		rank := [3]int{boolInt(preferred), boolInt(len(r.subject) > 0), bits}
		if chosen == nil || greater(rank, chosenRank) {
			chosen, chosenRank = r, rank
		}
	}
	return chosen
}

// authenticates tells whether the sender is the source's, and by how long a prefix
// of its networks (-1 when the source names none).
func (r *route) authenticates(from sender) (int, bool) {
	if len(r.subject) > 0 && (from.certificate == nil || !r.subject.MatchedBy(from.certificate.Subject)) {
		return 0, false
	}
	if len(r.networks) == 0 {
		return -1, true
	}
	bits := -1
	address := from.address.Unmap()
	for _, p := range r.networks {
		if p.Contains(address) && p.Bits() > bits {
			bits = p.Bits()
		}
	}
	return bits, bits >= 0
}

func greater(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
