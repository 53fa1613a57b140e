// Package faults takes parts of a running xsoc down — the worker killed mid-call,
// the Temporal server stopped, the SMTP server gone, Slack, Twilio and a vendor
// answering 5xx — and checks from outside that nothing is lost or done twice. It runs
// its own stack: the other end-to-end packages run in parallel and must not see these
// outages. The tests that take a process down run one at a time.
package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
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

const webhookSecret = "faults-webhook-secret"

func TestMain(m *testing.M) {
	e2e.Main(m, &xsoc, devstack.Options{
		Customers: customers,
		// The dev server's state must outlive its outage.
		PersistDB: true,
		Env: []string{
			"FAULTS_WEBHOOK_SECRET=" + webhookSecret,
			"FAULTS_CR_USER=" + devstack.CybereasonUser, "FAULTS_CR_PASSWORD=" + devstack.CybereasonPassword,
		},
	})
}

// acme isolates first, through Cybereason: high alerts have an hour to be contained,
// critical ones 6 s, whose breach pages the emergency chain's first contact. globex
// pages Slack and a phone, then email; initech pages by email alone.
var customersTemplate = template.Must(template.New("").Parse(`customers:
  - id: acme
    name: ACME Faults
    services: [detect, respond]
    webhook_secret_env: FAULTS_WEBHOOK_SECRET
    platforms:
      - {vendor: cybereason, url: "{{.cybereason}}", username_env: FAULTS_CR_USER, password_env: FAULTS_CR_PASSWORD}
    response: {policy: isolate_first}
    sla:
      critical: {ack: 1h, verdict: 1h, contain: 6s}
      high:     {ack: 1h, verdict: 1h, contain: 1h}
    escalation:
      emergency: [{after: 0s, email: ciso@acme.example}]
      critical:  [{after: 0s, email: soc@acme.example}]
      high:      [{after: 0s, email: soc@acme.example}]
  - id: globex
    name: Globex Faults
    services: [detect]
    webhook_secret_env: FAULTS_WEBHOOK_SECRET
    response: {policy: investigate_first}
    escalation:
      high:
        - {after: 0s, slack: "#globex-soc"}
        - {after: 0s, call: "+15550002222", name: Globex on-call}
        - {after: 3s, email: it@globex.example}
  - id: initech
    name: Initech Faults
    services: [detect]
    webhook_secret_env: FAULTS_WEBHOOK_SECRET
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: it@initech.example}]
`))

func customers(urls map[string]string) ([]byte, error) {
	var out bytes.Buffer
	err := customersTemplate.Execute(&out, urls)
	return out.Bytes(), err
}

// unique answers a name no other test run uses.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000_000)
}

// genericAlert is one normalized alert on one host.
func genericAlert(id, severity, host string) []byte {
	body, _ := json.Marshal(map[string]any{"id": id, "detection": "Credential dumping (mimikatz)", "severity": severity,
		"hosts": []map[string]string{{"name": host}}})
	return body
}

// post sends an alert body to intake and answers the status, the body and the headers.
func post(t *testing.T, vendor, customer string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	return e2e.Post(t, xsoc.StarterURL+"/v1/alerts/"+vendor+"/"+customer, body, map[string]string{"Authorization": "Bearer " + webhookSecret})
}

type intakeAnswer struct {
	Incidents []start.IncidentRef `json:"incidents"`
	Error     string              `json:"error"`
}

// postNew posts an alert that must start one new incident and answers its workflow id.
func postNew(t *testing.T, vendor, customer string, body []byte) string {
	t.Helper()
	code, data, _ := post(t, vendor, customer, body)
	var answer intakeAnswer
	if err := json.Unmarshal(data, &answer); code != http.StatusAccepted || err != nil || len(answer.Incidents) != 1 {
		t.Fatalf("posting %s: %d %s", body, code, data)
	}
	return answer.Incidents[0].WorkflowID
}

func status(t *testing.T, workflowID string) api.IncidentStatus {
	t.Helper()
	return e2e.IncidentStatus(t, xsoc.Temporal, workflowID)
}

func searchAttributes(t *testing.T, workflowID string) map[string]string {
	t.Helper()
	return e2e.SearchAttributes(t, xsoc.Temporal, workflowID)
}

// timelineHas tells whether the incident's timeline has a line of this kind whose
// text contains text.
func timelineHas(s api.IncidentStatus, kind, text string) bool {
	for _, e := range s.Timeline {
		if e.Kind == kind && strings.Contains(e.Text, text) {
			return true
		}
	}
	return false
}

// mails answers the messages Mailpit holds to an address whose subject contains text.
func mails(t *testing.T, to, subjectContains string) []e2e.Mail {
	t.Helper()
	all, err := e2e.Mails(xsoc.MailpitURL, "to:"+to)
	if err != nil {
		t.Fatal(err)
	}
	var found []e2e.Mail
	for _, m := range all {
		if strings.Contains(m.Subject, subjectContains) {
			found = append(found, m)
		}
	}
	return found
}
