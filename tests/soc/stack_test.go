// Package soc drives a stack whose customers file has a soc: block: the SOC is paged
// for every alert, triage suppresses, correlates and digests storms, and customers
// hear about confirmed incidents. (Package tests drives a file without one, which
// keeps round-1 behaviour.)
package soc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
	"xsoc/workflows/start"
)

var xsoc *devstack.Stack

const webhookSecret = "soc-test-secret"

func TestMain(m *testing.M) {
	e2e.Main(m, &xsoc, devstack.Options{Customers: customers, Env: []string{
		"SOC_TEST_SECRET=" + webhookSecret,
		"XSOC_CODEC_TOKENS=hanako:" + hanakoCodecToken + ",sato:" + satoCodecToken,
		"SOYLENT_CR_USER=" + devstack.CybereasonUser, "SOYLENT_CR_PASSWORD=" + devstack.CybereasonPassword,
	}})
}

// The analysts' own tokens of the codec server (XSOC_CODEC_TOKENS): what they send
// through it is stamped as theirs.
const (
	hanakoCodecToken = "hanako-codec-token-0123456789"
	satoCodecToken   = "sato-codec-token-9876543210"
)

// Every customer here but soylent sends generic alerts: triage and paging do not
// depend on the vendor. Soylent's Cybereason contains the hosts of its worm. Storms are off but for cyberdyne and wayne, so that bursts of other tests
// page alert by alert.
var customersTemplate = template.Must(template.New("").Parse(`customers:
  - id: initech
    name: Initech
    services: [detect, respond]
    webhook_secret_env: SOC_TEST_SECRET
    response: {policy: investigate_first}
    sla: {high: {ack: 30m, verdict: 4h}}
    escalation:
      high: [{after: 0s, email: it@initech.example}, {after: 0s, call: "+15550001111", name: IT on-call}]
    status_updates: [{email: csirt@initech.example}]
  - id: umbrella
    name: Umbrella
    services: [detect]
    webhook_secret_env: SOC_TEST_SECRET
    billing: {plan: per_response, ids: 5000}
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: it@umbrella.example}]
    status_updates: [{email: csirt@umbrella.example}]
  - id: hooli
    name: Hooli
    services: [detect, respond]
    webhook_secret_env: SOC_TEST_SECRET
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: it@hooli.example}]
  - id: cyberdyne
    name: Cyberdyne
    services: [detect]
    webhook_secret_env: SOC_TEST_SECRET
    response: {policy: investigate_first}
    storm: {alerts_per_minute: 40, digest_every: 20s}
    escalation:
      high: [{after: 0s, email: it@cyberdyne.example}]
  - id: wayne
    name: Wayne Enterprises
    services: [detect]
    webhook_secret_env: SOC_TEST_SECRET
    response: {policy: investigate_first}
    storm: {alerts_per_minute: 60, digest_every: 20s}
    escalation:
      high: [{after: 0s, email: it@wayne.example}]
  - id: stark
    name: Stark Industries
    services: [detect]
    webhook_secret_env: SOC_TEST_SECRET
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: it@stark.example}]
  - id: tyrell
    name: Tyrell
    services: [detect]
    webhook_secret_env: SOC_TEST_SECRET
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: it@tyrell.example}]
  - id: soylent
    name: Soylent
    services: [detect, respond]
    webhook_secret_env: SOC_TEST_SECRET
    platforms:
      - {vendor: cybereason, url: "{{.cybereason}}", username_env: SOYLENT_CR_USER, password_env: SOYLENT_CR_PASSWORD}
    response: {policy: isolate_first}
    escalation:
      high: [{after: 0s, email: it@soylent.example}]

soc:
  name: X-SOC
  language: en
  timezone: Asia/Tokyo
  contact: "+81-3-0000-9999"
  escalation:
    critical: [{after: 0s, email: soc-urgent@xsoc.example}]
    high: [{after: 0s, email: soc-triage@xsoc.example}]
  notices: [{email: soc-notices@xsoc.example}]
  storm: {alerts_per_minute: 100000, digest_every: 5m}
  correlation: {campaign_hosts: 3, campaign_window: 30m}
  suppression: {notify_over: 500, qa_every: 1000}
`))

func customers(urls map[string]string) ([]byte, error) {
	var out bytes.Buffer
	err := customersTemplate.Execute(&out, urls)
	return out.Bytes(), err
}

// alert is a generic alert.
func alert(id, detection, severity, host string) map[string]any {
	return map[string]any{"id": id, "detection": detection, "severity": severity, "hosts": []map[string]string{{"name": host}}}
}

// postAlert posts one generic alert and answers its incident's workflow id.
func postAlert(t *testing.T, customer string, a map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(a)
	code, data, _ := e2e.Post(t, xsoc.StarterURL+"/v1/alerts/generic/"+customer, body, map[string]string{"Authorization": "Bearer " + webhookSecret})
	if code != http.StatusAccepted {
		t.Fatalf("posting %v: %d %s", a["id"], code, data)
	}
	var answer struct {
		Incidents []start.IncidentRef `json:"incidents"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || len(answer.Incidents) != 1 {
		t.Fatalf("answer %s: %v", data, err)
	}
	return answer.Incidents[0].WorkflowID
}

// postAll posts alerts with some concurrency and answers their incidents in order.
func postAll(t *testing.T, customer string, alerts []map[string]any, concurrency int) []string {
	t.Helper()
	ids := make([]string, len(alerts))
	concurrently(len(alerts), concurrency, func(i int) { ids[i] = postAlert(t, customer, alerts[i]) })
	return ids
}

// concurrently calls do(0) … do(count-1) from `concurrency` goroutines, in order of i
// as each goroutine comes free, and returns when every call has.
func concurrently(count, concurrency int, do func(i int)) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				do(i)
			}
		}()
	}
	for i := range count {
		work <- i
	}
	close(work)
	wg.Wait()
}

type mailpitMessage = e2e.Mail

// mails answers every message Mailpit holds that matches a search query.
func mails(t *testing.T, query string) []mailpitMessage {
	t.Helper()
	all, err := e2e.Mails(xsoc.MailpitURL, query)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// mailsAbout answers the messages to an address whose subject names the customer.
func mailsAbout(t *testing.T, to, customerName string) []mailpitMessage {
	t.Helper()
	var found []mailpitMessage
	for _, m := range mails(t, "to:"+to) {
		if strings.Contains(m.Subject, customerName) {
			found = append(found, m)
		}
	}
	return found
}

// decide sends an analyst decision as an Update, by name, as the Temporal UI does.
func decide(t *testing.T, workflowID, name string, decision map[string]any) error {
	t.Helper()
	_, err := e2e.Decide(xsoc.Temporal, workflowID, name, decision)
	return err
}

func status(t *testing.T, workflowID string) api.IncidentStatus {
	t.Helper()
	return e2e.IncidentStatus(t, xsoc.Temporal, workflowID)
}

// count answers how many workflows a visibility query lists.
func count(t *testing.T, query string) int64 {
	t.Helper()
	return e2e.Count(t, xsoc.Temporal, query)
}

// eventually retries check until it passes or the time runs out.
func eventually(t *testing.T, within time.Duration, what string, check func() error) {
	t.Helper()
	e2e.Eventually(t, within, what, check)
}

// waitTriaged waits until triage answered the incident (it left state new).
func waitTriaged(t *testing.T, id string) {
	t.Helper()
	eventually(t, 30*time.Second, id+" triaged", func() error {
		if s := status(t, id).State; s == api.StateNew {
			return fmt.Errorf("state %s", s)
		}
		return nil
	})
}
