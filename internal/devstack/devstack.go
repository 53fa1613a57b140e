// Package devstack starts the whole xsoc on this machine — the Temporal dev server,
// Mailpit, the vendor, Slack and Twilio simulators (in this process), and the worker and
// starter built from this module — for `make run` (./run), the end-to-end tests and the
// benchmark. Each part is started, waited for until it answers, and reported with the
// end of its log and the setting that moves it when it fails.
package devstack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"xsoc/config"
	cybereasonsim "xsoc/integrations/cybereason/sim"
	slacksim "xsoc/integrations/slack/sim"
	twiliosim "xsoc/integrations/twilio/sim"
	withsecuresim "xsoc/integrations/withsecure/sim"
	zscalersim "xsoc/integrations/zscaler/sim"
	"xsoc/internal/codec"
	"xsoc/workflows/api"
)

// Credentials the simulators accept. The stack hands the Slack and Twilio ones to the
// worker and starter itself; a customers file names the vendor ones through its *_env
// fields, and the caller sets those variables in Options.Env.
const (
	CybereasonUser     = "soc@acme.example"
	CybereasonPassword = "cr-password"
	WithSecureClientID = "ws-client"
	WithSecureSecret   = "ws-secret"
	ZscalerAPIKey      = "0123456789abcdef"
	ZscalerUser        = "admin@acme.example"
	ZscalerPassword    = "zs-password"
	SlackSigningSecret = "test-signing-secret"
	TwilioSID          = "ACtest00000000000000000000000000"
	TwilioToken        = "testtwiliotoken0"
)

// How long a part may take to answer after it starts: the dev server creates its
// SQLite database and namespace on the first start, on a machine shared with builds.
const answerWithin = time.Minute

// Options say what differs between the stacks make run, the tests and the benchmark run.
type Options struct {
	// Customers renders the customers file from the simulators' base URLs (keys
	// cybereason, withsecure, zscaler, slack, twilio). Nil: the caller's environment
	// names the file (XSOC_CUSTOMERS_FILE), as make run's does.
	Customers func(simulators map[string]string) ([]byte, error)
	// Env is added to the worker's and starter's environment, after the stack's own
	// settings: the variables the customers file names (webhook secrets, vendor
	// credentials) and anything the caller overrides.
	Env []string
	// PersistDB keeps the dev server's state in a SQLite file, as `make run` does;
	// otherwise it lives in memory.
	PersistDB bool
	// SQLitePragmas are the dev server's --sqlite-pragma values ("journal_mode=wal").
	SQLitePragmas []string
	// Dir holds the binaries, databases, customers file and logs (Dir/logs). Empty: a
	// new temporary directory, which Stop removes; a given one is kept.
	Dir string
	// Addresses are where the parts listen; empty ones get free ports.
	Addresses Addresses
	// UI starts the Temporal UI (make run); the tests run the dev server headless.
	UI bool
	// TemporalLogLevel is the dev server's --log-level (default error).
	TemporalLogLevel string
	// OwnSlack and OwnTwilio keep the caller's XSOC_SLACK_* or XSOC_TWILIO_* settings
	// (real credentials) instead of pointing the worker at the simulator.
	OwnSlack, OwnTwilio bool
	// Seed runs once the simulators serve and before the worker starts: what it raises
	// at a vendor is there before the pollers' first run, as on a platform that was
	// detecting before xsoc was deployed.
	Seed func(*Stack) error
	// TemporalDynamicConfig are more --dynamic-config-value settings for the dev server
	// (key=value), beside those xsoc needs everywhere (api.ServerDynamicConfig).
	TemporalDynamicConfig []string
	// Syslog turns on the starter's syslog listeners, TCP and UDP, on free ports of
	// 127.0.0.1 (the caller's environment may set them instead, as make run's does).
	Syslog bool
	// Cluster runs a Temporal cluster instead of the dev server: the Temporal server
	// built from source, on a PostgreSQL of its own for persistence and SQL advanced
	// visibility, its frontend behind mutual TLS with a CA made for it (cluster.go).
	Cluster bool
	// Workers and Starters are how many replicas of each run (default 1). Several
	// starters are reached at one address (StarterURL), which spreads requests over
	// them as a load balancer does.
	Workers, Starters int
	// Logf hears what takes long before anything answers (builds, installs); nil: silence.
	Logf func(format string, args ...any)
	// CodecSSOUser puts an SSO proxy in front of the codec server for the UI (with UI):
	// the UI's codec endpoint is the proxy, which names every request as this person in
	// SSOHeader; the starter believes that header from 127.0.0.1 only
	// (XSOC_CODEC_IDENTITY_HEADER, XSOC_CODEC_TRUSTED_PROXIES). What the UI sends is then
	// stamped as this person, via sso.
	CodecSSOUser string
}

