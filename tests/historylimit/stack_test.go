// Package historylimit drives a stack whose Temporal server suggests continuing as new
// after few events (limit.historyCount.suggestContinueAsNew), so that a few hundred
// alerts meet what a worm of tens of thousands meets with the default: the customer's
// Account, told what every merged incident did, continues as new many times while the
// records keep coming. It has a stack of its own: every entity of it continues as new
// every few dozen events, which the other tests' timings do not expect.
package historylimit

import (
	"fmt"
	"testing"

	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
)

var xsoc *devstack.Stack

const webhookSecret = "history-limit-test-secret"

// suggestAfter is the history length at which the server suggests continuing as new
// (4,096 × 0.9 by default).
const suggestAfter = 20

func TestMain(m *testing.M) {
	e2e.Main(m, &xsoc, devstack.Options{
		Customers:             customers,
		Env:                   []string{"HISTORY_LIMIT_TEST_SECRET=" + webhookSecret},
		TemporalDynamicConfig: []string{fmt.Sprintf("limit.historyCount.suggestContinueAsNew=%d", suggestAfter)},
	})
}

// Pendant Publishing is in a worm: a handful of hosts' incidents, and many alerts
// joining them.
func customers(map[string]string) ([]byte, error) {
	return []byte(`customers:
  - id: pendant
    name: Pendant Publishing
    services: [detect, respond]
    webhook_secret_env: HISTORY_LIMIT_TEST_SECRET
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: it@pendant.example}]

soc:
  name: X-SOC
  language: en
  escalation:
    high: [{after: 0s, email: soc-triage@xsoc.example}]
  storm: {alerts_per_minute: 100000, digest_every: 5m}
  correlation: {campaign_hosts: 3, campaign_window: 30m}
`), nil
}
