package syslogd

import (
	"context"
	"errors"
	"strings"
	"time"

	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"
	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"

	"xsoc/integrations"
	"xsoc/integrations/syslog"
)

// queued is an event on its way to its incident.
type queued struct {
	route *route
	alert integrations.Alert
}

// handle takes one syslog message read from a sender: it finds the source, reads the
// event, and queues the alert, or counts why not. A TCP reader waits for room in the
// queue (wait); a UDP reader drops the event when there is none.
func (s *Server) handle(ctx context.Context, from sender, result *gosyslog.Result, wait bool) {
	header := baseOf(result.Message)
	if result.Error != nil || header == nil || header.Message == nil {
		s.bad(from, s.routes.authenticated(from), badSyslog, syslogProblem(result.Error))
		return
	}
	hostname := text(header.Hostname)
	r := s.routes.find(from, hostname)
	if r == nil {
		s.metrics.unknown.WithLabelValues(from.transport).Inc()
		s.rate.warn("unknown "+from.address.String(), "syslog message from no known source dropped: no customer's syslog_sources take it",
			"address", from.address.String(), "hostname", hostname, "transport", from.transport, "subject", subjectOf(from))
		return
	}
	customer, source := r.customer.ID, r.source.Name
	s.metrics.received.WithLabelValues(customer, source).Inc()
	event, err := syslog.Parse(r.mapping.Format, eventText(header, r.mapping.Format))
	if err != nil {
		s.bad(from, r, badFormat, err.Error())
		return
	}
	s.metrics.parsed.WithLabelValues(customer, source).Inc()
	alert, err := r.mapping.Alert(event, syslog.Origin{Hostname: hostname, Address: from.address.String()})
	if err != nil {
		s.bad(from, r, badAlert, err.Error())
		return
	}
	if why := r.mapping.Ignored(alert, event); why != "" {
		s.metrics.ignored.WithLabelValues(customer, source, why).Inc()
		return
	}
	s.enqueue(ctx, queued{route: r, alert: alert}, wait)
}

func (s *Server) enqueue(ctx context.Context, q queued, wait bool) {
	customer, source := q.route.customer.ID, q.route.source.Name
	if !wait {
		select {
		case s.queue <- q:
		default:
			s.metrics.dropped.WithLabelValues(customer, source, droppedQueueFull).Inc()
			s.rate.warn("full "+customer+"/"+source, "syslog queue full: UDP events dropped (TCP senders wait); incidents start slower than events arrive",
				"customer", customer, "source", source, "queue", cap(s.queue))
		}
		return
	}
	select {
	case s.queue <- q:
	case <-ctx.Done():
		s.metrics.dropped.WithLabelValues(customer, source, droppedShutdown).Inc()
	}
}

// bad counts a message that is not what its source sends, and logs why once a period.
func (s *Server) bad(from sender, r *route, reason, why string) {
	if r == nil {
		s.metrics.unknown.WithLabelValues(from.transport).Inc()
		s.rate.warn("unknown "+from.address.String(), "unreadable syslog message from no known source dropped",
			"address", from.address.String(), "transport", from.transport, "reason", why)
		return
	}
	customer, source := r.customer.ID, r.source.Name
	if reason == badSyslog {
		s.metrics.received.WithLabelValues(customer, source).Inc()
	}
	s.metrics.bad.WithLabelValues(customer, source, reason).Inc()
	s.rate.warn("bad "+customer+"/"+source, "malformed syslog message dropped",
		"customer", customer, "source", source, "address", from.address.String(), "transport", from.transport, "kind", reason, "reason", why)
}

// deliverQueued starts the incidents of queued events until the queue is closed and
// empty, or ctx ends (what is left then is counted as dropped).
func (s *Server) deliverQueued(ctx context.Context) {
	for q := range s.queue {
		if ctx.Err() != nil {
			s.metrics.dropped.WithLabelValues(q.route.customer.ID, q.route.source.Name, droppedShutdown).Inc()
			continue
		}
		s.deliver(ctx, q)
	}
}

// Delivery retries while Temporal is out of reach (the queue fills behind it, which is
// the backpressure), and gives an event up after a few refusals of another kind.
const (
	deliveryTimeout   = 20 * time.Second
	firstRetry        = 500 * time.Millisecond
	longestRetry      = 30 * time.Second
	attemptsOnRefusal = 3
)

func (s *Server) deliver(ctx context.Context, q queued) {
	customer, source := q.route.customer.ID, q.route.source.Name
	wait, refusals := firstRetry, 0
	for {
		attempt, cancel := context.WithTimeout(ctx, deliveryTimeout)
		ref, err := s.cfg.Intake.Deliver(attempt, *q.route.customer, syslog.Vendor, q.alert)
		cancel()
		switch {
		case err == nil && ref.Duplicate:
			s.metrics.redelivered.WithLabelValues(customer, source).Inc()
			return
		case err == nil:
			s.metrics.incidents.WithLabelValues(customer, source).Inc()
			return
		case ctx.Err() != nil:
			s.metrics.dropped.WithLabelValues(customer, source, droppedShutdown).Inc()
			return
		case unreachable(err):
			s.rate.warn("unreachable", "Temporal cannot be reached: syslog events wait in the queue", "error", err.Error(), "queued", len(s.queue))
		default:
			if refusals++; refusals >= attemptsOnRefusal {
				s.metrics.dropped.WithLabelValues(customer, source, droppedDeliveryFailed).Inc()
				s.log.Error("syslog event has no incident: intake refused it", "customer", customer, "source", source,
					"alert", q.alert.ID, "error", err)
				return
			}
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		wait = min(2*wait, longestRetry)
	}
}

// unreachable tells whether Temporal could not be reached or answer in time, rather
// than refusing the incident.
func unreachable(err error) bool {
	switch serviceerror.ToStatus(err).Code() {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted, codes.Canceled:
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "connection refused")
}

// baseOf answers the parts every syslog message has, of either RFC.
func baseOf(m gosyslog.Message) *gosyslog.Base {
	switch message := m.(type) {
	case *rfc5424.SyslogMessage:
		return &message.Base
	case *rfc3164.SyslogMessage:
		return &message.Base
	}
	return nil
}

// eventText answers the message text the event starts in. A BSD-syslog parser reads
// "CEF:0|…" as the tag CEF and the content "0|…" when a space follows the colon, as
// FortiGate writes it: the marker is put back.
func eventText(header *gosyslog.Base, format syslog.Format) string {
	message := *header.Message
	marker := strings.ToUpper(string(format)) + ":"
	if !strings.Contains(message, marker) && strings.EqualFold(text(header.Appname), marker[:len(marker)-1]) {
		return marker + message
	}
	return message
}

func syslogProblem(err error) string {
	if err == nil {
		return "a syslog message with no text"
	}
	return "syslog: " + err.Error()
}

func subjectOf(from sender) string {
	if from.certificate == nil {
		return ""
	}
	return from.certificate.Subject.String()
}

func text(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
