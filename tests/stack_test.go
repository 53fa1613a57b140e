// Package tests drives the running system — Temporal dev server, worker, starter,
// Mailpit and the simulators — only through its public surface, as a user would.
package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	cybereasonsim "xsoc/integrations/cybereason/sim"
	slacksim "xsoc/integrations/slack/sim"
	twiliosim "xsoc/integrations/twilio/sim"
	withsecuresim "xsoc/integrations/withsecure/sim"
	zscalersim "xsoc/integrations/zscaler/sim"
	"xsoc/workflows"
)

// stack is the whole xsoc, started once for the package.
type stack struct {
	dir        string
	temporal   client.Client
	starterURL string
	mailpitURL string
	cybereason *cybereasonsim.Server
	withsecure *withsecuresim.Server
	zscaler    *zscalersim.Server
	slack      *slacksim.Server
	twilio     *twiliosim.Server
	servers    []*httptest.Server
	processes  []*exec.Cmd
	dev        *testsuite.DevServer
	env        []string
	bin        string
}

var xsoc *stack

const (
	webhookSecret      = "test-webhook-secret"
	slackSigningSecret = "test-signing-secret"
	twilioSID          = "ACtest00000000000000000000000000"
	twilioToken        = "testtwiliotoken0"
)

func TestMain(m *testing.M) {
	s, err := startStack()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the stack:", err)
		if s != nil {
			s.stop()
		}
		os.Exit(1)
	}
	xsoc = s
	code := m.Run()
	if code != 0 {
		s.dumpLogs()
	}
	s.stop()
	os.Exit(code)
}

func tool(envName, name string) (string, error) {
	if path := os.Getenv(envName); path != "" {
		return path, nil
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return "", err
	}
	path := filepath.Join(strings.TrimSpace(string(gopath)), "bin", name)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s not found at %s: run `make test`, which installs it", name, path)
	}
	return path, nil
}

func freeAddress() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startStack() (*stack, error) {
	dir, err := os.MkdirTemp("", "xsoc-e2e-")
	if err != nil {
		return nil, err
	}
	s := &stack{dir: dir, bin: filepath.Join(dir, "bin")}
	temporalBin, err := tool("XSOC_TEMPORAL_BIN", "temporal")
	if err != nil {
		return s, err
	}
	mailpitBin, err := tool("XSOC_MAILPIT_BIN", "mailpit")
	if err != nil {
		return s, err
	}
	build := exec.Command("go", "build", "-o", s.bin+"/", "xsoc/worker", "xsoc/starter")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return s, fmt.Errorf("building worker and starter: %w", err)
	}

	args := []string{}
	for _, attribute := range workflows.SearchAttributeTypes {
		args = append(args, "--search-attribute", attribute)
	}
	temporalLog, _ := os.Create(filepath.Join(dir, "temporal.log"))
	s.dev, err = testsuite.StartDevServer(context.Background(), testsuite.DevServerOptions{
		ExistingPath:  temporalBin,
		ClientOptions: &client.Options{HostPort: freeAddress(), Namespace: "default"},
		LogLevel:      "error",
		ExtraArgs:     args,
		Stdout:        temporalLog, Stderr: temporalLog,
	})
	if err != nil {
		return s, fmt.Errorf("starting the Temporal dev server: %w", err)
	}
	s.temporal = s.dev.Client()

	smtpAddress, mailpitHTTP := freeAddress(), freeAddress()
	s.mailpitURL = "http://" + mailpitHTTP
	if err := s.spawn("mailpit", mailpitBin, nil, "--listen", mailpitHTTP, "--smtp", smtpAddress,
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--database", filepath.Join(dir, "mailpit.db")); err != nil {
		return s, err
	}

	s.cybereason = cybereasonsim.New("soc@acme.example", "cr-password")
	s.withsecure = withsecuresim.New("ws-client", "ws-secret")
	s.zscaler = zscalersim.New("0123456789abcdef", "admin@acme.example", "zs-password")
	s.slack = slacksim.New(slackSigningSecret)
	s.twilio = twiliosim.New(twilioSID, twilioToken)
	urls := map[string]string{}
	for name, handler := range map[string]http.Handler{
		"cybereason": s.cybereason, "withsecure": s.withsecure, "zscaler": s.zscaler, "slack": s.slack, "twilio": s.twilio,
	} {
		server := httptest.NewServer(handler)
		s.servers = append(s.servers, server)
		urls[name] = server.URL
	}

	starterAddress := freeAddress()
	s.starterURL = "http://" + starterAddress
	customersFile := filepath.Join(dir, "customers.yaml")
	if err := writeCustomers(customersFile, urls); err != nil {
		return s, err
	}
	smtpHost, smtpPort, _ := net.SplitHostPort(smtpAddress)
	s.env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+s.dev.FrontendHostPort(), "TEMPORAL_NAMESPACE=default",
		"XSOC_CUSTOMERS_FILE="+customersFile, "XSOC_LISTEN="+starterAddress, "XSOC_PUBLIC_URL="+s.starterURL,
		"XSOC_SMTP_HOST="+smtpHost, "XSOC_SMTP_PORT="+smtpPort, "XSOC_SMTP_FROM=xsoc@soc.example",
		"XSOC_SLACK_TOKEN=xoxb-test", "XSOC_SLACK_SIGNING_SECRET="+slackSigningSecret, "XSOC_SLACK_API_URL="+urls["slack"]+"/api/",
		"XSOC_TWILIO_ACCOUNT_SID="+twilioSID, "XSOC_TWILIO_AUTH_TOKEN="+twilioToken, "XSOC_TWILIO_FROM=+15005550006",
		"XSOC_TWILIO_API_URL="+urls["twilio"], "XSOC_UI_URL=http://ui.test",
		"ACME_WEBHOOK_SECRET="+webhookSecret, "GLOBEX_WEBHOOK_SECRET="+webhookSecret,
		"ACME_CR_USER=soc@acme.example", "ACME_CR_PASSWORD=cr-password",
		"ACME_WS_ID=ws-client", "ACME_WS_SECRET=ws-secret",
		"ACME_ZS_KEY=0123456789abcdef", "ACME_ZS_USER=admin@acme.example", "ACME_ZS_PASSWORD=zs-password",
	)
	if err := s.spawn("worker", filepath.Join(s.bin, "worker"), s.env); err != nil {
		return s, err
	}
	if err := s.spawn("starter", filepath.Join(s.bin, "starter"), s.env); err != nil {
		return s, err
	}
	return s, s.waitReady()
}

