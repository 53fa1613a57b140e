// Package e2e is what the end-to-end test packages (tests/...) share: starting their
// own stack for the package, and reading the running system from outside — an
// incident's status query and search attributes, workflow counts, Mailpit's messages.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	cybereasonsim "xsoc/integrations/cybereason/sim"
	"xsoc/internal/devstack"
	"xsoc/workflows/api"
)

// Main is a test package's TestMain: it starts the package's stack into *stack, runs
// the tests, stops the stack and exits, with the end of the worker's and starter's
// logs when the stack did not start or a test failed.
func Main(m *testing.M, stack **devstack.Stack, options devstack.Options) {
	Run(stack, options, m.Run)
}

// Run is Main for a package that needs more around its tests (a browser): run runs
// them, with the stack started, and answers their exit code.
func Run(stack **devstack.Stack, options devstack.Options, run func() int) {
	s, err := devstack.Start(context.Background(), options)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the stack:", err)
		if s != nil {
			s.DumpLogs(os.Stderr, 40)
			s.Stop()
		}
		os.Exit(1)
	}
	*stack = s
	code := run()
	if code != 0 {
		s.DumpLogs(os.Stderr, 60)
	}
	s.Stop()
	os.Exit(code)
}

// Eventually retries check until it passes or the time runs out, and then fails the
// test with what the last check said.
func Eventually(t testing.TB, within time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: %v", what, err)
}

// IncidentStatus answers the incident's `status` query.
func IncidentStatus(t testing.TB, c client.Client, workflowID string) api.IncidentStatus {
	t.Helper()
	status, err := Query[api.IncidentStatus](c, workflowID, api.QueryStatus)
	if err != nil {
		t.Fatalf("query status of %s: %v", workflowID, err)
	}
	return status
}

// Query answers a workflow's query by name (an incident's or a poller's `status`),
// for checks that wait for it to answer.
//
// A query waits for the workflow task in progress, and an incident's first task holds
// its question to triage (a local activity) for up to a minute when the machine is
// busy: a query that ran out of time is asked again for as long.
func Query[T any](c client.Client, workflowID, name string) (T, error) {
	var answer T
	giveUp := time.Now().Add(queryPatience)
	for {
		value, err := c.QueryWorkflow(context.Background(), workflowID, "", name)
		if err == nil {
			err = value.Get(&answer)
		}
		if err == nil || !timedOut(err) || time.Now().After(giveUp) {
			return answer, err
		}
	}
}

// timedOut tells a query that was not answered in time. The priority matcher answers
// one that no poller took before its deadline "no poller seen for task queue recently"
// when the partition it waited in had no poll for 20 s, though the worker polls the
// others (seen under load in tests/historylimit): a timeout too.
func timedOut(err error) bool {
	var deadline *serviceerror.DeadlineExceeded
	var precondition *serviceerror.FailedPrecondition
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &deadline) ||
		errors.As(err, &precondition) && strings.Contains(precondition.Message, "no poller seen for task queue recently")
}

// queryPatience is how long Query asks again: the minute an incident waits for triage.
const queryPatience = 70 * time.Second

// SearchAttributes answers a workflow's search attributes as the server holds them,
// as text ("true", "breached").
func SearchAttributes(t testing.TB, c client.Client, workflowID string) map[string]string {
	t.Helper()
	described, err := Describe(context.Background(), c, workflowID, "")
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for name, payload := range described.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields() {
		values[name] = strings.Trim(string(payload.GetData()), `"`)
	}
	return values
}

// Count answers how many workflows a visibility query lists.
func Count(t testing.TB, c client.Client, query string) int64 {
	t.Helper()
	resp, err := c.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	if err != nil {
		t.Fatalf("counting %s: %v", query, err)
	}
	return resp.GetCount()
}

// Mail is a message as Mailpit's API lists it.
type Mail struct {
	ID string `json:"ID"`
	// MessageID is the message's Message-ID header: a page sent again carries the same.
	MessageID string `json:"MessageID"`
	Subject   string `json:"Subject"`
	// Created is when Mailpit received it.
	Created time.Time `json:"Created"`
	To      []struct {
		Address string `json:"Address"`
	} `json:"To"`
	Snippet string `json:"Snippet"`
}

