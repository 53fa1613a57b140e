// Package devstack starts the whole xsoc on this machine — the Temporal dev server,
// Mailpit, the vendor, Slack and Twilio simulators (in this process), and the worker and
// starter built from this module — for the end-to-end tests and the benchmark.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"xsoc/config"
	cybereasonsim "xsoc/integrations/cybereason/sim"
	slacksim "xsoc/integrations/slack/sim"
	twiliosim "xsoc/integrations/twilio/sim"
	withsecuresim "xsoc/integrations/withsecure/sim"
	zscalersim "xsoc/integrations/zscaler/sim"
	"xsoc/workflows"
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

// Options say what differs between the stacks the tests and the benchmark run.
type Options struct {
	// Customers renders the customers file from the simulators' base URLs
	// (keys cybereason, withsecure, zscaler, slack, twilio).
	Customers func(simulators map[string]string) ([]byte, error)
	// Env is added to the worker's and starter's environment: the variables the
	// customers file names (webhook secrets, vendor credentials).
	Env []string
	// PersistDB keeps the dev server's state in a SQLite file, as `make run` does;
	// otherwise it lives in memory.
	PersistDB bool
	// SQLitePragmas are the dev server's --sqlite-pragma values ("journal_mode=wal").
	SQLitePragmas []string
}

// Stack is a running xsoc. Its directory holds the binaries, the customers file and
// one log per process; Stop removes it.
type Stack struct {
	Dir        string
	Bin        string
	Temporal   client.Client
	Dev        *testsuite.DevServer
	StarterURL string
	MailpitURL string
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

	servers   []*httptest.Server
	mu        sync.Mutex
	processes []*process
}

type process struct {
	name string
	path string
	env  []string
	args []string
	cmd  *exec.Cmd
}

// Start builds the worker and starter, starts every part and waits until the starter
// is ready and Mailpit answers. On error the caller still gets the partial stack, to
// read its logs and Stop it.
func Start(ctx context.Context, options Options) (*Stack, error) {
	dir, err := os.MkdirTemp("", "xsoc-stack-")
	if err != nil {
		return nil, err
	}
	s := &Stack{Dir: dir, Bin: filepath.Join(dir, "bin")}
	temporalBin, err := Tool("XSOC_TEMPORAL_BIN", "temporal")
	if err != nil {
		return s, err
	}
	mailpitBin, err := Tool("XSOC_MAILPIT_BIN", "mailpit")
	if err != nil {
		return s, err
	}
	build := exec.CommandContext(ctx, "go", "build", "-o", s.Bin+"/", "xsoc/worker", "xsoc/starter")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return s, fmt.Errorf("building worker and starter: %w", err)
	}

	starterAddress := FreeAddress()
	s.StarterURL = "http://" + starterAddress
	// The generated payload key lives beside the dev server's database, as long as what
	// it encrypts; keys in the caller's environment take precedence, as in the processes.
	keyFile := config.EnvCodecKeyFile + "=" + filepath.Join(dir, "codec.key")
	ring, err := config.LoadCodec(lookup(append(append(os.Environ(), keyFile), options.Env...)), slog.New(slog.DiscardHandler))
	if err != nil {
		return s, err
	}
	s.ClientOptions = config.WithCodec(client.Options{HostPort: FreeAddress(), Namespace: "default"}, ring)
	if err := s.startTemporal(ctx, temporalBin, options); err != nil {
		return s, err
	}
	smtpAddress, mailpitHTTP := FreeAddress(), FreeAddress()
	s.MailpitURL = "http://" + mailpitHTTP
	if err := s.spawn("mailpit", mailpitBin, nil, "--listen", mailpitHTTP, "--smtp", smtpAddress,
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--database", filepath.Join(dir, "mailpit.db")); err != nil {
		return s, err
	}
	urls := s.startSimulators()

	customersFile := filepath.Join(dir, "customers.yaml")
	customers, err := options.Customers(urls)
	if err != nil {
		return s, fmt.Errorf("rendering the customers file: %w", err)
	}
	if err := os.WriteFile(customersFile, customers, 0o600); err != nil {
		return s, err
	}
	smtpHost, smtpPort, _ := net.SplitHostPort(smtpAddress)
	s.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+s.Dev.FrontendHostPort(), "TEMPORAL_NAMESPACE=default",
		"XSOC_CUSTOMERS_FILE="+customersFile, "XSOC_LISTEN="+starterAddress, "XSOC_PUBLIC_URL="+s.StarterURL,
		"XSOC_SMTP_HOST="+smtpHost, "XSOC_SMTP_PORT="+smtpPort, "XSOC_SMTP_FROM=xsoc@soc.example",
		"XSOC_SLACK_TOKEN=xoxb-test", "XSOC_SLACK_SIGNING_SECRET="+SlackSigningSecret, "XSOC_SLACK_API_URL="+urls["slack"]+"/api/",
		"XSOC_TWILIO_ACCOUNT_SID="+TwilioSID, "XSOC_TWILIO_AUTH_TOKEN="+TwilioToken, "XSOC_TWILIO_FROM=+15005550006",
		"XSOC_TWILIO_API_URL="+urls["twilio"], "XSOC_UI_URL=http://ui.test", keyFile,
	)
	s.Env = append(s.Env, options.Env...)
	for _, name := range []string{"worker", "starter"} {
		if err := s.spawn(name, filepath.Join(s.Bin, name), s.Env); err != nil {
			return s, err
		}
	}
	return s, s.waitReady(ctx)
}

