package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/api"
)

const requestSecret = "request-test-secret"

// doorPlatform stands for every platform of the customers at the door: it knows the
// hosts in known and answers the others with Cybereason's 404; with failure set it
// answers that status to every question, and with hang it answers only when the
// starter gives up. Only FindHost is asked at the door: anything else panics.
type doorPlatform struct {
	integrations.Platform
	known   map[string]bool
	failure int
	hang    bool

	mu    sync.Mutex
	asked []string
}

func (p *doorPlatform) FindHost(ctx context.Context, host integrations.Host) (integrations.HostFacts, error) {
	p.mu.Lock()
	p.asked = append(p.asked, host.Name)
	p.mu.Unlock()
	switch {
	case p.hang:
		<-ctx.Done()
		return integrations.HostFacts{}, ctx.Err()
	case p.failure != 0:
		return integrations.HostFacts{}, &integrations.VendorError{Vendor: "cybereason", Operation: "query sensors",
			StatusCode: p.failure, Message: "upstream connect error"}
	case !p.known[host.Name]:
		return integrations.HostFacts{}, &integrations.VendorError{Vendor: "cybereason", Operation: "query sensors",
			StatusCode: http.StatusNotFound, Message: fmt.Sprintf("no sensor for host %q", host.Name)}
	}
	return integrations.HostFacts{Host: integrations.Host{Name: host.Name, ID: "pylum-" + host.Name}}, nil
}

func (p *doorPlatform) questions() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.asked...)
}

// requestServer is the starter with a mocked Temporal client and door as every
// customer's platform: each test says what a start answers, and the mock fails the
// test on a start nobody expected.
func requestServer(t *testing.T, door *doorPlatform, hostCheck time.Duration) (*httptest.Server, *mocks.Client) {
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
	s := New(process, temporal, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.platforms.New = func(config.Platform) (integrations.Platform, error) { return door, nil }
	s.hostCheckTimeout = hostCheck
	server := httptest.NewServer(s.Handler())
	t.Cleanup(server.Close)
	return server, temporal
}

// expectStart makes the mocked Temporal client start one request, and answers what it
// was started with.
func expectStart(temporal *mocks.Client) *api.RequestInput {
	run := &mocks.WorkflowRun{}
	run.On("GetRunID").Return("run-1")
	started := &api.RequestInput{}
	temporal.On("ExecuteWorkflow", mock.Anything, mock.Anything, api.RequestWorkflowType, mock.Anything).
		Run(func(args mock.Arguments) { *started = args.Get(3).(api.RequestInput) }).Return(run, nil).Once()
	return started
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
	door := &doorPlatform{known: map[string]bool{"osk-pc-17": true}}
	server, temporal := requestServer(t, door, hostCheckTimeout)
	run := &mocks.WorkflowRun{}
	run.On("GetRunID").Return("run-1")
	var started api.RequestInput
	var options client.StartWorkflowOptions
	temporal.On("ExecuteWorkflow", mock.Anything, mock.Anything, api.RequestWorkflowType, mock.Anything).
		Run(func(args mock.Arguments) {
			options, started = args.Get(1).(client.StartWorkflowOptions), args.Get(3).(api.RequestInput)
		}).Return(run, nil).Once()
	temporal.On("ExecuteWorkflow", mock.Anything, mock.Anything, api.RequestWorkflowType, mock.Anything).
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
	require.Equal(t, []string{"osk-pc-17", "osk-pc-17"}, door.questions(), "the host is checked with the platform before each start")
}

func TestRequestEndpointRefusesWithWhyAndStartsNothing(t *testing.T) {
	door := &doorPlatform{}
	server, _ := requestServer(t, door, hostCheckTimeout) // no start expected: the mock fails the test on one
	tests := []struct {
		name, customer, body, secret string
		code                         int
		want                         string
	}{
		{"unknown customer: as a wrong secret", "initech", urgentIsolate, requestSecret, http.StatusUnauthorized, "bad bearer secret"},
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
	require.Empty(t, door.questions(), "a request refused by what the customers file says asks no vendor")
}

func TestRequestEndpointRefusesAHostNoPlatformKnowsAndStartsNothing(t *testing.T) {
	door := &doorPlatform{known: map[string]bool{"osk-pc-17": true}}
	server, _ := requestServer(t, door, hostCheckTimeout) // no start expected: the mock fails the test on one
	for _, kind := range []string{"isolate", "release"} {
		code, answer := postRequest(t, server, "acme", fmt.Sprintf(`{"id": "CS-1", "kind": %q, "host": "osk-pc-99", "by": "y"}`, kind), requestSecret)
		require.Equal(t, http.StatusBadRequest, code, answer)
		require.Equal(t, `host osk-pc-99 is not known to the platforms of customer acme (asked cybereason): `+
			`cybereason query sensors: HTTP 404: no sensor for host "osk-pc-99"`, answer["error"])
	}
	require.Equal(t, []string{"osk-pc-99", "osk-pc-99"}, door.questions(), "only Cybereason can isolate: Zscaler is not asked")
}

func TestRequestEndpointInvestigatesAHostNoPlatformKnows(t *testing.T) {
	door := &doorPlatform{}
	server, temporal := requestServer(t, door, hostCheckTimeout)
	started := expectStart(temporal)
	code, answer := postRequest(t, server, "acme", `{"id": "CS-2", "kind": "investigate", "host": "osk-pc-99", "by": "y"}`, requestSecret)
	require.Equal(t, http.StatusAccepted, code, answer)
	require.Equal(t, "osk-pc-99", started.Request.Host)
	require.Empty(t, door.questions(), "the SOC looks for a host to investigate even when no platform knows it")
}

// A vendor that cannot answer at the door lets the request in: the workflow's FindHost
// asks again, retrying, and declines it then if no platform knows the host.
func TestRequestEndpointLetsTheRequestInWhenTheVendorCannotAnswer(t *testing.T) {
	for name, door := range map[string]*doorPlatform{
		"502":     {failure: http.StatusBadGateway},
		"429":     {failure: http.StatusTooManyRequests},
		"timeout": {hang: true},
	} {
		t.Run(name, func(t *testing.T) {
			server, temporal := requestServer(t, door, 100*time.Millisecond)
			started := expectStart(temporal)
			code, answer := postRequest(t, server, "acme", urgentIsolate, requestSecret)
			require.Equal(t, http.StatusAccepted, code, answer)
			require.Equal(t, "osk-pc-17", started.Request.Host)
			require.Equal(t, []string{"cybereason"}, started.Vendors)
			require.Equal(t, []string{"osk-pc-17"}, door.questions())
		})
	}
}

func TestRequestEndpointAsksToRetryWhenTemporalIsDown(t *testing.T) {
	server, temporal := requestServer(t, &doorPlatform{known: map[string]bool{"osk-pc-17": true}}, hostCheckTimeout)
	temporal.On("ExecuteWorkflow", mock.Anything, mock.Anything, api.RequestWorkflowType, mock.Anything).
		Return(nil, serviceerror.NewUnavailable("connection refused")).Once()
	req, _ := http.NewRequest(http.MethodPost, server.URL+"/v1/requests/acme", strings.NewReader(urgentIsolate))
	req.Header.Set("Authorization", "Bearer "+requestSecret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "5", resp.Header.Get("Retry-After"))
}
