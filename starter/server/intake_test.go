package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"

	"xsoc/config"
	"xsoc/workflows/api"
	"xsoc/workflows/start"
)

// flakyTemporal is a Temporal that runs incidents like the real one (a start of a
// running id finds it, a re-delivery is handed to it by Signal) except that the starts
// listed in fail answer with the error given.
type flakyTemporal struct {
	client.Client
	service *flakyService
	signals int
}

type flakyService struct {
	workflowservice.WorkflowServiceClient
	fail    map[int]error // by start attempt, from 1
	starts  int
	running map[string]int // workflow id → times created
}

func newFlakyTemporal(fail map[int]error) *flakyTemporal {
	return &flakyTemporal{service: &flakyService{fail: fail, running: map[string]int{}}}
}

func (f *flakyTemporal) WorkflowService() workflowservice.WorkflowServiceClient { return f.service }

func (f *flakyService) StartWorkflowExecution(_ context.Context, req *workflowservice.StartWorkflowExecutionRequest,
	_ ...grpc.CallOption) (*workflowservice.StartWorkflowExecutionResponse, error) {
	f.starts++
	if err := f.fail[f.starts]; err != nil {
		return nil, err
	}
	id := req.GetWorkflowId()
	if f.running[id] > 0 {
		return &workflowservice.StartWorkflowExecutionResponse{RunId: "run-" + id, Started: false}, nil
	}
	f.running[id]++
	return &workflowservice.StartWorkflowExecutionResponse{RunId: "run-" + id, Started: true}, nil
}

func (f *flakyTemporal) SignalWorkflow(_ context.Context, _, _, name string, _ any) error {
	if name == api.SignalDeliverAlert {
		f.signals++
	}
	return nil
}

const intakeSecret = "intake-test-secret"

func intakeServer(t *testing.T, temporal client.Client) http.Handler {
	t.Helper()
	t.Setenv("ACME_WEBHOOK_SECRET", intakeSecret)
	customers, err := config.ParseCustomers("customers.yaml", []byte(`customers:
  - {id: acme, name: ACME, services: [detect], webhook_secret_env: ACME_WEBHOOK_SECRET, response: {policy: investigate_first}}
`), func(name string) (string, bool) { return intakeSecret, name == "ACME_WEBHOOK_SECRET" })
	if err != nil {
		t.Fatal(err)
	}
	return testServer(t, customers, temporal, testRing(t), "")
}

func fourAlerts() string {
	alerts := make([]string, 4)
	for i := range alerts {
		alerts[i] = fmt.Sprintf(`{"id": "batch-%d", "detection": "Ransomware", "severity": "high", "hosts": [{"name": "pc-%d"}]}`, i+1, i+1)
	}
	return "[" + strings.Join(alerts, ",") + "]"
}

func postAlerts(t *testing.T, h http.Handler, body string) (int, intakeAnswer, http.Header) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/alerts/generic/acme", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+intakeSecret)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var answer intakeAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
		t.Fatalf("answer %s: %v", rec.Body, err)
	}
	return rec.Code, answer, rec.Header()
}

func workflowIDs(refs []start.IncidentRef) []string {
	ids := make([]string, len(refs))
	for i, ref := range refs {
		ids[i] = strings.TrimPrefix(ref.WorkflowID, "incident/acme/generic/")
	}
	return ids
}

func TestABodyWhoseThirdStartFailsSaysWhatStartedAndARetryFinishesIt(t *testing.T) {
	temporal := newFlakyTemporal(map[int]error{3: serviceerror.NewInternal("history shard busy")})
	h := intakeServer(t, temporal)

	code, answer, _ := postAlerts(t, h, fourAlerts())
	if code != http.StatusInternalServerError {
		t.Fatalf("a partly started body answered %d %+v", code, answer)
	}
	if got := strings.Join(workflowIDs(answer.Incidents), ","); got != "batch-1,batch-2,batch-4" {
		t.Errorf("incidents = %s, want batch-1,batch-2,batch-4", got)
	}
	if len(answer.Failed) != 1 || answer.Failed[0].Alert != "batch-3" || !strings.Contains(answer.Failed[0].Error, "history shard busy") {
		t.Errorf("failed = %+v, want batch-3 with the server's reason", answer.Failed)
	}
	if !strings.Contains(answer.Error, "1 of 4 alerts have no incident") {
		t.Errorf("error = %q", answer.Error)
	}

	code, answer, _ = postAlerts(t, h, fourAlerts())
	if code != http.StatusAccepted || len(answer.Failed) != 0 || len(answer.Incidents) != 4 {
		t.Fatalf("the retry answered %d %+v", code, answer)
	}
	for _, ref := range answer.Incidents {
		if ref.Duplicate != !strings.HasSuffix(ref.WorkflowID, "batch-3") {
			t.Errorf("on retry %s answered duplicate=%v", ref.WorkflowID, ref.Duplicate)
		}
	}
	for id, created := range temporal.service.running {
		if created != 1 {
			t.Errorf("%s created %d times", id, created)
		}
	}
	if len(temporal.service.running) != 4 || temporal.signals != 3 {
		t.Errorf("%d incidents and %d re-deliveries, want 4 and 3", len(temporal.service.running), temporal.signals)
	}
}

func TestABodyMeetingTemporalDownAnswers503AndTriesNoFurther(t *testing.T) {
	temporal := newFlakyTemporal(map[int]error{2: serviceerror.NewUnavailable("connection refused")})
	code, answer, header := postAlerts(t, intakeServer(t, temporal), fourAlerts())
	if code != http.StatusServiceUnavailable || header.Get("Retry-After") == "" {
		t.Fatalf("got %d, Retry-After %q", code, header.Get("Retry-After"))
	}
	if got := strings.Join(workflowIDs(answer.Incidents), ","); got != "batch-1" || len(answer.Failed) != 3 || temporal.service.starts != 2 {
		t.Fatalf("incidents %s, failed %+v after %d starts", got, answer.Failed, temporal.service.starts)
	}
	if !strings.Contains(answer.Failed[2].Error, "not tried") || !strings.HasPrefix(answer.Error, "Temporal cannot be reached") {
		t.Errorf("answer %+v", answer)
	}
}
