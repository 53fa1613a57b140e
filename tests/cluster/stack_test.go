// Package cluster runs xsoc in its production topology — the Temporal server v1.29.1 on
// PostgreSQL (persistence and SQL visibility) behind mutual TLS, two workers and two
// starters behind one address — and drives it from outside: the end-to-end scenarios
// across the replicas, the list queries xsoc uses on SQL visibility, and the faults a
// cluster lives with (a worker killed in a storm, the Temporal server and PostgreSQL
// restarted during intake), each counted in visibility, Mailpit and the vendor
// simulator's records so that nothing is lost or done twice. `go test -v` prints the
// recovery times (docs/cluster.md records them).
package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
	"xsoc/workflows/start"
)

var xsoc *devstack.Stack

const webhookSecret = "cluster-webhook-secret"

// replicas is how many workers and starters run.
const replicas = 2

func TestMain(m *testing.M) {
	e2e.Main(m, &xsoc, devstack.Options{
		Cluster: true, Workers: replicas, Starters: replicas,
		Customers: customers,
		Env: []string{
			"CLUSTER_WEBHOOK_SECRET=" + webhookSecret,
			"CLUSTER_CR_USER=" + devstack.CybereasonUser, "CLUSTER_CR_PASSWORD=" + devstack.CybereasonPassword,
			"XSOC_DASHBOARD_TOKEN=" + dashboardToken,
		},
		Logf: func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) },
	})
}

const dashboardToken = "cluster-dashboard-token"

// acme plays the scenarios (investigate first, containment through Cybereason on a
// verdict); storm takes the 2,000-alert storm (isolate first through Cybereason);
// intake the alerts sent across the outages. The SOC is paged by email for every
// alert (no storm digests: each alert's page is counted), suppressed alerts aside.
var customersTemplate = template.Must(template.New("").Parse(`customers:
  - id: acme
    name: ACME Cluster
    services: [detect, respond]
    webhook_secret_env: CLUSTER_WEBHOOK_SECRET
    platforms:
      - {vendor: cybereason, url: "{{.cybereason}}", username_env: CLUSTER_CR_USER, password_env: CLUSTER_CR_PASSWORD}
    response: {policy: investigate_first}
    sla:
      critical: {ack: 15m, verdict: 1h, contain: 4h}
      high: {ack: 30m, verdict: 4h, contain: 8h}
    escalation:
      critical: [{after: 0s, email: it@acme.example}]
      high: [{after: 0s, email: it@acme.example}]
    status_updates: [{email: csirt@acme.example}]
  - id: storm
    name: Storm Works
    services: [detect, respond]
    webhook_secret_env: CLUSTER_WEBHOOK_SECRET
    platforms:
      - {vendor: cybereason, url: "{{.cybereason}}", username_env: CLUSTER_CR_USER, password_env: CLUSTER_CR_PASSWORD}
    response: {policy: isolate_first}
    escalation:
      high: [{after: 0s, email: it@storm.example}]
  - id: intake
    name: Intake Corp
    services: [detect]
    webhook_secret_env: CLUSTER_WEBHOOK_SECRET
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: it@intake.example}]

soc:
  name: X-SOC
  language: en
  timezone: Asia/Tokyo
  escalation:
    critical: [{after: 0s, email: soc-urgent@xsoc.example}]
    high: [{after: 0s, email: soc-triage@xsoc.example}]
  notices: [{email: soc-notices@xsoc.example}]
  storm: {alerts_per_minute: 1000000, digest_every: 5m}
  correlation: {campaign_hosts: 3, campaign_window: 30m}
  suppression: {notify_over: 1000000, qa_every: 1000000}
`))

func customers(urls map[string]string) ([]byte, error) {
	var out bytes.Buffer
	err := customersTemplate.Execute(&out, urls)
	return out.Bytes(), err
}

// run is what makes this run's alert ids and host names its own: the cluster's
// PostgreSQL outlives no run, but the names then read apart in the logs.
var run = strconv.FormatInt(time.Now().Unix()%100000, 36)

// alert is a generic alert on one host.
func alert(id, detection, severity, host string) []byte {
	body, _ := json.Marshal(map[string]any{"id": id, "detection": detection, "severity": severity,
		"hosts": []map[string]string{{"name": host}}})
	return body
}

type intakeAnswer struct {
	Incidents []start.IncidentRef `json:"incidents"`
	Error     string              `json:"error"`
}

