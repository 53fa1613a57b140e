// Package syslogd is the starter's syslog listener: network products (firewalls,
// UTMs, proxies, NDR sensors) send their CEF and LEEF events over TCP (octet counting
// or newline framing, RFC 6587), TLS (with optional client certificates) or UDP; each
// event is matched to the customer's source that sent it, read as that source says
// (integrations/syslog) and handed to intake, like an alert posted over HTTP.
//
// Reading never waits for Temporal: events wait in a bounded queue for the delivery
// workers. Past it a TCP or TLS connection stops being read (the sender's own buffer
// holds the rest) and a UDP event is dropped and counted. A message that is not what
// it should be is counted and logged once per source a minute, and the listener goes
// on.
package syslogd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/start"
)

// Deliverer hands an alert to its incident: start.Intake.
type Deliverer interface {
	Deliver(ctx context.Context, customer config.Customer, vendor string, alert integrations.Alert) (start.IncidentRef, error)
}

// Config is what a syslog listener is built from.
type Config struct {
	Settings  config.SyslogSettings
	Customers *config.Customers
	Intake    Deliverer
	// Metrics registers the listener's counters (the starter's /metrics registry).
	Metrics prometheus.Registerer
	Log     *slog.Logger
	// Workers deliver queued events side by side (default 32).
	Workers int
	// LogEvery is the period a source's problem is logged at most once in (default a
	// minute).
	LogEvery time.Duration
	// Drain is how long queued events may take to be delivered when the listener
	// stops (default 10 s); the rest are counted as dropped.
	Drain time.Duration
}

// Defaults of Config.
const (
	defaultWorkers = 32
	defaultDrain   = 10 * time.Second
	// maxMessage is the largest syslog message read (RFC 5425 asks for at least 8 KiB;
	// a firewall's URL-laden event may be longer).
	maxMessage = 64 << 10
	// maxConnections bounds the TCP and TLS connections served at once.
	maxConnections = 4096
	// handshakeTimeout bounds a TLS handshake, so that a silent peer holds no slot.
	handshakeTimeout = 10 * time.Second
)

// Server is a running syslog listener.
type Server struct {
	cfg     Config
	routes  routes
	metrics *metrics
	queue   chan queued
	log     *slog.Logger
	rate    *rateLog

	tcp, tls net.Listener
	udp      net.PacketConn
	slots    chan struct{}

	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	closing bool
}

// New checks the settings against the customers file, binds every listener set and
// registers the counters. It answers nil, nil when no listener is set: syslog is off.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, routes: newRoutes(cfg.Customers), log: cfg.Log, conns: map[net.Conn]struct{}{},
		slots: make(chan struct{}, maxConnections)}
	if !cfg.Settings.On() {
		if len(s.routes) > 0 {
			s.log.Warn("the customers file has syslog_sources but no syslog listener is set (XSOC_SYSLOG_TCP, XSOC_SYSLOG_TLS, XSOC_SYSLOG_UDP): this starter takes none of their events",
				"sources", len(s.routes))
		}
		return nil, nil
	}
	if err := s.checkSources(); err != nil {
		return nil, err
	}
	if s.cfg.Workers <= 0 {
		s.cfg.Workers = defaultWorkers
	}
	if s.cfg.LogEvery <= 0 {
		s.cfg.LogEvery = time.Minute
	}
	if s.cfg.Drain <= 0 {
		s.cfg.Drain = defaultDrain
	}
	s.rate = newRateLog(s.log, s.cfg.LogEvery)
	s.queue = make(chan queued, cfg.Settings.Queue)
	var err error
	if s.metrics, err = newMetrics(cfg.Metrics, func() float64 { return float64(len(s.queue)) }, cfg.Settings.Queue); err != nil {
		return nil, fmt.Errorf("syslog metrics: %w", err)
	}
	for _, r := range s.routes {
		s.metrics.show(r.customer.ID, r.source.Name)
	}
	if err := s.bind(); err != nil {
		s.close()
		return nil, err
	}
	if len(s.routes) == 0 {
		s.log.Warn("syslog listeners are set but no customer has syslog_sources: every event will be dropped as from an unknown source")
	}
	return s, nil
}

