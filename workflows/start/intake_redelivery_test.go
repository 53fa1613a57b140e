package start

import (
	"context"
	"errors"
	"slices"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/grpc"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/api"
)

// incidentServer plays the server for one incident id: its runs (the last is the
// current one), which of them is running, and a hook that runs before each signal
// (to close the run in between, as a suppressed incident does in its first task).
type incidentServer struct {
	client.Client
	dc       converter.DataConverter
	runs     []serverRun
	starts   []*workflowservice.StartWorkflowExecutionRequest
	signals  []integrations.Alert
	updates  int
	waited   []string
	onSignal func(s *incidentServer)
}

type serverRun struct {
	id          string
	running     bool
	fingerprint string
}

func (s *incidentServer) current() *serverRun { return &s.runs[len(s.runs)-1] }

func (s *incidentServer) WorkflowService() workflowservice.WorkflowServiceClient {
	return startService{s: s}
}

// startService is the workflow service as intake uses it: starts only.
type startService struct {
	workflowservice.WorkflowServiceClient
	s *incidentServer
}

func (f startService) StartWorkflowExecution(_ context.Context, req *workflowservice.StartWorkflowExecutionRequest,
	_ ...grpc.CallOption) (*workflowservice.StartWorkflowExecutionResponse, error) {
	s := f.s
	s.starts = append(s.starts, req)
	if len(s.runs) > 0 && s.current().running {
		return &workflowservice.StartWorkflowExecutionResponse{RunId: s.current().id, Started: false}, nil
	}
	if len(s.runs) > 0 && req.GetWorkflowIdReusePolicy() == enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE {
		return nil, serviceerror.NewWorkflowExecutionAlreadyStarted("closed", "", s.current().id)
	}
	var fingerprint string
	if err := s.dc.FromPayload(req.GetMemo().GetFields()[api.MemoFingerprint], &fingerprint); err != nil {
		panic(err)
	}
	s.runs = append(s.runs, serverRun{id: "run-" + string(rune('1'+len(s.runs))), running: true, fingerprint: fingerprint})
	return &workflowservice.StartWorkflowExecutionResponse{RunId: s.current().id, Started: true}, nil
}

func (s *incidentServer) SignalWorkflow(_ context.Context, _, runID, name string, arg any) error {
	if s.onSignal != nil {
		s.onSignal(s)
	}
	if name != api.SignalDeliverAlert || runID != "" {
		panic("intake signals " + name + " to run " + runID)
	}
	if !s.current().running {
		return serviceerror.NewNotFound("workflow execution already completed")
	}
	s.signals = append(s.signals, arg.(integrations.Alert))
	return nil
}

// UpdateWorkflow answers as the server did when a storm kept the worker from the
// incident: intake must not rely on it.
func (s *incidentServer) UpdateWorkflow(context.Context, client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	s.updates++
	return nil, serviceerror.NewDeadlineExceeded("Timeout or cancellation waiting for update")
}

func (s *incidentServer) DescribeWorkflow(context.Context, string, string) (*client.WorkflowExecutionDescription, error) {
	run := s.current()
	status := enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	if run.running {
		status = enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	}
	memo, err := s.dc.ToPayload(run.fingerprint)
	if err != nil {
		return nil, err
	}
	return &client.WorkflowExecutionDescription{RawResponse: &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{RunId: run.id}, Status: status,
		Memo: &commonpb.Memo{Fields: map[string]*commonpb.Payload{api.MemoFingerprint: memo}},
	}}}, nil
}

func closeRun(s *incidentServer) { s.current().running = false }

