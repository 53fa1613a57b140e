// Package limits drives a stack whose Temporal server has some of its limits lowered,
// so that what a storm of thousands of alerts meets on a server with its defaults is
// met here by a few dozen: the server refuses what passes them, and xsoc must stay
// under them instead of stalling.
package limits

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
	"xsoc/workflows/start"
)

var xsoc *devstack.Stack

const webhookSecret = "limits-test-secret"

// pendingSignalsLimit is the server's limit of signals one workflow has in flight
// (2,000 by default), told to the worker as XSOC_SERVER_PENDING_SIGNALS_LIMIT.
const pendingSignalsLimit = 4

// maxUpdates is the most Updates one workflow run takes (history.maxTotalUpdates,
// 2,000 by default); the server suggests continuing as new at 90 % of it.
const maxUpdates = 10

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
			fmt.Sprintf("history.maxTotalUpdates=%d", maxUpdates),
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
  # Kramerica is in an alert storm after a handful of incidents: the SOC hears of it by
  # Slack.
  - id: kramerica
    name: Kramerica Industries
    services: [detect, respond]
    webhook_secret_env: LIMITS_TEST_SECRET
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
  storm: {alerts_per_minute: 100000, digest_every: 5m}
  correlation: {campaign_hosts: 3, campaign_window: 30m}
`), nil
}

// postAlert posts one generic alert and answers its incident's workflow id.
func postAlert(t *testing.T, customer, id, detection, host string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"id": id, "detection": detection, "severity": "high", "hosts": []map[string]string{{"name": host}}})
	code, data, _ := e2e.Post(t, xsoc.StarterURL+"/v1/alerts/generic/"+customer, body, map[string]string{"Authorization": "Bearer " + webhookSecret})
	if code != http.StatusAccepted {
		t.Errorf("posting %s: %d %s", id, code, data)
		return ""
	}
	var answer struct {
		Incidents []start.IncidentRef `json:"incidents"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || len(answer.Incidents) != 1 {
		t.Errorf("answer %s: %v", data, err)
		return ""
	}
	return answer.Incidents[0].WorkflowID
}

// postOwners posts n alerts (alert(i) gives each one's id, detection and host) and
// waits until each is an incident of its own; it answers their workflow ids.
func postOwners(t *testing.T, customer string, n int, alert func(i int) (id, detection, host string)) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		id, detection, host := alert(i)
		ids[i] = postAlert(t, customer, id, detection, host)
	}
	for _, id := range ids {
		e2e.Eventually(t, 30*time.Second, id+" triaged as an incident of its own", func() error {
			if s := e2e.IncidentStatus(t, xsoc.Temporal, id).State; s != api.StateInvestigating {
				return fmt.Errorf("state %s", s)
			}
			return nil
		})
	}
	return ids
}

// requireMerged waits until each joining incident (the n-th) merged into parent(n);
// detail says what else to report while one has not.
func requireMerged(t *testing.T, joining []string, parent func(n int) string, detail func() string) {
	t.Helper()
	if t.Failed() {
		t.FailNow()
	}
	for n, id := range joining {
		e2e.Eventually(t, 60*time.Second, id+" merged into its host's incident", func() error {
			s := e2e.IncidentStatus(t, xsoc.Temporal, id)
			if s.State != api.StateMerged {
				return fmt.Errorf("state %s %s", s.State, detail())
			}
			if s.Parent != parent(n) {
				return fmt.Errorf("merged into %s, not %s", s.Parent, parent(n))
			}
			return nil
		})
	}
}
