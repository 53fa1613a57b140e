package devstack

import (
	"context"
	"os"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/converter"
)

// WriteHistory writes a workflow's history, as far as it has run, to a JSON file that
// worker.WorkflowReplayer reads: the replay tests that guard running workflows
// against breaking changes. The payloads are written decrypted, since the replay
// tests run without the stack's key.
func (s *Stack) WriteHistory(file, workflowID string) error {
	history := &historypb.History{}
	events := s.Temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, 0)
	for events.HasNext() {
		event, err := events.Next()
		if err != nil {
			return err
		}
		history.Events = append(history.Events, event)
	}
	// As a person reads it: search attributes are in clear, and so is anything sent
	// without the codec (which the worker refused).
	codec := s.ring.ViewingDataConverter().(converter.PayloadCodecProvider).Codec()
	err := proxy.VisitPayloads(context.Background(), history, proxy.VisitPayloadsOptions{
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
			return codec.Decode(p)
		},
	})
	if err != nil {
		return err
	}
	data, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(history)
	if err != nil {
		return err
	}
	return os.WriteFile(file, data, 0o644)
}
