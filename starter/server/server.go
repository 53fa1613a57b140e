// Package server is the starter's HTTP surface: alert intake, customer requests,
// vendor and notifier callbacks, reports, the managers' view, the codec server, and
// health.
package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/identity"
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
	// loginFailures and intakeFailures count failed credentials per address (per
	// address and customer at intake: many customers' senders share a vendor's
	// addresses), answered 429 past the limit.
	loginFailures, intakeFailures *failureLimiter
	// trustedProxy tells the proxies whose X-Forwarded-For names the client
	// (XSOC_CODEC_TRUSTED_PROXIES).
	trustedProxy func(netip.Addr) bool
	// unknownCustomerSecret is what an unknown customer's credentials are checked
	// against: random, so that they fail as a wrong secret does, with the same work.
	unknownCustomerSecret string
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
		platforms:  activities.NewPlatforms(customers), hostCheckTimeout: hostCheckTimeout,
		namespace: cmp.Or(process.Temporal.Namespace, "default"),
	}
	access, err := settings.CodecAccess()
	if err != nil { // LoadSettings refused it already: a server built by hand
		log.Error("codec server: credentials refused; it answers only clients on this machine", "error", err)
	}
	s.loginFailures, s.intakeFailures, s.trustedProxy = newFailureLimiter(), newFailureLimiter(), access.Trusted
	s.unknownCustomerSecret = rand.Text()
	s.codec = newCodecServer(process.Codec, process.Temporal.Namespace, settings.UIURL, access, log)
	// The tokens are kept as digests only (CodecAccess).
	s.settings.CodecToken, s.settings.CodecTokens = "", ""
	registry.MustRegister(newSLACollector(s))
	if settings.DashboardToken == "" {
		log.Warn("XSOC_DASHBOARD_TOKEN is not set: the managers' view (/dashboard, /v1/sla) is off")
	}
	if access.Open() {
		log.Warn("the codec server (/v1/codec) has no credentials configured: it answers only clients on this machine and stamps nobody; " +
			"set XSOC_CODEC_TOKENS (name:token per person) or an SSO proxy (XSOC_CODEC_IDENTITY_HEADER, XSOC_CODEC_TRUSTED_PROXIES) to serve the Temporal UI or the temporal CLI from elsewhere")
	} else if len(access.Tokens) == 1 && access.Tokens[0].Name == identity.SharedName && access.IdentityHeader == "" {
		log.Warn("the codec server knows only the shared XSOC_CODEC_TOKEN: decisions sent through it are stamped \"codec\", not a person; " +
			"give each analyst a token of their own (XSOC_CODEC_TOKENS) or put the codec server behind your SSO proxy")
	}
	if settings.SlackSigningSecret != "" && !customers.SlackUsersMapped() {
		log.Warn("no analyst of the customers file has a slack_user (soc.analysts, customers[].analysts): every Slack button will be refused")
	}
	if settings.SlackToken != "" {
		s.slack = slack.New(settings.SlackToken, settings.SlackAPIURL)
	}
	return s
}

// Registry is the starter's Prometheus registry, served on /metrics: the syslog
// listener counts there too.
func (s *Server) Registry() prometheus.Registerer { return s.registry }

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
	mux.Handle("GET /metrics", s.metricsGate(s.MetricsHandler()))
	return mux
}

// MetricsHandler serves the starter's Prometheus metrics without asking who: for
// XSOC_METRICS_LISTEN, a listener of its own that only Prometheus reaches.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
}

// metricsGate serves /metrics beside the rest only to a bearer of the dashboard token
// (Prometheus' authorization: {credentials: …}): the figures name customers and their
// breaches.
func (s *Server) metricsGate(metrics http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.settings.DashboardToken == "" {
			writeError(w, http.StatusForbidden, "/metrics needs XSOC_DASHBOARD_TOKEN as a bearer token; set it, or serve the metrics on an address of their own (XSOC_METRICS_LISTEN)")
			return
		}
		key := addressKey(clientAddress(r, s.trustedProxy))
		if !tooManyFailures(w, s.loginFailures, key) {
			return
		}
		bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !sameSecret(strings.TrimSpace(bearer), s.settings.DashboardToken) {
			if ok {
				s.loginFailures.failed(key)
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="xsoc metrics"`)
			writeError(w, http.StatusUnauthorized, "/metrics needs Authorization: Bearer $XSOC_DASHBOARD_TOKEN")
			return
		}
		metrics.ServeHTTP(w, r)
	})
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
