package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/kelseyhightower/envconfig"
	"go.temporal.io/sdk/client"
)

// Settings are the process settings, read from XSOC_* variables.
type Settings struct {
	Listen             string `envconfig:"LISTEN" default:"127.0.0.1:8080"`
	CustomersFile      string `envconfig:"CUSTOMERS_FILE" default:"customers.yaml"`
	PublicURL          string `envconfig:"PUBLIC_URL" default:"http://127.0.0.1:8080"`
	SMTPHost           string `envconfig:"SMTP_HOST" default:"127.0.0.1"`
	SMTPPort           int    `envconfig:"SMTP_PORT" default:"1025"`
	SMTPUsername       string `envconfig:"SMTP_USERNAME"`
	SMTPPassword       string `envconfig:"SMTP_PASSWORD"`
	SMTPFrom           string `envconfig:"SMTP_FROM" default:"xsoc@localhost"`
	SMTPTLS            string `envconfig:"SMTP_TLS" default:"none"`
	SlackToken         string `envconfig:"SLACK_TOKEN"`
	SlackSigningSecret string `envconfig:"SLACK_SIGNING_SECRET"`
	SlackAPIURL        string `envconfig:"SLACK_API_URL"`
	TwilioAccountSID   string `envconfig:"TWILIO_ACCOUNT_SID"`
	TwilioAuthToken    string `envconfig:"TWILIO_AUTH_TOKEN"`
	TwilioFrom         string `envconfig:"TWILIO_FROM"`
	TwilioAPIURL       string `envconfig:"TWILIO_API_URL"`
	UIURL              string `envconfig:"UI_URL" default:"http://localhost:8233"`
	// CodecToken is the codec server's shared token: its holders are stamped "codec".
	// Without it, CodecTokens or an SSO proxy, only loopback clients are answered.
	CodecToken string `envconfig:"CODEC_TOKEN"`
	// CodecTokens are per-person tokens of the codec server, name:token,name:token:
	// what a person sends through it is stamped with their name (CodecAccess).
	CodecTokens string `envconfig:"CODEC_TOKENS"`
	// CodecIdentityHeader names the header in which an SSO proxy in front of the codec
	// server says who the analyst is; believed only from CodecTrustedProxies (CIDRs).
	CodecIdentityHeader string `envconfig:"CODEC_IDENTITY_HEADER"`
	CodecTrustedProxies string `envconfig:"CODEC_TRUSTED_PROXIES"`
	// DashboardToken opens the managers' view (/dashboard, /v1/sla) and /metrics as a
	// bearer token, and the view through its login form; without it the view is off.
	DashboardToken string `envconfig:"DASHBOARD_TOKEN"`
	// DashboardSessionKey signs the login form's session cookies (default: the
	// dashboard token): changing it ends every session without changing the token.
	DashboardSessionKey string `envconfig:"DASHBOARD_SESSION_KEY"`
	// MetricsListen serves the starter's /metrics on an address of its own, without a
	// token (keep it on a network only Prometheus reaches); empty: /metrics is served
	// beside the rest, behind the dashboard token.
	MetricsListen string `envconfig:"METRICS_LISTEN"`
	// StickyCacheSize bounds the workflows a worker keeps in memory: an evicted
	// incident is replayed from its (short) history at its next event. `make bench`
	// measured ~26 KiB of worker memory per open incident at 10,000 open with 2,000
	// (138 KiB with the SDK's 10,000), and replayed events at 4 ms of CPU each.
	StickyCacheSize int `envconfig:"STICKY_CACHE_SIZE" default:"2000"`
	// BuildID names the worker's build in the Worker Deployment (docs/deploy.md):
	// empty, the id stamped into the binary at link time, else one derived from the
	// binary itself (WorkerBuildID).
	BuildID string `envconfig:"BUILD_ID"`
	// PromoteVersion says when a worker makes its build the deployment's current
	// version, which new workflows start on: if-none (the first deploy), always (dev
	// stacks, whose worker is the code under test) or never (an operator promotes).
	PromoteVersion string `envconfig:"PROMOTE_VERSION" default:"if-none"`
	// WorkerMetricsListen is where the worker serves its own /metrics (the SDK's:
	// task latencies, slots, sticky cache) and /readyz; empty: not served. Its own
	// setting, not XSOC_METRICS_LISTEN: the worker and the starter often share an
	// environment, and two processes cannot bind one address.
	WorkerMetricsListen string `envconfig:"WORKER_METRICS_LISTEN"`
	// ServerPendingSignalsLimit is the Temporal server's limit of signals one workflow
	// has in flight (dynamic config limit.numPendingSignals.error, 2,000 by default):
	// the server refuses a workflow task that would pass it, again on every retry.
	// Each customer's Triage keeps half of it out at most.
	ServerPendingSignalsLimit int `envconfig:"SERVER_PENDING_SIGNALS_LIMIT" default:"2000"`
	// Syslog is read from XSOC_SYSLOG_*.
	Syslog SyslogSettings
}

