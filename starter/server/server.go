// Package server is the starter's HTTP surface: alert intake, customer requests,
// vendor and notifier callbacks, reports, the managers' view, the codec server, and
// health.
package server

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations"
	"xsoc/integrations/slack"
	"xsoc/workflows/start"
)

// Server holds what the handlers need.
type Server struct {
	customers *config.Customers
	settings  config.Settings
	temporal  client.Client
	intake    *start.Intake
	codec     *codecServer
	parsers   map[string]integrations.Parser
	log       *slog.Logger
	metrics   metrics
	registry  *prometheus.Registry
	slack     *slack.Client
	// platforms are the customers' vendor clients, built as the worker builds them
	// (credentials from this process's environment), to ask whether a host exists
	// before a request on it starts.
	platforms *activities.Platforms
	// hostCheckTimeout bounds that question: a vendor slower than this lets the
	// request in, and the workflow asks again.
	hostCheckTimeout time.Duration
	// namespace is the Temporal namespace, for links into the Temporal UI.
	namespace string
	// httpClient answers Slack's response_url; bounded so a slow Slack never holds a handler.
	httpClient *http.Client
}

type metrics struct {
	alerts *prometheus.CounterVec
}

// New builds the server of a process, as LoadProcess answers it, whose client is temporal.
func New(process config.Process, temporal client.Client, log *slog.Logger) *Server {
	customers, settings := process.Customers, process.Settings
	registry := prometheus.NewRegistry()
	m := metrics{alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "xsoc_alerts_received_total", Help: "Alerts taken in, by customer and vendor.",
	}, []string{"customer", "vendor"})}
	registry.MustRegister(m.alerts, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &Server{
		customers: customers, settings: settings, temporal: temporal, log: log,
		intake: start.NewIntake(temporal, process.ClientOptions, customers.SOC), parsers: Parsers(), metrics: m, registry: registry,
		httpClient: &http.Client{Timeout: 5 * time.Second},
		codec:      newCodecServer(process.Codec.Codecs(), process.Temporal.Namespace, settings.UIURL, settings.CodecToken),
		platforms:  activities.NewPlatforms(customers), hostCheckTimeout: hostCheckTimeout,
		namespace: cmp.Or(process.Temporal.Namespace, "default"),
	}
	registry.MustRegister(newSLACollector(s))
	if settings.DashboardToken == "" {
		log.Warn("XSOC_DASHBOARD_TOKEN is not set: the managers' view (/dashboard, /v1/sla) is off")
	}
	if settings.CodecToken == "" {
		log.Warn("XSOC_CODEC_TOKEN is not set: the codec server (/v1/codec) answers only clients on this machine; " +
			"set it to serve the Temporal UI or the temporal CLI from elsewhere")
	}
	if settings.SlackToken != "" {
		s.slack = slack.New(settings.SlackToken, settings.SlackAPIURL)
	}
	return s
}

// Handler routes every endpoint of the SPEC.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/alerts/{vendor}/{customer}", s.handleAlert)
	mux.HandleFunc("POST /v1/requests/{customer}", s.handleRequest)
	mux.HandleFunc("POST /v1/callbacks/twilio", s.handleTwilio)
	mux.HandleFunc("POST /v1/callbacks/slack", s.handleSlack)
	mux.HandleFunc("GET /v1/reports/{customer}", s.handleReport)
	mux.Handle("/v1/codec/", s.codec)
	mux.HandleFunc("GET /dashboard", s.handleDashboard)
	mux.HandleFunc("GET /dashboard/{customer}", s.handleDashboardCustomer)
	mux.HandleFunc("GET /dashboard/login", s.handleLoginForm)
	mux.HandleFunc("POST /dashboard/login", s.handleLogin)
	mux.HandleFunc("POST /dashboard/logout", s.handleLogout)
	mux.HandleFunc("GET /v1/sla/{customer}", s.handleSLA)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	return mux
}

// handleReady answers 200 only when Temporal answers.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "Temporal is not reachable: %v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