// Stack is a running xsoc.
type Stack struct {
	Dir string
	Bin string
	// Logs holds one log per process: temporal.log, mailpit.log, worker.log, starter.log
	// (worker-1.log, … for replicas; postgres.log on a cluster).
	Logs string
	// Temporal is a client of the dev server or the cluster.
	Temporal client.Client
	Dev      *DevServer // nil on a cluster
	Cluster  *Cluster   // nil on the dev server
	// StarterURL is the starter's base URL: with several starters, the balancer's in
	// front of them, whose replicas' own URLs are StarterURLs.
	StarterURL  string
	StarterURLs []string
	MailpitURL  string
	// TemporalMetricsURL is the Temporal server's Prometheus endpoint (…/metrics).
	TemporalMetricsURL string
	// WorkerMetricsURL is the worker's own Prometheus endpoint (…/metrics): the SDK's
	// metrics; its /readyz beside it.
	WorkerMetricsURL string
	// SimulatorURLs are the simulators' base URLs by name.
	SimulatorURLs map[string]string
	// SyslogTCP and SyslogUDP are the starter's syslog listeners (host:port), "" when off.
	SyslogTCP, SyslogUDP string
	// Env is the worker's and starter's environment.
	Env []string
	// ClientOptions dial Temporal with the worker's and starter's payload codec; Temporal
	// is a client dialled with them.
	ClientOptions client.Options

	Cybereason *cybereasonsim.Server
	WithSecure *withsecuresim.Server
	Zscaler    *zscalersim.Server
	Slack      *slacksim.Server
	Twilio     *twiliosim.Server

	temporary bool
	keyFile   string // XSOC_CODEC_KEY_FILE=… of the processes
	// uiCodec is the SSO proxy's base URL, the UI's codec endpoint (Options.CodecSSOUser).
	uiCodec   string
	ring      *codec.Ring
	addresses Addresses
	// workers and starters are the names of the replicas' parts.
	workers, starters []string
	servers           []*http.Server
	ended             chan *ComponentError
	mu                sync.Mutex
	parts             []*component
}

// DevServer is the Temporal dev server the stack runs.
type DevServer struct {
	address string
	uiURL   string
}

// FrontendHostPort answers the dev server's gRPC address.
func (d *DevServer) FrontendHostPort() string { return d.address }

// UIURL answers the Temporal UI's base URL ("" when the dev server runs headless).
func (d *DevServer) UIURL() string { return d.uiURL }

// Start builds the worker and starter, starts every part and returns once each one
// answers: the dev server (a client connects), Mailpit (its API and SMTP port), the
// simulators, the worker (it polls the task queue) and the starter (/readyz). A part
// that fails is a *ComponentError (several, joined, when several addresses are taken).
// On error the caller still gets the partial stack, to read its logs and Stop it.
//
// A stack on ports of its own choosing (no Addresses, no Dir: the tests, the
// benchmark) starts again on other ports when one it found free was taken by another
// process before its part bound it: test packages start their stacks side by side.
func Start(ctx context.Context, options Options) (*Stack, error) {
	for attempt := 1; ; attempt++ {
		s, err := start(ctx, options)
		if err == nil || attempt == 3 || !portTakenMeanwhile(err, options) {
			return s, err
		}
		if s != nil {
			s.Stop()
		}
	}
}

