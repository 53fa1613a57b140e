// Package deploy deploys xsoc the way an operator does (docs/deploy.md): a new build
// beside the running one, made current with the temporal CLI, while incidents are
// open; the old build drains and stops. It runs its own stack: its deploys change
// which build serves the task queue, which the other packages must not see.
package deploy

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

var xsoc *devstack.Stack

const webhookSecret = "deploy-test-secret"

func TestMain(m *testing.M) {
	e2e.Main(m, &xsoc, devstack.Options{
		Customers: customers,
		Env:       []string{"DEPLOY_TEST_SECRET=" + webhookSecret},
		// The server re-reads a draining version's open pinned workflows every 3 minutes
		// and waits 3 more for visibility by default; a test cannot wait that long.
		TemporalDynamicConfig: []string{
			`matching.wv.VersionDrainageStatusRefreshInterval="2s"`,
			`matching.wv.VersionDrainageStatusVisibilityGracePeriod="2s"`,
		},
	})
}

// initech has a SOC: every alert is triaged by its Triage (an entity that
// auto-upgrades), pages the SOC and waits for an analyst.
func customers(map[string]string) ([]byte, error) {
	return []byte(`customers:
  - id: initech
    name: Initech
    services: [detect, respond]
    webhook_secret_env: DEPLOY_TEST_SECRET
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: it@initech.example}]
    status_updates: [{email: csirt@initech.example}]

soc:
  name: X-SOC
  language: en
  escalation:
    high: [{after: 0s, email: soc-triage@xsoc.example}]
  storm: {alerts_per_minute: 100000, digest_every: 5m}
`), nil
}

// postAlert posts one generic alert for initech and answers its incident's id.
func postAlert(t *testing.T, id, host string) string {
	t.Helper()
	// A detection of its own: three alike on three hosts would open a campaign.
	workflowID := e2e.PostGeneric(t, xsoc, webhookSecret, "initech", id, "Suspicious PowerShell "+id, host)
	if t.Failed() {
		t.FailNow()
	}
	return workflowID
}

func mustDecide(t *testing.T, workflowID, name string, decision map[string]any) {
	t.Helper()
	if _, err := e2e.Decide(xsoc.Temporal, workflowID, name, decision); err != nil {
		t.Fatalf("%s on %s: %v", name, workflowID, err)
	}
}

// waitTriaged waits until triage has answered the incident (it left state new).
func waitTriaged(t *testing.T, workflowID string) {
	t.Helper()
	e2e.Eventually(t, 30*time.Second, workflowID+" triaged", func() error {
		if state := e2e.IncidentStatus(t, xsoc.Temporal, workflowID).State; state == api.StateNew {
			return errString("still " + state)
		}
		return nil
	})
}

// waitClosed waits until the workflow has ended and answers its error (nil: completed).
func waitClosed(t *testing.T, workflowID string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return xsoc.Temporal.GetWorkflow(ctx, workflowID, "").Get(ctx, nil)
}

// temporalCLI runs the temporal CLI against the stack's server, as an operator does,
// and answers its output.
func temporalCLI(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := runTemporalCLI(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runTemporalCLI(args ...string) ([]byte, error) {
	bin, err := devstack.Tool("XSOC_TEMPORAL_BIN", "temporal")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append(args, "--address", xsoc.Dev.FrontendHostPort(), "--namespace", "default")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("temporal %v: %w\n%s%s", args, err, out, stderr.Bytes())
	}
	return out, nil
}

type errString string

func (e errString) Error() string { return string(e) }