// post sends an alert body to a starter (its base URL) and answers the status, the
// decoded answer and the headers.
func post(t testing.TB, starterURL, vendor, customer string, body []byte) (int, intakeAnswer, http.Header) {
	t.Helper()
	code, data, header := e2e.Post(t, starterURL+"/v1/alerts/"+vendor+"/"+customer, body, map[string]string{"Authorization": "Bearer " + webhookSecret})
	var answer intakeAnswer
	if err := json.Unmarshal(data, &answer); err != nil {
		t.Fatalf("intake answered %d %s: %v", code, data, err)
	}
	return code, answer, header
}

// postNew posts an alert that must start one new incident and answers its workflow id.
func postNew(t testing.TB, starterURL, vendor, customer string, body []byte) string {
	t.Helper()
	code, answer, _ := post(t, starterURL, vendor, customer, body)
	if code != http.StatusAccepted || len(answer.Incidents) != 1 || answer.Incidents[0].Duplicate {
		t.Fatalf("posting %s to %s: %d %+v", body, starterURL, code, answer)
	}
	return answer.Incidents[0].WorkflowID
}

// raiseMalop has the Cybereason console detect a MalOp (name: its detection; the same
// on three hosts is a campaign) on a new machine and pushes it to intake through the
// balancer, as a forwarder would: it answers the incident's workflow id and the
// machine's sensor id.
func raiseMalop(t testing.TB, customer, name, severity, host string) (string, string) {
	t.Helper()
	body, _, pylumID := e2e.NewMalop(t, xsoc.Cybereason, name, severity, host)
	return postNew(t, xsoc.StarterURL, "cybereason", customer, body), pylumID
}

const isolatePath = e2e.CybereasonIsolatePath

// isolateCalls counts the isolate commands the console received for one sensor.
func isolateCalls(pylumID string) int { return e2e.IsolateCalls(xsoc.Cybereason, pylumID) }

func status(t testing.TB, workflowID string) api.IncidentStatus {
	t.Helper()
	return e2e.IncidentStatus(t, xsoc.Temporal, workflowID)
}

func count(t testing.TB, query string) int64 {
	t.Helper()
	return e2e.Count(t, xsoc.Temporal, query)
}

// pagesTo answers the pages Mailpit holds for an address, by Message-ID: a page sent
// again after a lost acknowledgement (a worker killed between the SMTP server's answer
// and Temporal hearing of it) carries the same Message-ID, which mail clients and
// ticketing systems show once. copies counts the messages beyond one per Message-ID.
func pagesTo(t testing.TB, address, subjectHas string) (pages map[string]e2e.Mail, copies int) {
	t.Helper()
	all, err := e2e.Mails(xsoc.MailpitURL, "to:"+address)
	if err != nil {
		t.Fatal(err)
	}
	pages = map[string]e2e.Mail{}
	for _, m := range all {
		if !strings.Contains(m.Subject, subjectHas) {
			continue
		}
		if _, seen := pages[m.MessageID]; seen {
			copies++
			continue
		}
		pages[m.MessageID] = m
	}
	return pages, copies
}

// decide sends an analyst's decision as an Update, as the Temporal UI does.
func decide(t testing.TB, workflowID, name string, decision map[string]any) api.DecisionResult {
	t.Helper()
	result, err := e2e.Decide(xsoc.Temporal, workflowID, name, decision)
	if err != nil {
		t.Fatalf("%s on %s: %v", name, workflowID, err)
	}
	return result
}

// addRule adds a suppression rule to a customer's Tuning by Update and waits the 5 s
// after which it matches every new alert.
func addRule(t testing.TB, customer string, match map[string]any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := devstack.AddApprovedRule(ctx, xsoc.Temporal, customer, map[string]any{"by": "hanako", "approved_by": "sato",
		"reason": "cluster test: known benign", "expires": time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339), "match": match}, "sato")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)
	return id
}

// takeDown takes a part of the cluster down and answers the function that starts it
// again (and how long that took), which also runs if the test ends first: the next
// tests need the whole cluster.
func takeDown(t *testing.T, part string, down func(string) error) (bringBack func() time.Duration) {
	t.Helper()
	if err := down(part); err != nil {
		t.Fatal(err)
	}
	back := false
	bringBack = func() time.Duration {
		t.Helper()
		if back {
			return 0
		}
		back = true
		began := time.Now()
		if err := xsoc.StartPart(part); err != nil {
			t.Fatalf("starting %s again: %v", part, err)
		}
		return time.Since(began)
	}
	t.Cleanup(func() { bringBack() })
	return bringBack
}

// round rounds a duration for the log.
func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