// checkSources refuses sources that the listeners set could never hear from.
func (s *Server) checkSources() error {
	var problems []string
	for _, r := range s.routes {
		if len(r.subject) == 0 {
			continue
		}
		if s.cfg.Settings.TLS == "" || s.cfg.Settings.ClientCA == "" {
			problems = append(problems, fmt.Sprintf("customer %s, syslog source %s authenticates by tls_subject, which needs XSOC_SYSLOG_TLS and XSOC_SYSLOG_CLIENT_CA (the CA that issues the senders' certificates)",
				r.customer.ID, r.source.Name))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// bind opens every listener set, so that a taken address or a bad certificate stops
// the starter at once, naming the setting.
func (s *Server) bind() error {
	settings := s.cfg.Settings
	var err error
	if settings.TCP != "" {
		if s.tcp, err = net.Listen("tcp", settings.TCP); err != nil {
			return fmt.Errorf("syslog TCP listener: %w (XSOC_SYSLOG_TCP sets its address)", err)
		}
	}
	if settings.UDP != "" {
		if s.udp, err = net.ListenPacket("udp", settings.UDP); err != nil {
			return fmt.Errorf("syslog UDP listener: %w (XSOC_SYSLOG_UDP sets its address)", err)
		}
	}
	if settings.TLS != "" {
		tlsConfig, err := serverTLS(settings)
		if err != nil {
			return err
		}
		if s.tls, err = tls.Listen("tcp", settings.TLS, tlsConfig); err != nil {
			return fmt.Errorf("syslog TLS listener: %w (XSOC_SYSLOG_TLS sets its address)", err)
		}
	}
	return nil
}

// serverTLS is the TLS listener's configuration: its certificate and, with a client
// CA, client certificates verified when the sender gives one (a sender without one
// may still be known by its address).
func serverTLS(settings config.SyslogSettings) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(settings.TLSCert, settings.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("XSOC_SYSLOG_TLS_CERT and XSOC_SYSLOG_TLS_KEY: %w", err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if settings.ClientCA != "" {
		pem, err := os.ReadFile(settings.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("XSOC_SYSLOG_CLIENT_CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("XSOC_SYSLOG_CLIENT_CA: %s holds no PEM certificate", settings.ClientCA)
		}
		c.ClientCAs, c.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return c, nil
}

// Addresses answers where the listeners listen, by transport (tcp, tls, udp).
func (s *Server) Addresses() map[string]string {
	addresses := map[string]string{}
	if s.tcp != nil {
		addresses["tcp"] = s.tcp.Addr().String()
	}
	if s.tls != nil {
		addresses["tls"] = s.tls.Addr().String()
	}
	if s.udp != nil {
		addresses["udp"] = s.udp.LocalAddr().String()
	}
	return addresses
}

// Run serves until ctx ends, then stops reading, gives the queued events Config.Drain
// to become incidents and counts the rest as dropped.
func (s *Server) Run(ctx context.Context) error {
	s.log.Info("syslog listening", "addresses", s.Addresses(), "sources", len(s.routes), "queue", cap(s.queue))
	deliverCtx, stopDelivering := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDelivering()
	var workers, readers sync.WaitGroup
	for range s.cfg.Workers {
		workers.Go(func() { s.deliverQueued(deliverCtx) })
	}
	if s.tcp != nil {
		readers.Go(func() { s.accept(ctx, s.tcp, "tcp") })
	}
	if s.tls != nil {
		readers.Go(func() { s.accept(ctx, s.tls, "tls") })
	}
	if s.udp != nil {
		readers.Go(func() { s.readUDP(ctx) })
	}
	<-ctx.Done()
	s.close()
	readers.Wait()
	close(s.queue)
	drained := make(chan struct{})
	go func() { workers.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(s.cfg.Drain):
		stopDelivering()
		<-drained
	}
	return nil
}

// close stops the listeners and ends every open connection.
func (s *Server) close() {
	for _, l := range []net.Listener{s.tcp, s.tls} {
		if l != nil {
			_ = l.Close()
		}
	}
	if s.udp != nil {
		_ = s.udp.Close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
	for conn := range s.conns {
		_ = conn.Close()
	}
}
