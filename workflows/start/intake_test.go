package start

import (
	"context"
	"strings"
	"testing"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/grpc"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/internal/codec"
	"xsoc/workflows/api"
)

// recordingService answers every start as a new incident and keeps the request.
type recordingService struct {
	workflowservice.WorkflowServiceClient
	starts []*workflowservice.StartWorkflowExecutionRequest
}

func (r *recordingService) StartWorkflowExecution(_ context.Context, req *workflowservice.StartWorkflowExecutionRequest,
	_ ...grpc.CallOption) (*workflowservice.StartWorkflowExecutionResponse, error) {
	r.starts = append(r.starts, req)
	return &workflowservice.StartWorkflowExecutionResponse{RunId: "run-1", Started: true}, nil
}

type serviceClient struct {
	client.Client
	service workflowservice.WorkflowServiceClient
}

func (c serviceClient) WorkflowService() workflowservice.WorkflowServiceClient { return c.service }

var intakeAlert = integrations.Alert{ID: "edr-1", Detection: "Credential dumping (mimikatz)", Severity: integrations.SeverityHigh,
	Hosts: []integrations.Host{{Name: "osk-pc-17"}}, Users: []string{`ACME\taro`}}

func TestIntakeEncodesInputAndMemoWithItsConverter(t *testing.T) {
	key, _ := codec.NewKey("k1")
	ring, err := codec.NewRing([]codec.Key{key}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	service := &recordingService{}
	intake := NewIntake(serviceClient{service: service}, config.WithCodec(client.Options{Namespace: "soc"}, ring), nil)
	ref, err := intake.Deliver(context.Background(), config.Customer{ID: "acme"}, "generic", intakeAlert)
	if err != nil || ref.Duplicate || ref.RunID != "run-1" {
		t.Fatalf("Deliver = %+v, %v", ref, err)
	}
	start := service.starts[0]
	if start.GetNamespace() != "soc" {
		t.Errorf("namespace %q, want the options' soc", start.GetNamespace())
	}
	stored := append(start.GetInput().GetPayloads(), start.GetMemo().GetFields()[api.MemoFingerprint])
	for _, p := range stored {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != codec.MetadataEncodingEncrypted {
			t.Errorf("a payload intake wrote is not encrypted: %v", p.GetMetadata())
		}
		for _, clear := range []string{"osk-pc-17", "taro", "mimikatz"} {
			if strings.Contains(string(p.GetData()), clear) {
				t.Errorf("intake wrote %q in clear", clear)
			}
		}
	}
	var input api.IncidentInput
	if err := ring.DataConverter().FromPayloads(start.GetInput(), &input); err != nil || input.Alert.Hosts[0].Name != "osk-pc-17" {
		t.Fatalf("the input does not decode with the ring: %+v, %v", input, err)
	}
	if host := start.GetSearchAttributes().GetIndexedFields()[api.SAHost.GetName()]; string(host.GetData()) != `"osk-pc-17"` {
		t.Errorf("the host search attribute is %q: the index stays in clear", host.GetData())
	}
}

func TestIntakeRefusesWhatItCannotStartSafely(t *testing.T) {
	hostless := intakeAlert
	hostless.Hosts = nil
	service := &recordingService{}
	_, err := NewIntake(serviceClient{service: service}, client.Options{DataConverter: converter.GetDefaultDataConverter()}, nil).
		Deliver(context.Background(), config.Customer{ID: "acme"}, "generic", hostless)
	if err == nil || !strings.Contains(err.Error(), `customer acme, generic alert "edr-1": invalid alert: at least one host is required`) {
		t.Fatalf("a host-less alert: %v", err)
	}
	_, err = (&Intake{Temporal: serviceClient{service: service}}).Deliver(context.Background(), config.Customer{ID: "acme"}, "generic", intakeAlert)
	if err == nil || !strings.Contains(err.Error(), "no data converter") {
		t.Fatalf("an intake without a converter: %v", err)
	}
	if len(service.starts) != 0 {
		t.Fatalf("refused alerts reached Temporal: %d starts", len(service.starts))
	}
}