// Mails answers every message Mailpit (at its API's base URL) holds that matches a
// search query ("to:it@acme.example").
func Mails(mailpitURL, query string) ([]Mail, error) {
	const pageSize = 500
	var all []Mail
	for start := 0; ; start += pageSize {
		resp, err := http.Get(fmt.Sprintf("%s/api/v1/search?limit=%d&start=%d&query=%s", mailpitURL, pageSize, start, url.QueryEscape(query)))
		if err != nil {
			return nil, err
		}
		var page struct {
			Messages []Mail `json:"messages"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		all = append(all, page.Messages...)
		if len(page.Messages) < pageSize {
			return all, nil
		}
	}
}

// Post sends a JSON body with headers (the caller's credentials) and answers the
// answer's status, body and headers.
func Post(t testing.TB, url string, body []byte, headers map[string]string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer of %s: %v", url, err)
	}
	return resp.StatusCode, data, resp.Header
}

// Decide sends an analyst's decision to an incident as an Update, by name, as the
// Temporal UI does, and answers its result.
func Decide(c client.Client, workflowID, name string, decision any) (api.DecisionResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var result api.DecisionResult
	handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: name, Args: []any{decision}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, &result)
	}
	return result, err
}

// CybereasonIsolatePath is where the Cybereason console takes isolate commands.
const CybereasonIsolatePath = "/rest/monitor/global/commands/isolate"

// NewMalop has the Cybereason console detect a MalOp (name: its detection) on a new
// machine and answers the body a forwarder pushes to intake
// (POST /v1/alerts/cybereason/{customer}), the MalOp's guid and the machine's sensor
// id, which tells its commands from others'.
func NewMalop(t testing.TB, console *cybereasonsim.Server, name, severity, host string) (body []byte, guid, pylumID string) {
	t.Helper()
	guid, err := console.AddMalop(cybereasonsim.Malop{Name: name, Severity: severity, Machines: []cybereasonsim.Machine{{Name: host}}})
	if err != nil {
		t.Fatal(err)
	}
	malop, _ := console.MalopState(guid)
	pylumID = malop.Machines[0].PylumID
	body, _ = json.Marshal(map[string]any{"guid": guid, "displayName": malop.Name, "severity": severity,
		"machines": []map[string]string{{"displayName": host, "pylumId": pylumID}}})
	return body, guid, pylumID
}

// IsolateCalls counts the isolate commands the console received for one sensor.
func IsolateCalls(console *cybereasonsim.Server, pylumID string) int {
	n := 0
	for _, call := range console.Calls() {
		if call.Path == CybereasonIsolatePath && strings.Contains(call.Body, pylumID) {
			n++
		}
	}
	return n
}

// Describe answers the server's description of a workflow execution (the raw answer of
// DescribeWorkflow): its status, first run, memo and search attributes.
func Describe(ctx context.Context, c client.Client, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	description, err := c.DescribeWorkflow(ctx, workflowID, runID)
	if err != nil {
		return nil, err
	}
	return description.RawResponse, nil
}

// LastEvents names the last n events of a workflow's current run, with their times
// and, for a signal, its name: what a failing test shows of the history it read.
func LastEvents(ctx context.Context, c client.Client, workflowID string, n int) string {
	var events []string
	iter := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		event, err := iter.Next()
		if err != nil {
			return err.Error()
		}
		name := event.GetEventTime().AsTime().Format("15:04:05.000") + " " + strings.TrimPrefix(event.GetEventType().String(), "EVENT_TYPE_")
		if signal := event.GetWorkflowExecutionSignaledEventAttributes(); signal != nil {
			name += " " + signal.GetSignalName()
		}
		events = append(events, name)
	}
	return strings.Join(events[max(0, len(events)-n):], ", ")
}

// IncidentHistoryName names a recorded incident history for the incident's replay
// test: v<N>_ by the version N of incident-round-2 it holds, then moments_ when it
// tells its Account each moment (incident-account-moments), then the path's name.
func IncidentHistoryName(v devstack.Versions, path string) string {
	name := fmt.Sprintf("v%d_", v["incident-round-2"])
	if v["incident-account-moments"] >= 1 {
		name += "moments_"
	}
	return name + path
}