func (s *stack) spawn(name, path string, env []string, args ...string) error {
	log, err := os.Create(filepath.Join(s.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	s.processes = append(s.processes, cmd)
	return nil
}

func (s *stack) waitReady() error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.starterURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				mail, err := http.Get(s.mailpitURL + "/api/v1/messages")
				if err == nil {
					mail.Body.Close()
					return nil
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the starter did not get ready at %s", s.starterURL)
}

func (s *stack) stop() {
	for _, p := range s.processes {
		_ = p.Process.Signal(os.Interrupt)
	}
	for _, p := range s.processes {
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.Process.Kill()
		}
	}
	for _, server := range s.servers {
		server.Close()
	}
	if s.dev != nil {
		_ = s.dev.Stop()
	}
	_ = os.RemoveAll(s.dir)
}

func (s *stack) dumpLogs() {
	for _, name := range []string{"worker", "starter"} {
		data, _ := os.ReadFile(filepath.Join(s.dir, name+".log"))
		lines := strings.Split(string(data), "\n")
		fmt.Fprintf(os.Stderr, "--- last lines of %s.log ---\n%s\n", name, strings.Join(lines[max(0, len(lines)-40):], "\n"))
	}
}

var customersTemplate = template.Must(template.New("").Parse(`customers:
  - id: acme
    name: ACME Manufacturing
    language: en
    services: [detect, respond]
    webhook_secret_env: ACME_WEBHOOK_SECRET
    billing: {plan: per_response, ids: 12000, tickets: [{count: 20, purchased: 2026-04-01}, {count: 5, purchased: 2026-10-01}]}
    platforms:
      - {vendor: cybereason, url: "{{.cybereason}}", username_env: ACME_CR_USER, password_env: ACME_CR_PASSWORD, poll: 1s}
      - {vendor: withsecure, url: "{{.withsecure}}", client_id_env: ACME_WS_ID, secret_env: ACME_WS_SECRET}
      - {vendor: zscaler, url: "{{.zscaler}}", api_key_env: ACME_ZS_KEY, username_env: ACME_ZS_USER, password_env: ACME_ZS_PASSWORD}
    response: {policy: hybrid, critical_hosts: ["fs-*"]}
    sites:
      - {id: osaka, hosts: ["osk-*"], contacts: [{email: osaka-it@acme.example}]}
    sla:
      emergency: {ack: 5m, verdict: 30m, contain: 1h}
      critical:  {ack: 15m, verdict: 1h, contain: 4h}
      high:      {ack: 30m, verdict: 4h, contain: 8h}
      low:       {ack: 2s}
    escalation:
      emergency:
        - {after: 0s, email: it-ml@acme.example}
        - {after: 0s, call: "+81300000001", name: CSO}
      critical:
        - {after: 0s, email: it-ml@acme.example}
        - {after: 0s, slack: "#acme-soc"}
      high: [{after: 0s, email: it-ml@acme.example}]
      low: [{after: 0s, email: low@acme.example}]
    status_updates: [{email: csirt@acme.example}]
  - id: globex
    name: Globex
    services: [detect]
    webhook_secret_env: GLOBEX_WEBHOOK_SECRET
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: soc@globex.example}]
`))

func writeCustomers(path string, urls map[string]string) error {
	var out bytes.Buffer
	if err := customersTemplate.Execute(&out, urls); err != nil {
		return err
	}
	return os.WriteFile(path, out.Bytes(), 0o600)
}

// post sends a body to the starter with the bearer secret.
func post(t *testing.T, path string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	return postWith(t, path, body, map[string]string{"Authorization": "Bearer " + webhookSecret})
}

func postWith(t *testing.T, path string, body []byte, headers map[string]string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, xsoc.starterURL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data, resp.Header
}

type intakeAnswer struct {
	Incidents []workflows.IncidentRef `json:"incidents"`
	Clean     int                     `json:"clean"`
	Error     string                  `json:"error"`
}

func decode[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return v
}

// eventually retries check until it passes or the time runs out.
func eventually(t *testing.T, within time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: %v", what, err)
}
