// Package updatelimit drives a stack whose Temporal server takes few Updates in one run
// of a workflow (history.maxTotalUpdates, 2,000 by default), so that a few dozen alerts
// meet what a worm of tens of thousands meets with the default: a customer's Triage must
// continue as new before the limit, busy or not. It has a stack of its own: a Triage that
// continues as new every few admissions would also meet, in tests/limits' worker outage,
// the server's loss of an unpinned first task that those tests leave aside
// (docs/deploy.md).
package updatelimit

import (
	"fmt"
	"testing"

	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
)

var xsoc *devstack.Stack

const webhookSecret = "update-limit-test-secret"

// maxUpdates is the most Updates one workflow run takes; the server suggests
// continuing as new at 90 % of it.
const maxUpdates = 10

func TestMain(m *testing.M) {
	e2e.Main(m, &xsoc, devstack.Options{
		Customers:             customers,
		Env:                   []string{"UPDATE_LIMIT_TEST_SECRET=" + webhookSecret},
		TemporalDynamicConfig: []string{fmt.Sprintf("history.maxTotalUpdates=%d", maxUpdates)},
	})
}

// Kramerica is in an alert storm after a handful of incidents: the SOC hears of it by
// Slack.
func customers(map[string]string) ([]byte, error) {
	return []byte(`customers:
  - id: kramerica
    name: Kramerica Industries
    services: [detect, respond]
    webhook_secret_env: UPDATE_LIMIT_TEST_SECRET
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: it@kramerica.example}]
    storm: {alerts_per_minute: 3, digest_every: 5m}

soc:
  name: X-SOC
  language: en
  escalation:
    high: [{after: 0s, email: soc-triage@xsoc.example}]
  notices: [{slack: "#soc-notices"}]
  correlation: {campaign_hosts: 3, campaign_window: 30m}
`), nil
}