func (s *Stack) startTemporal(ctx context.Context, temporalBin string, options Options) error {
	// The UI decodes incidents through the starter's codec server.
	args := []string{"--ui-codec-endpoint", s.StarterURL + "/v1/codec"}
	for _, attribute := range workflows.SearchAttributeTypes {
		args = append(args, "--search-attribute", attribute)
	}
	// Task priority (critical incidents served before a storm of lower ones) needs the
	// new matcher, off by default in the dev server (and on a cluster: see README).
	args = append(args, "--dynamic-config-value", "matching.useNewMatcher=true")
	for _, pragma := range options.SQLitePragmas {
		args = append(args, "--sqlite-pragma", pragma)
	}
	var db string
	if options.PersistDB {
		db = filepath.Join(s.Dir, "temporal.db")
	}
	temporalLog, err := os.Create(filepath.Join(s.Dir, "temporal.log"))
	if err != nil {
		return err
	}
	s.Dev, err = testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  temporalBin,
		ClientOptions: &s.ClientOptions,
		DBFilename:    db,
		LogLevel:      "error",
		ExtraArgs:     args,
		Stdout:        temporalLog, Stderr: temporalLog,
	})
	if err != nil {
		return fmt.Errorf("starting the Temporal dev server: %w", err)
	}
	s.Temporal = s.Dev.Client()
	return nil
}

func (s *Stack) startSimulators() map[string]string {
	s.Cybereason = cybereasonsim.New(CybereasonUser, CybereasonPassword)
	s.WithSecure = withsecuresim.New(WithSecureClientID, WithSecureSecret)
	s.Zscaler = zscalersim.New(ZscalerAPIKey, ZscalerUser, ZscalerPassword)
	s.Slack = slacksim.New(SlackSigningSecret)
	s.Twilio = twiliosim.New(TwilioSID, TwilioToken)
	urls := map[string]string{}
	for name, handler := range map[string]http.Handler{
		"cybereason": s.Cybereason, "withsecure": s.WithSecure, "zscaler": s.Zscaler, "slack": s.Slack, "twilio": s.Twilio,
	} {
		server := httptest.NewServer(handler)
		s.servers = append(s.servers, server)
		urls[name] = server.URL
	}
	return urls
}

// spawn starts a process whose output goes to <dir>/<name>.log (appended, so that a
// restarted process keeps its earlier lines).
func (s *Stack) spawn(name, path string, env []string, args ...string) error {
	p := &process{name: name, path: path, env: env, args: args}
	if err := s.run(p); err != nil {
		return err
	}
	s.mu.Lock()
	s.processes = append(s.processes, p)
	s.mu.Unlock()
	return nil
}

func (s *Stack) run(p *process) error {
	log, err := os.OpenFile(filepath.Join(s.Dir, p.name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.path, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("starting %s: %w", p.name, err)
	}
	// The child holds its own descriptor; ours is not needed once it runs.
	log.Close()
	p.cmd = cmd
	return nil
}

func (s *Stack) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if ok(s.StarterURL+"/readyz") && ok(s.MailpitURL+"/api/v1/messages?limit=1") {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the starter did not get ready at %s", s.StarterURL)
}

func ok(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// PID answers the process id of a process the stack started (worker, starter, mailpit).
func (s *Stack) PID(name string) (int, error) {
	p, err := s.process(name)
	if err != nil {
		return 0, err
	}
	return p.cmd.Process.Pid, nil
}

// Restart stops a process the stack started (gracefully, as Stop does) and starts it
// again with the same environment plus env (later values win, e.g. rotated keys): a
// restarted worker starts with an empty cache.
func (s *Stack) Restart(name string, env ...string) error {
	p, err := s.process(name)
	if err != nil {
		return err
	}
	halt(p.cmd)
	p.env = slices.Concat(p.env, env) // a copy: the processes share the stack's slice
	return s.run(p)
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

func (s *Stack) process(name string) (*process, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.processes {
		if p.name == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no process %q in the stack", name)
}

// Stop interrupts the processes (killing those that do not end within 10 s), closes
// the simulators, stops the dev server and removes the stack's directory.
func (s *Stack) Stop() {
	s.mu.Lock()
	processes := s.processes
	s.mu.Unlock()
	for _, p := range processes {
		_ = p.cmd.Process.Signal(os.Interrupt)
	}
	for _, p := range processes {
		halt(p.cmd)
	}
	for _, server := range s.servers {
		server.Close()
	}
	if s.Dev != nil {
		_ = s.Dev.Stop()
	}
	_ = os.RemoveAll(s.Dir)
}

// halt interrupts a process and waits for it, killing it after 10 s.
func halt(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// DumpLogs writes the last lines of the worker's and starter's logs.
func (s *Stack) DumpLogs(w io.Writer, lines int) {
	for _, name := range []string{"worker", "starter"} {
		data, err := os.ReadFile(filepath.Join(s.Dir, name+".log"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(w, "--- %s.log: %v ---\n", name, err)
			continue
		}
		all := strings.Split(string(data), "\n")
		fmt.Fprintf(w, "--- last lines of %s.log ---\n%s\n", name, strings.Join(all[max(0, len(all)-lines):], "\n"))
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

// FreeAddress answers a 127.0.0.1 address with a port nobody listens on right now.
func FreeAddress() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}