// portTakenMeanwhile tells whether a start failed on a port the stack chose.
func portTakenMeanwhile(err error, options Options) bool {
	chosen := options.Dir == "" && options.Addresses.Temporal == "" && options.Addresses.Starter == "" && options.Addresses.Postgres == ""
	return chosen && (errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address already in use"))
}

func start(ctx context.Context, options Options) (*Stack, error) {
	s := &Stack{Dir: options.Dir, ended: make(chan *ComponentError, 1)}
	if s.Dir == "" {
		dir, err := os.MkdirTemp("", "xsoc-stack-")
		if err != nil {
			return nil, err
		}
		s.Dir, s.temporary = dir, true
	}
	// PostgreSQL and the Temporal server run in directories of their own: paths in
	// their settings must not depend on the working directory.
	dir, err := filepath.Abs(s.Dir)
	if err != nil {
		return s, err
	}
	s.Dir = dir
	s.Bin, s.Logs = filepath.Join(s.Dir, "bin"), filepath.Join(s.Dir, "logs")
	workers, starters := max(1, options.Workers), max(1, options.Starters)
	s.addresses = options.Addresses.withFreePorts(options.UI, options.Cluster, starters)
	mailpitBin, err := Tool("XSOC_MAILPIT_BIN", "mailpit")
	if err != nil {
		return s, err
	}
	// The generated payload key lives beside the dev server's database, as long as what
	// it encrypts; keys in the caller's environment take precedence, as in the processes.
	s.keyFile = config.EnvCodecKeyFile + "=" + filepath.Join(s.Dir, "codec.key")
	ring, err := config.LoadCodec(lookup(slices.Concat(os.Environ(), []string{s.keyFile}, options.Env)), slog.New(slog.DiscardHandler))
	if err != nil {
		return s, err
	}
	// Temporal is the dev server, or the cluster's PostgreSQL and server.
	var temporal []*component
	if options.Cluster {
		if temporal, err = s.clusterParts(options); err != nil {
			return s, err
		}
	} else {
		temporalBin, err := Tool("XSOC_TEMPORAL_BIN", "temporal")
		if err != nil {
			return s, err
		}
		if options.UI && options.CodecSSOUser != "" {
			if s.uiCodec, err = s.startSSOProxy(options.CodecSSOUser); err != nil {
				return s, err
			}
		}
		temporal = []*component{s.temporal(temporalBin, options)}
		s.ClientOptions = client.Options{HostPort: s.addresses.Temporal, Namespace: "default"}
	}
	s.ClientOptions, s.ring = config.WithCodec(s.ClientOptions, ring), ring
	mailpit := s.mailpit(mailpitBin)
	var replicas []*component
	for i := range workers {
		// The first worker's metrics are at the stack's address; replicas take free ones.
		metrics := s.addresses.WorkerMetrics
		if i > 0 {
			metrics = FreeAddress()
		}
		replicas = append(replicas, s.worker(replicaName("worker", i, workers), metrics))
	}
	for i := range starters {
		replicas = append(replicas, s.starter(replicaName("starter", i, starters), i))
	}
	// Every address is tried before anything starts, so that each one taken is
	// reported at once rather than after the dev server's start.
	checks := []error{s.startSimulators(), mailpit.checkFree()}
	for _, part := range slices.Concat(temporal, replicas) {
		checks = append(checks, part.checkFree())
	}
	if starters > 1 {
		if err := addressFree(s.addresses.Starter); err != nil {
			checks = append(checks, &ComponentError{Component: "starters' balancer", Err: err, Addresses: []string{listen{s.addresses.Starter, starterSetting}.String()}})
		}
	}
	if err := errors.Join(checks...); err != nil {
		return s, err
	}
	build := exec.CommandContext(ctx, "go", "build", "-o", s.Bin+"/", "xsoc/worker", "xsoc/starter")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return s, fmt.Errorf("building worker and starter: %w", err)
	}
	if options.Cluster {
		err = s.launchCluster(ctx, options, temporal, mailpit)
	} else {
		err = s.launch(ctx, temporal[0], mailpit)
	}
	if err != nil {
		return s, err
	}
	if options.Seed != nil {
		if err := options.Seed(s); err != nil {
			return s, fmt.Errorf("seeding the simulators: %w", err)
		}
	}
	if s.Env, err = s.processEnv(options); err != nil {
		return s, err
	}
	s.WorkerMetricsURL = "http://" + s.addresses.WorkerMetrics + "/metrics"
	s.SyslogTCP, s.SyslogUDP = lookup(s.Env)("XSOC_SYSLOG_TCP"), lookup(s.Env)("XSOC_SYSLOG_UDP")
	firstStarter := true
	for _, part := range replicas {
		part.env = slices.Concat(s.Env, part.env)
		if !strings.HasPrefix(part.name, "starter") {
			continue
		}
		// One starter takes syslog: the others cannot bind its ports.
		if firstStarter && s.SyslogTCP != "" {
			part.listens = append(part.listens, listen{s.SyslogTCP, "XSOC_SYSLOG_TCP"})
		} else if !firstStarter {
			part.env = append(part.env, "XSOC_SYSLOG_TCP=", "XSOC_SYSLOG_UDP=", "XSOC_SYSLOG_TLS=")
		}
		firstStarter = false
	}
	if err := s.launch(ctx, replicas...); err != nil {
		return s, err
	}
	if starters > 1 {
		return s, s.serveBalancer()
	}
	return s, nil
}

