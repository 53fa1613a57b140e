package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"xsoc/internal/devstack"
	"xsoc/workflows/api"
	"xsoc/workflows/start"
)

// PostGeneric posts one high generic alert on one host with the customer's webhook
// secret, and answers its incident's workflow id.
func PostGeneric(t *testing.T, stack *devstack.Stack, secret, customer, id, detection, host string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"id": id, "detection": detection, "severity": "high", "hosts": []map[string]string{{"name": host}}})
	code, data, _ := Post(t, stack.StarterURL+"/v1/alerts/generic/"+customer, body, map[string]string{"Authorization": "Bearer " + secret})
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

// AwaitOwnIncidents waits until each incident is triaged as one of its own
// (investigating).
func AwaitOwnIncidents(t *testing.T, stack *devstack.Stack, ids []string) {
	t.Helper()
	for _, id := range ids {
		Eventually(t, 30*time.Second, id+" triaged as an incident of its own", func() error {
			if s := IncidentStatus(t, stack.Temporal, id).State; s != api.StateInvestigating {
				return fmt.Errorf("state %s", s)
			}
			return nil
		})
	}
}

// RequireMerged waits until each joining incident (the n-th) merged into parent(n);
// detail says what else to report while one has not.
func RequireMerged(t *testing.T, stack *devstack.Stack, joining []string, parent func(n int) string, detail func() string) {
	t.Helper()
	if t.Failed() {
		t.FailNow()
	}
	for n, id := range joining {
		Eventually(t, 60*time.Second, id+" merged into its host's incident", func() error {
			s := IncidentStatus(t, stack.Temporal, id)
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

// RecordTriage writes a run of the customer's triage (its current run when runID is
// empty) for the replay tests when XSOC_RECORD_HISTORIES names the workflows directory,
// named vN_<path> by its triage-round-3 version.
func RecordTriage(t *testing.T, stack *devstack.Stack, customer, runID, path string) {
	t.Helper()
	dir := os.Getenv("XSOC_RECORD_HISTORIES")
	if dir == "" {
		return
	}
	file, err := stack.RecordRunHistory(filepath.Join(dir, "triage", "testdata", "histories"), api.TriageWorkflowID(customer), runID, func(v devstack.Versions) string {
		return fmt.Sprintf("v%d_%s", v["triage-round-3"], path)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("recorded", file)
}
