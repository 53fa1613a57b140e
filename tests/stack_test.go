// Package tests drives the running system — Temporal dev server, worker, starter,
// Mailpit and the simulators — only through its public surface, as a user would.
package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"testing"
	"text/template"
	"time"

	slacksim "xsoc/integrations/slack/sim"
	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows/start"
)

// xsoc is the whole stack, started once for the package.
var xsoc *devstack.Stack

const (
	webhookSecret = "test-webhook-secret"
	// hanakoCodecToken is hanako's own token of the codec server (XSOC_CODEC_TOKENS):
	// what she sends through it is stamped hanako (token).
	hanakoCodecToken = "hanako-codec-token-0123456789"
	// smtpPassword is set, without a user (no SMTP auth against Mailpit without TLS), so
	// that the worker holds it and the secrets test can look for it in histories.
	smtpPassword = "test-smtp-password"
)

func TestMain(m *testing.M) {
	hostname, err := loggerHostname()
	if err != nil {
		fmt.Fprintln(os.Stderr, "the syslog tests need util-linux logger:", err)
		os.Exit(1)
	}
	customers := func(urls map[string]string) ([]byte, error) {
		return customersWith(urls, hostname)
	}
	e2e.Main(m, &xsoc, devstack.Options{Customers: customers, Syslog: true, Env: []string{
		"ACME_WEBHOOK_SECRET=" + webhookSecret, "GLOBEX_WEBHOOK_SECRET=" + webhookSecret,
		"ACME_CR_USER=" + devstack.CybereasonUser, "ACME_CR_PASSWORD=" + devstack.CybereasonPassword,
		"ACME_WS_ID=" + devstack.WithSecureClientID, "ACME_WS_SECRET=" + devstack.WithSecureSecret,
		"ACME_ZS_KEY=" + devstack.ZscalerAPIKey, "ACME_ZS_USER=" + devstack.ZscalerUser, "ACME_ZS_PASSWORD=" + devstack.ZscalerPassword,
		"XSOC_SMTP_PASSWORD=" + smtpPassword,
		"XSOC_CODEC_TOKENS=hanako:" + hanakoCodecToken,
		"XSOC_DASHBOARD_TOKEN=" + metricsToken,
	}})
}

// metricsToken opens the starter's /metrics (the dashboard token, as Prometheus sends it).
const metricsToken = "tests-dashboard-token-0123456789"

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
    analysts: [{name: hanako, slack_user: "{{.hanakoSlack}}"}]
  - id: globex
    name: Globex
    services: [detect]
    webhook_secret_env: GLOBEX_WEBHOOK_SECRET
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: soc@globex.example}]
  - id: initrode
    name: Initrode
    services: [detect]
    webhook_secret_env: GLOBEX_WEBHOOK_SECRET
    billing: {plan: per_response, ids: 50, tickets: [{count: 5, purchased: 2026-10-01}]}
    response: {policy: investigate_first}
    escalation:
      critical: [{after: 0s, email: soc@initrode.example}]
    syslog_sources:
      - {name: hq-fortigate, from: ["127.0.0.1/32"], hostname: "{{.logger_hostname}}", format: cef,
         min_severity: medium, severity: {"7-8": critical, "9-10": emergency}, hosts_from: [dhost, dst, shost, src]}
  - id: hooli
    name: Hooli
    services: [detect]
    webhook_secret_env: GLOBEX_WEBHOOK_SECRET
    response: {policy: investigate_first}
    syslog_sources:
      - {name: lab-ndr, from: ["127.0.0.1/32"], format: leef}
`))

// customersWith is the tests' customers file, pointing at the simulators; initrode's
// firewall is the sender whose syslog hostname is what logger writes on this machine;
// hanako is acme's analyst, with the Slack simulator's member id for her.
func customersWith(urls map[string]string, loggerHostname string) ([]byte, error) {
	data := maps.Clone(urls)
	data["logger_hostname"] = loggerHostname
	data["hanakoSlack"] = slacksim.UserID("hanako")
	var out bytes.Buffer
	err := customersTemplate.Execute(&out, data)
	return out.Bytes(), err
}

// post sends a body to the starter with the bearer secret.
func post(t *testing.T, path string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	return postWith(t, path, body, map[string]string{"Authorization": "Bearer " + webhookSecret})
}

func postWith(t *testing.T, path string, body []byte, headers map[string]string) (int, []byte, http.Header) {
	t.Helper()
	return e2e.Post(t, xsoc.StarterURL+path, body, headers)
}

type intakeAnswer struct {
	Incidents []start.IncidentRef `json:"incidents"`
	Clean     int                 `json:"clean"`
	Error     string              `json:"error"`
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
	e2e.Eventually(t, within, what, check)
}
