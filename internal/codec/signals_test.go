package codec

import (
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// sentInClear marks a test's signal argument to be sent without the codec, as the
// plain CLI sends it.
type sentInClear struct{ value any }

// senderConverter encodes with the ring, but a sentInClear argument in clear; it
// decodes with the ring, as the worker does.
type senderConverter struct {
	converter.DataConverter
}

func (c senderConverter) ToPayloads(values ...any) (*commonpb.Payloads, error) {
	if len(values) == 1 {
		if plain, ok := values[0].(sentInClear); ok {
			if plain.value == nil {
				return &commonpb.Payloads{}, nil
			}
			return converter.GetDefaultDataConverter().ToPayloads(plain.value)
		}
	}
	return c.DataConverter.ToPayloads(values...)
}

// decisionsWorkflow takes "decide" signals until "done" and answers what it got.
func decisionsWorkflow(ctx workflow.Context) ([]decision, error) {
	var got []decision
	decide, done := workflow.GetSignalChannel(ctx, "decide"), workflow.GetSignalChannel(ctx, "done")
	for {
		selector := workflow.NewSelector(ctx)
		selector.AddReceive(decide, func(c workflow.ReceiveChannel, _ bool) {
			var d decision
			c.Receive(ctx, &d)
			got = append(got, d)
		})
		finished := false
		selector.AddReceive(done, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, nil)
			finished = true
		})
		selector.Select(ctx)
		if finished {
			return got, nil
		}
	}
}

func runDecisions(t *testing.T, forward func(string) bool, signals ...any) []decision {
	t.Helper()
	ring := mustRing(t, "k1", mustKey(t, "k1"))
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetDataConverter(senderConverter{ring.DataConverter()})
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{SignalGuard(ring, forward)}})
	for i, arg := range signals {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow("decide", arg) }, time.Duration(i+1)*time.Second)
	}
	env.RegisterDelayedCallback(func() { env.SignalWorkflow("done", nil) }, time.Duration(len(signals)+1)*time.Second)
	env.ExecuteWorkflow(decisionsWorkflow)
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("the workflow did not complete cleanly: %v", env.GetWorkflowError())
	}
	var got []decision
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	return got
}

// A decision signal in clear reaches the workflow as refused, never with the fields
// its sender typed, and never fails the workflow task; an encrypted one as it was sent.
func TestRefusedDecisionSignalsReachTheWorkflowAsRefused(t *testing.T) {
	got := runDecisions(t, func(signal string) bool { return signal == "decide" },
		sentInClear{map[string]string{"by": "mallory", "note": "closing"}},
		decision{By: "taro", Note: "from a key holder"},
		sentInClear{nil}, // no payload at all
	)
	if len(got) != 3 {
		t.Fatalf("the workflow got %d decisions, want 3: %+v", len(got), got)
	}
	if got[0].Refused == "" || got[0].By != "" || got[0].Note != "" || got[0].Principal != nil {
		t.Errorf("the plain signal reached the workflow as %+v, want refused and nothing else", got[0])
	}
	if got[0].Refused != "" && !strings.Contains(got[0].Refused, "not encrypted with a key of the ring") {
		t.Errorf("refusal reason %q", got[0].Refused)
	}
	if got[1].Refused != "" || got[1].By != "taro" {
		t.Errorf("the encrypted signal reached the workflow as %+v", got[1])
	}
	if !strings.Contains(got[2].Refused, "no payload") {
		t.Errorf("the empty signal reached the workflow as %+v", got[2])
	}
	if _, err := got[0].Author(got[0].By, time.Now()); err == nil {
		t.Error("the refused decision has an author")
	}
}

// Signals not declared to take refusals are dropped: the workflow never sees the zero
// value of a payload it did not get.
func TestOtherRefusedSignalsAreDropped(t *testing.T) {
	got := runDecisions(t, nil,
		sentInClear{map[string]string{"by": "mallory"}},
		decision{By: "taro"},
	)
	if len(got) != 1 || got[0].By != "taro" {
		t.Fatalf("the workflow got %+v, want only taro's", got)
	}
}

// A signal encrypted under a key not in the ring, or altered, is refused like a plain one.
func TestSignalsUnderAnotherKeyAreRefused(t *testing.T) {
	other := mustRing(t, "k9", mustKey(t, "k9"))
	foreign, err := other.DataConverter().ToPayload(decision{By: "mallory"})
	if err != nil {
		t.Fatal(err)
	}
	got := runDecisions(t, func(string) bool { return true }, sentInClear{converter.NewRawValue(foreign)})
	if len(got) != 1 || !strings.Contains(got[0].Refused, `key id "k9"`) {
		t.Fatalf("the workflow got %+v, want one refused for key k9", got)
	}
}

// An Update in clear is rejected before its validator runs, with the refusal: its
// sender is told why.
func TestUpdatesInClearAreRejectedWithTheReason(t *testing.T) {
	ring := mustRing(t, "k1", mustKey(t, "k1"))
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetDataConverter(senderConverter{ring.DataConverter()})
	validated := 0
	workflowFn := func(ctx workflow.Context) error {
		err := workflow.SetUpdateHandlerWithOptions(ctx, "acknowledge",
			func(ctx workflow.Context, d decision) (string, error) { return "acknowledged by " + d.By, nil },
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, d decision) error { validated++; return nil }})
		if err != nil {
			return err
		}
		return workflow.Sleep(ctx, time.Hour)
	}
	var plainErr, encryptedErr error
	var encryptedResult string
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow("acknowledge", "plain", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { plainErr = err }, OnAccept: func() {}, OnComplete: func(any, error) {},
		}, sentInClear{map[string]string{"by": "mallory"}})
		env.UpdateWorkflow("acknowledge", "encrypted", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { encryptedErr = err }, OnAccept: func() {},
			OnComplete: func(result any, err error) { encryptedResult, _ = result.(string); encryptedErr = err },
		}, decision{By: "taro"})
	}, time.Minute)
	env.ExecuteWorkflow(workflowFn)
	if plainErr == nil || !strings.Contains(plainErr.Error(), "not encrypted with a key of the ring") {
		t.Errorf("the plain update was answered %v, want the refusal", plainErr)
	}
	if encryptedErr != nil || encryptedResult != "acknowledged by taro" {
		t.Errorf("the encrypted update was answered %q, %v", encryptedResult, encryptedErr)
	}
	if validated != 1 {
		t.Errorf("the validator ran %d times, want once (the plain update never reaches it)", validated)
	}
}