// replicaName is a replica's part name: "worker" alone, "worker-1" and "worker-2" when
// two run.
func replicaName(kind string, i, of int) string {
	if of == 1 {
		return kind
	}
	return fmt.Sprintf("%s-%d", kind, i+1)
}

// logf tells the caller what takes long, when it listens.
func (o Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// launch starts parts together and waits until each answers, returning the first
// failure.
func (s *Stack) launch(ctx context.Context, parts ...*component) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the others stop waiting once one has failed
	results := make(chan error, len(parts))
	for _, part := range parts {
		part.ended = s.ended
		if err := part.start(); err != nil {
			return err
		}
		s.mu.Lock()
		s.parts = append(s.parts, part)
		s.mu.Unlock()
		go func() { results <- part.waitAnswers(ctx, answerWithin) }()
	}
	for range parts {
		if err := <-results; err != nil {
			return err
		}
	}
	return nil
}

// temporal is the dev server: every flag it starts with is here, in one place.
func (s *Stack) temporal(temporalBin string, options Options) *component {
	host, port, _ := net.SplitHostPort(s.addresses.Temporal)
	args := []string{"server", "start-dev", "--ip", host, "--port", port, "--namespace", "default",
		"--log-level", cmp.Or(options.TemporalLogLevel, "error"),
		// The dev server otherwise asks the internet for newer versions.
		"--dynamic-config-value", "frontend.enableServerVersionCheck=false"}
	_, metricsPort, _ := net.SplitHostPort(s.addresses.TemporalMetrics)
	args = append(args, "--metrics-port", metricsPort)
	s.TemporalMetricsURL = "http://" + net.JoinHostPort(host, metricsPort) + "/metrics"
	listens := []listen{{s.addresses.Temporal, temporalSetting}}
	s.Dev = &DevServer{address: s.addresses.Temporal}
	if options.UI {
		// The UI decodes incidents through the starter's codec server.
		args = append(args, "--ui-port", s.addresses.TemporalUI, "--ui-codec-endpoint", cmp.Or(s.uiCodec, "http://"+s.addresses.Starter)+"/v1/codec")
		listens = append(listens, listen{net.JoinHostPort(host, s.addresses.TemporalUI), uiSetting})
		s.Dev.uiURL = "http://" + net.JoinHostPort(hostForURL(host), s.addresses.TemporalUI)
	} else {
		args = append(args, "--headless")
	}
	if options.PersistDB {
		args = append(args, "--db-filename", filepath.Join(s.Dir, "temporal.db"))
	}
	// Task priority and Triage's admissions by Update need dynamic config that is off
	// by default (and the same on a cluster: see docs/configuration.md).
	for _, value := range slices.Concat(api.ServerDynamicConfig, options.TemporalDynamicConfig) {
		args = append(args, "--dynamic-config-value", value)
	}
	for _, pragma := range options.SQLitePragmas {
		args = append(args, "--sqlite-pragma", pragma)
	}
	for _, attribute := range api.SearchAttributeTypes {
		args = append(args, "--search-attribute", attribute)
	}
	return &component{
		name: "temporal", title: "Temporal dev server", path: temporalBin, args: args, env: os.Environ(),
		log: filepath.Join(s.Logs, "temporal.log"), listens: listens,
		answers: func(ctx context.Context) error {
			if err := s.temporalAnswers(ctx); err != nil {
				return err
			}
			if s.Dev.uiURL != "" {
				return httpOK(ctx, s.Dev.uiURL)
			}
			return nil
		},
	}
}

