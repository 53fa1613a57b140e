package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"xsoc/workflows"
)

// What the end-to-end test packages share: one stack per package, started by its
// TestMain, and the ways they read it from outside (Mailpit, the incident's queries
// and Updates, visibility).

// RunTests is a test package's TestMain: it starts a stack, hands it to use, runs the
// tests, shows the end of every part's log when one failed, stops the stack and
// exits with the tests' code.
func RunTests(m *testing.M, options Options, use func(*Stack)) {
	s, err := Start(context.Background(), options)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the stack:", err)
		if s != nil {
			s.DumpLogs(os.Stderr, 40)
			s.Stop()
		}
		os.Exit(1)
	}
	use(s)
	code := m.Run()
	if code != 0 {
		s.DumpLogs(os.Stderr, 60)
	}
	s.Stop()
	os.Exit(code)
}

// MailpitMessage is a message as Mailpit's search lists it.
type MailpitMessage struct {
	ID      string `json:"ID"`
	Subject string `json:"Subject"`
	To      []struct {
		Address string `json:"Address"`
	} `json:"To"`
	Snippet string `json:"Snippet"`
}

// Mails answers every message Mailpit holds that matches a search query
// ("to:it@acme.example").
func (s *Stack) Mails(query string) ([]MailpitMessage, error) {
	var all []MailpitMessage
	for start := 0; ; start += 500 {
		resp, err := http.Get(fmt.Sprintf("%s/api/v1/search?limit=500&start=%d&query=%s", s.MailpitURL, start, url.QueryEscape(query)))
		if err != nil {
			return nil, err
		}
		var page struct {
			Messages []MailpitMessage `json:"messages"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		all = append(all, page.Messages...)
		if len(page.Messages) < 500 {
			return all, nil
		}
	}
}

// Status answers an incident's `status` query.
func (s *Stack) Status(workflowID string) (workflows.IncidentStatus, error) {
	var status workflows.IncidentStatus
	value, err := s.Temporal.QueryWorkflow(context.Background(), workflowID, "", workflows.QueryStatus)
	if err == nil {
		err = value.Get(&status)
	}
	return status, err
}

// Decide sends an analyst's decision to an incident as an Update, by name, as the
// Temporal UI does, and answers its result.
func (s *Stack) Decide(workflowID, name string, decision any) (workflows.DecisionResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var result workflows.DecisionResult
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: name, Args: []any{decision}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, &result)
	}
	return result, err
}

// Count answers how many workflows a visibility query lists.
func (s *Stack) Count(query string) (int64, error) {
	resp, err := s.Temporal.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	return resp.GetCount(), err
}

// Eventually retries check until it passes or within has passed, and then fails the
// test with what and check's last error.
func Eventually(t testing.TB, within time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: %v", what, err)
}