// SyslogSettings are the starter's syslog listeners, each off unless its address is
// set: TCP (octet counting and newline framing on one port), TLS (the same, with a
// server certificate, and client certificates verified by ClientCA when it is set)
// and UDP.
type SyslogSettings struct {
	TCP      string `envconfig:"TCP"`
	TLS      string `envconfig:"TLS"`
	TLSCert  string `envconfig:"TLS_CERT"`
	TLSKey   string `envconfig:"TLS_KEY"`
	ClientCA string `envconfig:"CLIENT_CA"`
	UDP      string `envconfig:"UDP"`
	// Queue bounds the events waiting to become incidents: past it UDP events are
	// dropped (and counted) and TCP senders wait.
	Queue int `envconfig:"QUEUE" default:"10000"`
}

// On tells whether any syslog listener is set.
func (s SyslogSettings) On() bool { return s.TCP != "" || s.TLS != "" || s.UDP != "" }

func (s SyslogSettings) validate() error {
	var problems []string
	for _, l := range []struct{ name, address string }{{"XSOC_SYSLOG_TCP", s.TCP}, {"XSOC_SYSLOG_TLS", s.TLS}, {"XSOC_SYSLOG_UDP", s.UDP}} {
		if l.address == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(l.address); err != nil || port == "" {
			problems = append(problems, fmt.Sprintf("%s=%q: want host:port, e.g. 0.0.0.0:6514", l.name, l.address))
		}
	}
	if s.TLS != "" && (s.TLSCert == "" || s.TLSKey == "") {
		problems = append(problems, "XSOC_SYSLOG_TLS needs XSOC_SYSLOG_TLS_CERT and XSOC_SYSLOG_TLS_KEY (the server's certificate and key files, PEM)")
	}
	if s.TLS == "" {
		for name, value := range map[string]string{"XSOC_SYSLOG_TLS_CERT": s.TLSCert, "XSOC_SYSLOG_TLS_KEY": s.TLSKey, "XSOC_SYSLOG_CLIENT_CA": s.ClientCA} {
			if value != "" {
				problems = append(problems, name+" is set but XSOC_SYSLOG_TLS is not: set the TLS listener's address")
			}
		}
	}
	if s.Queue < 1 {
		problems = append(problems, fmt.Sprintf("XSOC_SYSLOG_QUEUE=%d: want the number of events that may wait (default 10000)", s.Queue))
	}
	slices.Sort(problems)
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// minDashboardTokenLength keeps the managers' view from being guarded by a word that
// can be guessed: the login form takes as many tries as anyone sends.
const minDashboardTokenLength = 16

// LoadSettings reads the XSOC_* environment.
func LoadSettings() (Settings, error) {
	var s Settings
	if err := envconfig.Process("xsoc", &s); err != nil {
		return s, fmt.Errorf("reading XSOC_* settings: %w", err)
	}
	switch s.SMTPTLS {
	case "none", "starttls", "tls":
	default:
		return s, fmt.Errorf("XSOC_SMTP_TLS=%q: want none, starttls or tls", s.SMTPTLS)
	}
	if s.StickyCacheSize < 0 {
		return s, fmt.Errorf("XSOC_STICKY_CACHE_SIZE=%d: want a number of workflows (default 2000), or 0 for the SDK's default (10000)", s.StickyCacheSize)
	}
	if err := s.checkVersioning(); err != nil {
		return s, err
	}
	// The UI's origin is the only one the codec server lets a browser call from.
	if u, err := url.Parse(s.UIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return s, fmt.Errorf("XSOC_UI_URL=%q: want the Temporal UI's http(s) URL, e.g. http://localhost:8233", s.UIURL)
	}
	if s.DashboardToken != "" && len(s.DashboardToken) < minDashboardTokenLength {
		return s, fmt.Errorf("XSOC_DASHBOARD_TOKEN is %d characters: want at least %d (e.g. openssl rand -hex 24)", len(s.DashboardToken), minDashboardTokenLength)
	}
	if err := s.Syslog.validate(); err != nil {
		return s, err
	}
	if s.DashboardSessionKey != "" && len(s.DashboardSessionKey) < minDashboardTokenLength {
		return s, fmt.Errorf("XSOC_DASHBOARD_SESSION_KEY is %d characters: want at least %d (e.g. openssl rand -hex 24)", len(s.DashboardSessionKey), minDashboardTokenLength)
	}
	if s.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(s.MetricsListen); err != nil {
			return s, fmt.Errorf("XSOC_METRICS_LISTEN=%q: want host:port, e.g. 127.0.0.1:9464", s.MetricsListen)
		}
	}
	if _, err := s.CodecAccess(); err != nil {
		return s, err
	}
	for name, value := range map[string]string{"XSOC_TWILIO_ACCOUNT_SID": s.TwilioAccountSID, "XSOC_TWILIO_AUTH_TOKEN": s.TwilioAuthToken} {
		if !alphanumeric(value) {
			return s, fmt.Errorf("%s must hold only letters and digits, as Twilio issues it", name)
		}
	}
	return s, nil
}