// temporalAnswers dials the stack's client at the first answer and checks the
// server's health after: a restarted server is reached again by the client dialled
// earlier, once it serves.
func (s *Stack) temporalAnswers(ctx context.Context) error {
	if s.Temporal == nil {
		c, err := client.DialContext(ctx, s.ClientOptions)
		if err != nil {
			return err
		}
		s.Temporal = c
		return nil
	}
	_, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

func (s *Stack) mailpit(mailpitBin string) *component {
	s.MailpitURL = "http://" + s.addresses.Mailpit
	args := []string{"--listen", s.addresses.Mailpit, "--smtp", s.addresses.SMTP,
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--database", filepath.Join(s.Dir, "mailpit.db")}
	if s.temporary {
		// Mailpit keeps its last 500 messages by default, which suits make run's kept
		// database; a test counts every page of a storm.
		args = append(args, "--max", "0")
	}
	return &component{
		name: "mailpit", title: "Mailpit", path: mailpitBin, env: os.Environ(), args: args,
		log:     filepath.Join(s.Logs, "mailpit.log"),
		listens: []listen{{s.addresses.Mailpit, mailpitSetting}, {s.addresses.SMTP, smtpSetting}},
		answers: func(ctx context.Context) error {
			if err := httpOK(ctx, s.MailpitURL+"/api/v1/messages?limit=1"); err != nil {
				return err
			}
			conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.addresses.SMTP)
			if err != nil {
				return err
			}
			return conn.Close()
		},
	}
}

// worker is a worker replica serving its metrics and /readyz at metricsAddress.
func (s *Stack) worker(name, metricsAddress string) *component {
	s.workers = append(s.workers, name)
	worker := s.newWorker(name, filepath.Join(s.Bin, "worker"), metricsAddress)
	worker.env = []string{workerMetricsSetting + "=" + metricsAddress}
	return worker
}

// newWorker is a worker process serving its metrics and /readyz at metricsAddress: it
// answers once /readyz does, which the worker serves once it polls the task queue, its
// build's promotion is settled and the customers' entities run.
func (s *Stack) newWorker(name, path, metricsAddress string) *component {
	readyz := "http://" + metricsAddress + "/readyz"
	return &component{
		name: name, path: path, log: filepath.Join(s.Logs, name+".log"),
		listens: []listen{{metricsAddress, workerMetricsSetting}},
		answers: func(ctx context.Context) error { return httpOK(ctx, readyz) },
	}
}

// BuildWorker builds the worker into the stack's bin directory as name, with its build
// id stamped in at link time as a release build would be (-ldflags -X): the same
// code as a different build, for a deploy beside the running one.
func (s *Stack) BuildWorker(ctx context.Context, name, buildID string) (string, error) {
	path := filepath.Join(s.Bin, name)
	build := exec.CommandContext(ctx, "go", "build", "-ldflags", "-X xsoc/config.stampedBuildID="+buildID, "-o", path, "xsoc/worker")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building worker %s: %w\n%s", buildID, err, out)
	}
	return path, nil
}

