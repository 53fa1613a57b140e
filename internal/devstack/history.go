package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/converter"

	"xsoc/identity"
	"xsoc/workflows/api"
)

// WriteHistory writes a workflow's history, as far as it has run, to a JSON file that
// worker.WorkflowReplayer reads: the replay tests that guard running workflows
// against breaking changes. The payloads are written decrypted, since the replay
// tests run without the stack's key.
func (s *Stack) WriteHistory(file, workflowID string) error {
	history, err := s.decodedHistory(workflowID, "")
	if err != nil {
		return err
	}
	return writeHistory(file, history)
}

func writeHistory(file string, history *historypb.History) error {
	data, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(history)
	if err != nil {
		return err
	}
	return os.WriteFile(file, data, 0o644)
}

// RecordHistory writes a workflow's history (as WriteHistory does) into dir, under the
// name its versions give it: name is called with the version each change id of the
// history recorded (workflow.GetVersion's markers; 0 for a change id without one, as
// for the runs before it), so that a file always says which versions it replays. It
// answers the file written.
func (s *Stack) RecordHistory(dir, workflowID string, name func(versions Versions) string) (string, error) {
	return s.RecordRunHistory(dir, workflowID, "", name)
}

// RecordRunHistory is RecordHistory of one run of the workflow (its current run when
// runID is empty).
func (s *Stack) RecordRunHistory(dir, workflowID, runID string, name func(versions Versions) string) (string, error) {
	history, err := s.decodedHistory(workflowID, runID)
	if err != nil {
		return "", err
	}
	versions, err := HistoryVersions(history)
	if err != nil {
		return "", fmt.Errorf("the versions of %s: %w", workflowID, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	file := filepath.Join(dir, name(versions)+".json")
	return file, writeHistory(file, history)
}

// Versions are the versions a history recorded, by change id: 0 for a change id
// without a marker (the runs before it).
type Versions map[string]int

// HistoryVersions reads the version markers of a decoded history.
func HistoryVersions(history *historypb.History) (Versions, error) {
	versions := Versions{}
	dc := converter.GetDefaultDataConverter()
	for _, event := range history.GetEvents() {
		marker := event.GetMarkerRecordedEventAttributes()
		if marker.GetMarkerName() != "Version" {
			continue
		}
		var changeID string
		var version int
		if err := dc.FromPayloads(marker.GetDetails()["change-id"], &changeID); err != nil {
			return nil, fmt.Errorf("a version marker's change id: %w", err)
		}
		if err := dc.FromPayloads(marker.GetDetails()["version"], &version); err != nil {
			return nil, fmt.Errorf("the version of %s: %w", changeID, err)
		}
		versions[changeID] = version
	}
	return versions, nil
}

func (s *Stack) decodedHistory(workflowID, runID string) (*historypb.History, error) {
	history := &historypb.History{}
	events := s.Temporal.GetWorkflowHistory(context.Background(), workflowID, runID, false, 0)
	for events.HasNext() {
		event, err := events.Next()
		if err != nil {
			return nil, err
		}
		history.Events = append(history.Events, event)
	}
	s.asTheWorkerTookRefusedDecisions(history)
	// As a person reads it: search attributes are in clear, and so is anything sent
	// without the codec (which the worker refused).
	codec := s.ring.ViewingDataConverter().(converter.PayloadCodecProvider).Codec()
	err := proxy.VisitPayloads(context.Background(), history, proxy.VisitPayloadsOptions{
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
			return codec.Decode(p)
		},
	})
	return history, err
}

// asTheWorkerTookRefusedDecisions writes each decision Signal the ring refuses (sent in
// clear, or without a payload) as the worker's signal guard handed it to the workflow:
// an object holding only identity.RefusedField, the reason (codec.SignalGuard). Written
// in clear as the sender typed it, a replay would take it for a decision.
func (s *Stack) asTheWorkerTookRefusedDecisions(history *historypb.History) {
	for _, event := range history.GetEvents() {
		signal := event.GetWorkflowExecutionSignaledEventAttributes()
		if signal == nil || !slices.Contains(api.Decisions, signal.GetSignalName()) && !slices.Contains(api.RequestDecisions, signal.GetSignalName()) {
			continue
		}
		reason := "the signal carries no payload: xsoc takes only payloads its codec encrypted"
		if payloads := signal.GetInput().GetPayloads(); len(payloads) > 0 {
			_, err := s.ring.Decode(payloads)
			if err == nil {
				continue
			}
			reason = err.Error()
		}
		refused, _ := json.Marshal(map[string]string{identity.RefusedField: reason})
		signal.Input = &commonpb.Payloads{Payloads: []*commonpb.Payload{{
			Metadata: map[string][]byte{converter.MetadataEncoding: []byte(converter.MetadataEncodingJSON)}, Data: refused}}}
	}
}
