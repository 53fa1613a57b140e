package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"xsoc/config"
	"xsoc/workflows"
)

const requestSecret = "request-test-secret"

// requestServer is the starter with a mocked Temporal client: each test says what a
// start answers, and the mock fails the test on a start nobody expected.
func requestServer(t *testing.T) (*httptest.Server, *mocks.Client) {
	t.Helper()
	t.Setenv("ACME_REQUEST_SECRET", requestSecret)
	t.Setenv("GLOBEX_REQUEST_SECRET", requestSecret)
	customers := &config.Customers{Customers: []config.Customer{
		{ID: "acme", Name: "ACME", Services: []string{"detect", "respond"}, WebhookSecretEnv: "ACME_REQUEST_SECRET", Timezone: "Asia/Tokyo",
			Platforms: []config.Platform{{Vendor: "cybereason"}, {Vendor: "zscaler"}}},
		{ID: "globex", Name: "Globex", Services: []string{"detect"}, WebhookSecretEnv: "GLOBEX_REQUEST_SECRET",
			Platforms: []config.Platform{{Vendor: "zscaler"}}},
	}, SOC: &config.SOC{Name: "X-SOC", Requests: config.DefaultRequests}}
	temporal := &mocks.Client{}
	t.Cleanup(func() { temporal.AssertExpectations(t) })
	process := config.Process{Customers: customers, Temporal: config.Temporal{Namespace: "default"}}
	server := httptest.NewServer(New(process, temporal, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	t.Cleanup(server.Close)
	return server, temporal
}

func postRequest(t *testing.T, server *httptest.Server, customer, body, secret string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, server.URL+"/v1/requests/"+customer, strings.NewReader(body))
	require.NoError(t, err)
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var answer map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&answer))
	return resp.StatusCode, answer
}

const urgentIsolate = `{"id": "CS-2026-0412", "kind": "isolate", "host": "osk-pc-17", "by": "yamada@acme.example",
  "note": "user reports ransom note", "urgent": true}`

func TestRequestEndpointStartsTheRequestOnceAndAnswersDuplicates(t *testing.T) {
	server, temporal := requestServer(t)
	run := &mocks.WorkflowRun{}
	run.On("GetRunID").Return("run-1")
	var started workflows.RequestInput
	var options client.StartWorkflowOptions
	temporal.On("ExecuteWorkflow", mock.Anything, mock.Anything, workflows.RequestWorkflowType, mock.Anything).
		Run(func(args mock.Arguments) {
			options, started = args.Get(1).(client.StartWorkflowOptions), args.Get(3).(workflows.RequestInput)
		}).Return(run, nil).Once()
	temporal.On("ExecuteWorkflow", mock.Anything, mock.Anything, workflows.RequestWorkflowType, mock.Anything).
		Return(nil, serviceerror.NewWorkflowExecutionAlreadyStarted("started", "", "run-1")).Once()

	code, answer := postRequest(t, server, "acme", urgentIsolate, requestSecret)
	require.Equal(t, http.StatusAccepted, code, answer)
	require.Equal(t, map[string]any{"workflow_id": "request/acme/CS-2026-0412", "run_id": "run-1", "duplicate": false}, answer)
	require.Equal(t, "request/acme/CS-2026-0412", options.ID)
	require.True(t, options.WorkflowExecutionErrorWhenAlreadyStarted, "an existing request must be told apart from a new one")
	require.Equal(t, []string{"cybereason"}, started.Vendors)
	require.Equal(t, config.DefaultRequests.Urgent, started.Ack)
	require.Equal(t, "yamada@acme.example", started.RequesterEmail)

	code, answer = postRequest(t, server, "acme", urgentIsolate, requestSecret)
	require.Equal(t, http.StatusOK, code, answer)
	require.Equal(t, map[string]any{"workflow_id": "request/acme/CS-2026-0412", "run_id": "run-1", "duplicate": true}, answer)
}

func TestRequestEndpointRefusesWithWhyAndStartsNothing(t *testing.T) {
	server, _ := requestServer(t) // no start expected: the mock fails the test on one
	tests := []struct {
		name, customer, body, secret string
		code                         int
		want                         string
	}{
		{"unknown customer", "initech", urgentIsolate, requestSecret, http.StatusNotFound, `unknown customer "initech"`},
		{"no credentials", "acme", urgentIsolate, "", http.StatusUnauthorized, "missing credentials"},
		{"bad secret", "acme", urgentIsolate, "wrong", http.StatusUnauthorized, "bad bearer secret"},
		{"not JSON", "acme", `isolate osk-pc-17`, requestSecret, http.StatusBadRequest, "request body:"},
		{"unknown field", "acme", `{"id": "1", "kind": "isolate", "hosts": ["pc"], "by": "y"}`, requestSecret, http.StatusBadRequest,
			`unknown field "hosts"`},
		{"unknown kind", "acme", `{"id": "1", "kind": "reboot", "host": "pc", "by": "y"}`, requestSecret, http.StatusBadRequest, `unknown kind "reboot"`},
		{"no host", "acme", `{"id": "1", "kind": "isolate", "by": "y"}`, requestSecret, http.StatusBadRequest, `isolate needs "host"`},
		{"zscaler cannot isolate", "acme", `{"id": "1", "kind": "isolate", "host": "pc", "by": "y", "vendor": "zscaler"}`, requestSecret,
			http.StatusBadRequest, "zscaler cannot isolate a host"},
		{"detect only", "globex", `{"id": "1", "kind": "block", "indicators": [{"type": "domain", "value": "evil.example"}], "by": "y"}`,
			requestSecret, http.StatusConflict, "customer globex is not subscribed to respond"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, answer := postRequest(t, server, tt.customer, tt.body, tt.secret)
			require.Equal(t, tt.code, code, answer)
			require.Contains(t, answer["error"], tt.want)
		})
	}
}

func TestRequestEndpointAsksToRetryWhenTemporalIsDown(t *testing.T) {
	server, temporal := requestServer(t)
	temporal.On("ExecuteWorkflow", mock.Anything, mock.Anything, workflows.RequestWorkflowType, mock.Anything).
		Return(nil, serviceerror.NewUnavailable("connection refused")).Once()
	req, _ := http.NewRequest(http.MethodPost, server.URL+"/v1/requests/acme", strings.NewReader(urgentIsolate))
	req.Header.Set("Authorization", "Bearer "+requestSecret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "5", resp.Header.Get("Retry-After"))
}