// StartWorker starts one more worker from a binary (BuildWorker), with the stack's
// environment plus env, its metrics on a free port, and waits until it answers. It
// runs beside the stack's own worker — a second build of a rainbow deploy, or a
// replica — and StopPart, Kill and StartPart take its name. It answers the worker's
// metrics URL.
func (s *Stack) StartWorker(name, path string, env ...string) (string, error) {
	if _, err := s.part(name); err == nil {
		return "", fmt.Errorf("the stack has a process named %s already", name)
	}
	address := FreeAddress()
	part := s.newWorker(name, path, address)
	part.env = slices.Concat(s.Env, []string{workerMetricsSetting + "=" + address}, env)
	return "http://" + address + "/metrics", s.launch(context.Background(), part)
}

// starter is the i-th starter replica. One starter listens at the stack's starter
// address; several listen at their own, behind the balancer at the stack's.
func (s *Stack) starter(name string, i int) *component {
	s.starters = append(s.starters, name)
	s.StarterURL = "http://" + s.addresses.Starter
	address := s.addresses.Starters[i]
	url := "http://" + address
	s.StarterURLs = append(s.StarterURLs, url)
	setting := starterSetting
	if len(s.addresses.Starters) > 1 {
		setting = startersSetting
	}
	return &component{
		name: name, path: filepath.Join(s.Bin, "starter"),
		log:     filepath.Join(s.Logs, name+".log"),
		env:     []string{"XSOC_LISTEN=" + address},
		listens: []listen{{address, setting}},
		answers: func(ctx context.Context) error { return httpOK(ctx, url+"/readyz") },
	}
}

// Workers answers the part names of the worker replicas ("worker", or "worker-1", …).
func (s *Stack) Workers() []string { return slices.Clone(s.workers) }

// Starters answers the part names of the starter replicas.
func (s *Stack) Starters() []string { return slices.Clone(s.starters) }

// processEnv is the worker's and starter's environment: the caller's, then the
// stack's settings, then Options.Env.
func (s *Stack) processEnv(options Options) ([]string, error) {
	smtpHost, smtpPort, _ := net.SplitHostPort(s.addresses.SMTP)
	uiURL := ""
	if s.Dev != nil {
		uiURL = s.Dev.uiURL
	}
	env := slices.Concat(os.Environ(), s.TemporalEnv(), []string{
		// The stack's worker is the code under test: its build serves new work at once,
		// even over a kept database whose current version is an earlier build.
		"XSOC_PROMOTE_VERSION=always",
		"XSOC_LISTEN=" + s.addresses.Starter, "XSOC_PUBLIC_URL=" + s.StarterURL,
		"XSOC_SMTP_HOST=" + smtpHost, "XSOC_SMTP_PORT=" + smtpPort, "XSOC_SMTP_FROM=xsoc@soc.example",
		"XSOC_UI_URL=" + cmp.Or(uiURL, "http://ui.test"), s.keyFile,
	})
	if !options.OwnSlack {
		env = append(env, "XSOC_SLACK_TOKEN=xoxb-test", "XSOC_SLACK_SIGNING_SECRET="+SlackSigningSecret,
			"XSOC_SLACK_API_URL="+s.SimulatorURLs["slack"]+"/api/")
	}
	if !options.OwnTwilio {
		env = append(env, "XSOC_TWILIO_ACCOUNT_SID="+TwilioSID, "XSOC_TWILIO_AUTH_TOKEN="+TwilioToken,
			"XSOC_TWILIO_FROM=+15005550006", "XSOC_TWILIO_API_URL="+s.SimulatorURLs["twilio"])
	}
	if options.Syslog {
		env = append(env, "XSOC_SYSLOG_TCP="+FreeAddress(), "XSOC_SYSLOG_UDP="+FreeUDPAddress())
	}
	if s.uiCodec != "" {
		env = append(env, "XSOC_CODEC_IDENTITY_HEADER="+SSOHeader, "XSOC_CODEC_TRUSTED_PROXIES=127.0.0.1/32")
	}
	if options.Customers != nil {
		customers, err := options.Customers(s.SimulatorURLs)
		if err != nil {
			return nil, fmt.Errorf("rendering the customers file: %w", err)
		}
		customersFile := filepath.Join(s.Dir, "customers.yaml")
		if err := os.WriteFile(customersFile, customers, 0o600); err != nil {
			return nil, err
		}
		env = append(env, "XSOC_CUSTOMERS_FILE="+customersFile)
	}
	return append(env, options.Env...), nil
}

