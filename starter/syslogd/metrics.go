package syslogd

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics count what happens to the messages of each source, from the wire to an
// incident. Per source, received = bad{syslog} + bad{format} + parsed, and parsed =
// bad{alert} + ignored + dropped + incidents + redelivered (+ what is still queued).
type metrics struct {
	received    *prometheus.CounterVec // messages read from a known source
	bad         *prometheus.CounterVec // by reason: syslog, format, alert
	parsed      *prometheus.CounterVec // CEF or LEEF events read
	ignored     *prometheus.CounterVec // by reason: below_min_severity, not_in_events
	dropped     *prometheus.CounterVec // by reason: queue_full, delivery_failed, shutdown
	incidents   *prometheus.CounterVec // new incidents started
	redelivered *prometheus.CounterVec // events whose incident existed: re-deliveries
	unknown     *prometheus.CounterVec // messages from no known source, by transport
	connections *prometheus.GaugeVec   // open TCP and TLS connections
}

// The reasons a message is bad, ignored or dropped.
const (
	badSyslog = "syslog" // no syslog message (framing, header)
	badFormat = "format" // no CEF or LEEF event in it
	badAlert  = "alert"  // an event that makes no alert (no host at all)

	droppedQueueFull      = "queue_full"      // UDP, past the queue
	droppedDeliveryFailed = "delivery_failed" // Temporal refused the incident
	droppedShutdown       = "shutdown"        // still queued when the starter stopped
)

func newMetrics(registerer prometheus.Registerer, queue func() float64, capacity int) (*metrics, error) {
	source := []string{"customer", "source"}
	withReason := []string{"customer", "source", "reason"}
	counter := func(name, help string, labels []string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xsoc_syslog_" + name, Help: help}, labels)
	}
	m := &metrics{
		received: counter("received_total", "Syslog messages received from a customer's source.", source),
		bad: counter("bad_total", "Messages of a source that are not a syslog message (reason syslog), hold no CEF or LEEF event "+
			"(format) or make no alert (alert).", withReason),
		parsed:      counter("parsed_total", "CEF and LEEF events read from a source's messages.", source),
		ignored:     counter("ignored_total", "Events counted, not incidents: below_min_severity or not_in_events.", withReason),
		dropped:     counter("dropped_total", "Events lost: queue_full (UDP past the queue), delivery_failed, shutdown.", withReason),
		incidents:   counter("incidents_total", "Incidents started by a source's events.", source),
		redelivered: counter("redelivered_total", "Events whose incident existed already (the same event sent again).", source),
		unknown: counter("unknown_source_total", "Messages from a sender that is no customer's source, dropped.",
			[]string{"transport"}),
		connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "xsoc_syslog_connections",
			Help: "Open syslog connections, by transport."}, []string{"transport"}),
	}
	collectors := []prometheus.Collector{m.received, m.bad, m.parsed, m.ignored, m.dropped, m.incidents, m.redelivered, m.unknown, m.connections,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "xsoc_syslog_queue_length", Help: "Events waiting to become incidents."}, queue),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "xsoc_syslog_queue_capacity", Help: "Events that may wait (XSOC_SYSLOG_QUEUE)."},
			func() float64 { return float64(capacity) }),
	}
	for _, c := range collectors {
		if err := registerer.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// show makes a source's counters exist from the start, at zero, so that a source
// that never sent is seen on /metrics.
func (m *metrics) show(customer, source string) {
	for _, v := range []*prometheus.CounterVec{m.received, m.parsed, m.incidents, m.redelivered} {
		v.WithLabelValues(customer, source)
	}
	for _, reason := range []string{badSyslog, badFormat, badAlert} {
		m.bad.WithLabelValues(customer, source, reason)
	}
	for _, reason := range []string{droppedQueueFull, droppedDeliveryFailed, droppedShutdown} {
		m.dropped.WithLabelValues(customer, source, reason)
	}
	for _, transport := range []string{"tcp", "tls", "udp"} {
		m.unknown.WithLabelValues(transport)
	}
}
