// Package limits drives a stack whose Temporal server has some of its limits lowered,
// so that what a storm of thousands of alerts meets on a server with its defaults is
// met here by a few dozen: the server refuses what passes them, and xsoc must stay
// under them instead of stalling.
package limits

import (
	"fmt"
	"testing"
	"time"

	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
)

var xsoc *devstack.Stack

const webhookSecret = "limits-test-secret"

// pendingSignalsLimit is the server's limit of signals one workflow has in flight
// (2,000 by default), told to the worker as XSOC_SERVER_PENDING_SIGNALS_LIMIT.
const pendingSignalsLimit = 4

// idleTime is how long the server keeps a task queue nobody polls loaded (5 minutes by
// default); outageSpread how long alerts keep coming while the worker is down.
const (
	idleTime     = 20 * time.Second
	outageSpread = 40 * time.Second
)

func TestMain(m *testing.M) {
	e2e.Main(m, &xsoc, devstack.Options{
		Customers: customers,
		Env: []string{
			"LIMITS_TEST_SECRET=" + webhookSecret,
			fmt.Sprintf("XSOC_SERVER_PENDING_SIGNALS_LIMIT=%d", pendingSignalsLimit),
		},
		TemporalDynamicConfig: []string{
			fmt.Sprintf("limit.numPendingSignals.error=%d", pendingSignalsLimit),
			fmt.Sprintf("matching.maxTaskQueueIdleTime=%q", idleTime.String()),
		},
	})
}

func customers(map[string]string) ([]byte, error) {
	return []byte(`customers:
  - id: vandelay
    name: Vandelay Industries
    services: [detect, respond]
    webhook_secret_env: LIMITS_TEST_SECRET
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: it@vandelay.example}]

soc:
  name: X-SOC
  language: en
  escalation:
    high: [{after: 0s, email: soc-triage@xsoc.example}]
  storm: {alerts_per_minute: 100000, digest_every: 5m}
  correlation: {campaign_hosts: 3, campaign_window: 30m}
`), nil
}

// postAlert posts one generic alert and answers its incident's workflow id.
func postAlert(t *testing.T, customer, id, detection, host string) string {
	t.Helper()
	return e2e.PostGeneric(t, xsoc, webhookSecret, customer, id, detection, host)
}