// startSimulators serves every simulator from this process.
func (s *Stack) startSimulators() error {
	s.Cybereason = cybereasonsim.New(CybereasonUser, CybereasonPassword)
	s.WithSecure = withsecuresim.New(WithSecureClientID, WithSecureSecret)
	s.Zscaler = zscalersim.New(ZscalerAPIKey, ZscalerUser, ZscalerPassword)
	s.Slack = slacksim.New(SlackSigningSecret)
	s.Twilio = twiliosim.New(TwilioSID, TwilioToken)
	handlers := map[string]http.Handler{
		"cybereason": s.Cybereason, "withsecure": s.WithSecure, "zscaler": s.Zscaler, "slack": s.Slack, "twilio": s.Twilio,
	}
	s.SimulatorURLs = map[string]string{}
	var errs []error
	for _, name := range SimulatorNames {
		address := s.addresses.Simulators[name]
		listener, err := net.Listen("tcp", address)
		if err != nil {
			setting := simulatorSetting(name)
			if name != "slack" && name != "twilio" { // whose URLs the stack hands to the worker itself
				setting += " and the customers file's " + name + " url"
			}
			errs = append(errs, &ComponentError{Component: name + " simulator", Err: err, Addresses: []string{listen{address, setting}.String()}})
			continue
		}
		server := &http.Server{Handler: handlers[name], ReadHeaderTimeout: 10 * time.Second}
		s.servers = append(s.servers, server)
		s.SimulatorURLs[name] = "http://" + listener.Addr().String()
		go func() {
			if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
				select {
				case s.ended <- &ComponentError{Component: name + " simulator", Err: err}:
				default: // one failure is enough to stop the stack
				}
			}
		}()
	}
	return errors.Join(errs...)
}

// Wait returns when ctx ends (nil) or when a part stops that the stack did not stop:
// that part's *ComponentError.
func (s *Stack) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case failure := <-s.ended:
		return failure
	}
}

// PID answers the process id of a process the stack started (temporal, mailpit,
// worker, starter; postgres on a cluster; replicas by their names, Workers()).
func (s *Stack) PID(name string) (int, error) {
	part, err := s.part(name)
	if err != nil {
		return 0, err
	}
	return part.cmd.Process.Pid, nil
}

// Restart stops a process the stack started (gracefully, as Stop does), starts it
// again with the same environment plus env (later values win, e.g. rotated keys) and
// waits until it answers: a restarted worker starts with an empty cache.
func (s *Stack) Restart(name string, env ...string) error {
	if err := s.StopPart(name); err != nil {
		return err
	}
	return s.StartPart(name, env...)
}

// StopPart stops one process the stack started (gracefully, as Stop does) and leaves
// it down until StartPart: an outage of Temporal, Mailpit, the worker or the starter.
// The dev server keeps its state across the outage only with Options.PersistDB.
func (s *Stack) StopPart(name string) error {
	part, err := s.part(name)
	if err != nil {
		return err
	}
	part.stop()
	return nil
}

// Kill ends one process with SIGKILL, as a crash or the kernel's OOM killer does:
// nothing of its shutdown runs. It stays down until StartPart.
func (s *Stack) Kill(name string) error {
	part, err := s.part(name)
	if err != nil {
		return err
	}
	part.kill()
	return nil
}

// StopWith ends one process with a signal of the caller's choosing and waits for it
// (killing it after 10 s): PostgreSQL's immediate shutdown (SIGQUIT) is a crash it
// recovers from at its next start. It stays down until StartPart.
func (s *Stack) StopWith(name string, sig os.Signal) error {
	part, err := s.part(name)
	if err != nil {
		return err
	}
	part.signal(sig)
	part.awaitExit()
	return nil
}