func TestIntakeHandsARedeliveryOverWithoutWaitingForTheIncident(t *testing.T) {
	later := intakeAlert
	later.Severity = integrations.SeverityCritical
	cases := []struct {
		name string
		// before is the incident as the delivery finds it; onSignal changes it as the
		// delivery is handed over.
		before   []serverRun
		onSignal func(*incidentServer)
		alert    integrations.Alert
		want     IncidentRef
		signals  int
		newStart bool
	}{
		{"running: handed over by Signal", []serverRun{{"run-1", true, api.Fingerprint(intakeAlert)}}, nil, intakeAlert,
			IncidentRef{RunID: "run-1", Duplicate: true}, 1, false},
		{"a later version while running: handed over too", []serverRun{{"run-1", true, api.Fingerprint(intakeAlert)}}, nil, later,
			IncidentRef{RunID: "run-1", Duplicate: true}, 1, false},
		{"closed as it was handed over, same version: duplicate of the closed run", []serverRun{{"run-1", true, api.Fingerprint(intakeAlert)}},
			closeRun, intakeAlert, IncidentRef{RunID: "run-1", Duplicate: true}, 0, false},
		{"closed as it was handed over, a later version: a new run", []serverRun{{"run-1", true, api.Fingerprint(intakeAlert)}},
			closeRun, later, IncidentRef{RunID: "run-2"}, 0, true},
		{"closed, same version: duplicate", []serverRun{{"run-1", false, api.Fingerprint(intakeAlert)}}, nil, intakeAlert,
			IncidentRef{RunID: "run-1", Duplicate: true}, 0, false},
		{"closed, a later version: a new run", []serverRun{{"run-1", false, api.Fingerprint(intakeAlert)}}, nil, later,
			IncidentRef{RunID: "run-2"}, 0, true},
		{"closed, and a concurrent delivery started the next run: handed over to it",
			[]serverRun{{"run-1", false, api.Fingerprint(intakeAlert)}, {"run-2", true, api.Fingerprint(later)}}, nil, later,
			IncidentRef{RunID: "run-2", Duplicate: true}, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dc := converter.GetDefaultDataConverter()
			server := &incidentServer{dc: dc, runs: append([]serverRun(nil), tc.before...), onSignal: tc.onSignal}
			intake := NewIntake(server, client.Options{DataConverter: dc}, nil)

			ref, err := intake.Deliver(context.Background(), config.Customer{ID: "acme"}, "generic", tc.alert)

			tc.want.WorkflowID = api.IncidentWorkflowID("acme", "generic", tc.alert.ID)
			if err != nil || ref != tc.want {
				t.Fatalf("Deliver = %+v, %v; want %+v", ref, err, tc.want)
			}
			if len(server.signals) != tc.signals || server.updates != 0 {
				t.Errorf("%d signals and %d updates, want %d signals and no update", len(server.signals), server.updates, tc.signals)
			}
			last := server.starts[len(server.starts)-1]
			if started := last.GetWorkflowIdReusePolicy() == enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE; started != tc.newStart {
				t.Errorf("started a new run: %v, want %v", started, tc.newStart)
			}
			if tc.newStart {
				var input api.IncidentInput
				if err := dc.FromPayloads(last.GetInput(), &input); err != nil || input.PreviousRunID != "run-1" {
					t.Errorf("the new run is not linked to run-1: %q, %v", input.PreviousRunID, err)
				}
			}
		})
	}
}

func TestIntakeFailsOnlyWhenTemporalDoes(t *testing.T) {
	dc := converter.GetDefaultDataConverter()
	server := &incidentServer{dc: dc, runs: []serverRun{{"run-1", true, api.Fingerprint(intakeAlert)}}}
	_, err := NewIntake(unreachableSignals{server}, client.Options{DataConverter: dc}, nil).
		Deliver(context.Background(), config.Customer{ID: "acme"}, "generic", intakeAlert)
	var unavailable *serviceerror.Unavailable
	if !errors.As(err, &unavailable) {
		t.Fatalf("a Signal Temporal could not take: %v, want its Unavailable error (the starter answers 503)", err)
	}
}

// unreachableSignals is a server that starts incidents but cannot be reached to signal them.
type unreachableSignals struct{ *incidentServer }

func (unreachableSignals) SignalWorkflow(context.Context, string, string, string, any) error {
	return serviceerror.NewUnavailable("connection refused")
}

// GetWorkflow waits for the current run: it closes, as a merged incident does once it
// told its Account.
func (s *incidentServer) GetWorkflow(_ context.Context, _, runID string) client.WorkflowRun {
	s.waited = append(s.waited, runID)
	if s.current().id == runID {
		s.current().running = false
	}
	return closedRun{}
}

type closedRun struct{ client.WorkflowRun }

func (closedRun) Get(context.Context, any) error { return nil }

// An alert handed to a parent that was over starts again as a new run: once the run
// that was handed over closed, which a re-opening waits for (it closes after it told
// the Account, and under load the failed hand-over came back first); a run that is not
// the handed-over one handles the alert already.
func TestReopenWaitsForTheHandedOverRunToClose(t *testing.T) {
	cases := []struct {
		name       string
		handedOver string
		want       IncidentRef
		waited     []string
	}{
		{"the handed-over run, still closing: waited for, then a new run", "run-1", IncidentRef{RunID: "run-2"}, []string{"run-1"}},
		{"another run: it handles the alert", "run-0", IncidentRef{RunID: "run-1", Duplicate: true}, nil},
		{"an alert an incident joined itself: its run handles it", "", IncidentRef{RunID: "run-1", Duplicate: true}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dc := converter.GetDefaultDataConverter()
			server := &incidentServer{dc: dc, runs: []serverRun{{"run-1", true, api.Fingerprint(intakeAlert)}}}
			intake := NewIntake(server, client.Options{DataConverter: dc}, nil)

			ref, err := intake.Reopen(context.Background(), config.Customer{ID: "acme"}, "generic", intakeAlert, tc.handedOver, "its parent was over")

			tc.want.WorkflowID = api.IncidentWorkflowID("acme", "generic", intakeAlert.ID)
			if err != nil || ref != tc.want {
				t.Fatalf("Reopen = %+v, %v; want %+v", ref, err, tc.want)
			}
			if !slices.Equal(server.waited, tc.waited) {
				t.Errorf("waited for %v, want %v", server.waited, tc.waited)
			}
			if started := len(server.starts) == 1; started != !tc.want.Duplicate {
				t.Fatalf("%d starts, want a start only for a new run", len(server.starts))
			}
			if !tc.want.Duplicate {
				var input api.IncidentInput
				if err := dc.FromPayloads(server.starts[0].GetInput(), &input); err != nil || input.PreviousRunID != "run-1" || input.Reopened == "" {
					t.Errorf("the new run is not a re-opening linked to run-1: %+v, %v", input, err)
				}
			}
		})
	}
}
