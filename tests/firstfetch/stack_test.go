// Package firstfetch drives a stack whose vendors detected before xsoc was deployed:
// the simulators are seeded with MalOps and WithSecure incidents raised minutes,
// hours and days before the stack starts, before its pollers first run. A new poller
// looks back its platform's first_fetch (24 h unless the file says otherwise), hands
// what it finds to triage like any alert, tells the SOC how much it fetched, and
// doubles nothing when it fetches again. It runs its own stack: the seeded backlog and
// the worker restarts must not reach the other end-to-end packages.
package firstfetch

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"text/template"
	"time"

	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows"
)

var xsoc *devstack.Stack

const webhookSecret = "first-fetch-secret"

func TestMain(m *testing.M) {
	e2e.Main(m, &xsoc, devstack.Options{Customers: customers, Seed: seed, Env: []string{
		"FF_WEBHOOK_SECRET=" + webhookSecret,
		"FF_CR_USER=" + devstack.CybereasonUser, "FF_CR_PASSWORD=" + devstack.CybereasonPassword,
		"FF_WS_ID=" + devstack.WithSecureClientID, "FF_WS_SECRET=" + devstack.WithSecureSecret,
	}})
}

var customersTemplate = template.Must(template.New("").Parse(`customers:
  - id: acme
    name: ACME First Fetch
    services: [detect]
    webhook_secret_env: FF_WEBHOOK_SECRET
    platforms:
      - {vendor: cybereason, url: "{{.cybereason}}", username_env: FF_CR_USER, password_env: FF_CR_PASSWORD, poll: 1s}
      - {vendor: withsecure, url: "{{.withsecure}}", client_id_env: FF_WS_ID, secret_env: FF_WS_SECRET, poll: 1s}
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: it@acme.example}]
soc:
  name: X-SOC
  escalation:
    high: [{after: 0s, email: soc@xsoc.example}]
  notices: [{email: soc-notices@xsoc.example}]
`))

func customers(urls map[string]string) ([]byte, error) {
	var out bytes.Buffer
	err := customersTemplate.Execute(&out, urls)
	return out.Bytes(), err
}

// seed raises, at the vendors, what they detected before the stack started.
func seed(*devstack.Stack) error { return nil }

func eventually(t *testing.T, within time.Duration, what string, check func() error) {
	t.Helper()
	e2e.Eventually(t, within, what, check)
}

// pollerStatus answers a poller's `status` query.
func pollerStatus(id string) (workflows.PollerStatus, error) {
	var status workflows.PollerStatus
	value, err := xsoc.Temporal.QueryWorkflow(context.Background(), id, "", workflows.QueryStatus)
	if err == nil {
		err = value.Get(&status)
	}
	return status, err
}

// waitPolled waits until a poller has polled since a moment.
func waitPolled(t *testing.T, id string, since time.Time) workflows.PollerStatus {
	t.Helper()
	var status workflows.PollerStatus
	eventually(t, time.Minute, id+" polling", func() error {
		var err error
		if status, err = pollerStatus(id); err != nil {
			return err
		}
		if status.State != workflows.PollerPolling || !status.LastPoll.After(since) {
			return fmt.Errorf("state %s, last poll %s", status.State, status.LastPoll)
		}
		return nil
	})
	return status
}