// StartPart starts a process that StopPart or Kill took down, with the same
// environment plus env (later values win), and waits until it answers.
func (s *Stack) StartPart(name string, env ...string) error {
	part, err := s.part(name)
	if err != nil {
		return err
	}
	if part.running() {
		return fmt.Errorf("%s is running: stop it first", name)
	}
	part.env = slices.Concat(part.env, env) // a copy: the parts share the stack's slice
	if err := part.start(); err != nil {
		return err
	}
	return part.waitAnswers(context.Background(), answerWithin)
}

func (s *Stack) part(name string) (*component, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, part := range s.parts {
		if part.name == name {
			return part, nil
		}
	}
	return nil, fmt.Errorf("no process %q in the stack", name)
}

// Stop interrupts the processes (killing those that do not end within 10 s), closes
// the simulators and the client, and removes the stack's directory if it made it.
func (s *Stack) Stop() {
	s.mu.Lock()
	parts := s.parts
	s.mu.Unlock()
	// PostgreSQL goes last: the Temporal server's shutdown still writes to it.
	last := slices.DeleteFunc(slices.Clone(parts), func(p *component) bool { return p.name != "postgres" })
	first := slices.DeleteFunc(slices.Clone(parts), func(p *component) bool { return p.name == "postgres" })
	for _, wave := range [][]*component{first, last} {
		for _, part := range wave {
			part.interrupt()
		}
		for _, part := range wave {
			part.awaitExit()
		}
	}
	for _, server := range s.servers {
		_ = server.Close()
	}
	if s.Temporal != nil {
		s.Temporal.Close()
	}
	if s.temporary {
		_ = os.RemoveAll(s.Dir)
	}
}

// TemporalEnv answers the TEMPORAL_* settings that reach the stack's Temporal: those the
// worker and starter run with, which the temporal CLI reads too.
func (s *Stack) TemporalEnv() []string {
	env := []string{"TEMPORAL_ADDRESS=" + s.addresses.Temporal, "TEMPORAL_NAMESPACE=default"}
	if s.Cluster != nil {
		env = append(env, "TEMPORAL_TLS_CA="+s.Cluster.ClientTLS.CA,
			"TEMPORAL_TLS_CERT="+s.Cluster.ClientTLS.Cert, "TEMPORAL_TLS_KEY="+s.Cluster.ClientTLS.Key)
	}
	return env
}

// maxDumpedLine is as much of a log line as DumpLogs writes.
const maxDumpedLine = 600

// DumpLogs writes the last lines of the workers' and starters' logs (and the
// cluster's server's).
func (s *Stack) DumpLogs(w io.Writer, lines int) {
	names := slices.Concat(s.workers, s.starters)
	if s.Cluster != nil {
		names = append(names, "temporal", "postgres")
	}
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(s.Logs, name+".log"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			_, _ = fmt.Fprintf(w, "--- %s.log: %v ---\n", name, err)
			continue
		}
		all := strings.Split(string(data), "\n")
		last := all[max(0, len(all)-lines):]
		for i, line := range last {
			// The Temporal server's lines carry their stack traces.
			if len(line) > maxDumpedLine {
				last[i] = line[:maxDumpedLine] + " …"
			}
		}
		_, _ = fmt.Fprintf(w, "--- last lines of %s.log ---\n%s\n", name, strings.Join(last, "\n"))
	}
}

// Tool finds a binary `make tools` installs: the path in envName, or GOPATH/bin/name.
func Tool(envName, name string) (string, error) {
	if path := os.Getenv(envName); path != "" {
		return path, nil
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return "", err
	}
	path := filepath.Join(strings.TrimSpace(string(gopath)), "bin", name)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s not found at %s: run `make tools`, which installs it", name, path)
	}
	return path, nil
}

// httpOK fails unless a GET of url answers 200.
func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// hostForURL is the host a browser reaches a listening IP by.
func hostForURL(ip string) string {
	if ip == "" || ip == "0.0.0.0" || ip == "127.0.0.1" {
		return "localhost"
	}
	return ip
}

// lookup reads a variable of env as exec does: the last value wins.
func lookup(env []string) func(string) string {
	return func(name string) string {
		for i := len(env) - 1; i >= 0; i-- {
			if value, ok := strings.CutPrefix(env[i], name+"="); ok {
				return value
			}
		}
		return ""
	}
}