func alphanumeric(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Temporal is the standard Temporal connection, from TEMPORAL_* variables, so that the
// same binaries run against the dev server, a cluster (mTLS) or Temporal Cloud (API key).
// The names are the temporal CLI's too: one environment serves both.
type Temporal struct {
	Address   string `envconfig:"ADDRESS" default:"127.0.0.1:7233"`
	Namespace string `envconfig:"NAMESPACE" default:"default"`
	APIKey    string `envconfig:"API_KEY"`
	TLSCert   string `envconfig:"TLS_CERT"`
	TLSKey    string `envconfig:"TLS_KEY"`
	// TLSCA is the CA that signed the frontend's certificate, for a cluster whose
	// certificates come from its own CA rather than one the system trusts.
	TLSCA string `envconfig:"TLS_CA"`
	// TLSServerName is the name the frontend's certificate must carry, when it is
	// not the host of Address (a load balancer's address, an IP).
	TLSServerName string `envconfig:"TLS_SERVER_NAME"`
	TLS           bool   `envconfig:"TLS"`
}

// LoadTemporal reads the TEMPORAL_* environment.
func LoadTemporal() (Temporal, error) {
	var t Temporal
	if err := envconfig.Process("temporal", &t); err != nil {
		return t, fmt.Errorf("reading TEMPORAL_* settings: %w", err)
	}
	return t, nil
}

// ClientOptions builds the SDK's client options. TLS_CERT, TLS_KEY and TLS_CA are file
// paths (as for the temporal CLI); any TLS setting or an API key implies TLS.
func (t Temporal) ClientOptions() (client.Options, error) {
	options := client.Options{HostPort: t.Address, Namespace: t.Namespace}
	tlsConfig, err := t.tlsConfig()
	if err != nil {
		return options, err
	}
	if t.APIKey != "" {
		options.Credentials = client.NewAPIKeyStaticCredentials(t.APIKey)
		if tlsConfig == nil {
			tlsConfig = &tls.Config{}
		}
	}
	options.ConnectionOptions.TLS = tlsConfig
	return options, nil
}

// tlsConfig answers the connection's TLS settings, or nil for a plain connection.
func (t Temporal) tlsConfig() (*tls.Config, error) {
	if !t.TLS && t.TLSCert == "" && t.TLSKey == "" && t.TLSCA == "" && t.TLSServerName == "" {
		return nil, nil
	}
	config := &tls.Config{ServerName: t.TLSServerName}
	if t.TLSCert != "" || t.TLSKey != "" {
		if t.TLSCert == "" || t.TLSKey == "" {
			return nil, fmt.Errorf("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: the client certificate and its key")
		}
		certPEM, err := os.ReadFile(t.TLSCert)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CERT: %w", err)
		}
		keyPEM, err := os.ReadFile(t.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_KEY: %w", err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CERT/KEY: %w", err)
		}
		config.Certificates = []tls.Certificate{cert}
	}
	if t.TLSCA != "" {
		caPEM, err := os.ReadFile(t.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA: %w", err)
		}
		config.RootCAs = x509.NewCertPool()
		if !config.RootCAs.AppendCertsFromPEM(caPEM) {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA=%s holds no PEM certificate", t.TLSCA)
		}
	}
	return config, nil
}
