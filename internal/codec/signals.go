package codec

import (
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"
)

// Why the ring's refusal reaches each kind of payload differently:
//   - an Update's argument is decoded before its validator runs, and a decoding error
//     rejects the Update: its sender reads the *RefusalError (in clear, FailureConverter);
//   - a start's input is decoded before the workflow function runs, and a decoding
//     error fails the workflow with it;
//   - a Signal answers nobody, and the SDK drops a signal it cannot decode without a
//     word (a log line, a metric): the workflow would never know. SignalGuard sees the
//     signal's payloads before they are decoded (HandleSignal gets them still
//     encrypted) and, for one the ring refuses, either hands the workflow a payload it
//     recognises as refused, or drops it with a warning.

// SignalGuard is the worker interceptor that lets no Signal in that the ring did not
// encrypt, and never fails a workflow task for one. forward tells which signals reach
// the workflow when refused, as an object holding only identity.RefusedField (the
// reason), encrypted with the ring like any payload: the decisions of workflows that
// note refused decisions in their timeline. Every other refused signal is dropped and
// logged, so that no workflow takes the zero value of a payload it never got.
func SignalGuard(ring *Ring, forward func(signal string) bool) interceptor.WorkerInterceptor {
	return &signalGuard{ring: ring, forward: forward}
}

type signalGuard struct {
	interceptor.WorkerInterceptorBase
	ring    *Ring
	forward func(signal string) bool
}

func (g *signalGuard) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &signalGuardInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, guard: g}
}

type signalGuardInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	guard *signalGuard
}

func (i *signalGuardInbound) HandleSignal(ctx workflow.Context, in *interceptor.HandleSignalInput) error {
	reason := i.guard.refusal(in)
	if reason == "" {
		return i.Next.HandleSignal(ctx, in)
	}
	log := workflow.GetLogger(ctx)
	if i.guard.forward != nil && i.guard.forward(in.SignalName) {
		refused, err := i.guard.ring.refusedSignal(reason)
		if err == nil {
			log.Warn("refused signal: handed to the workflow as refused", "signal", in.SignalName, "reason", reason)
			return i.Next.HandleSignal(ctx, &interceptor.HandleSignalInput{SignalName: in.SignalName, Arg: payloadsOf(refused)})
		}
		log.Error("refused signal: could not write its refusal; dropped", "signal", in.SignalName, "error", err)
		return nil
	}
	log.Warn("refused signal: dropped", "signal", in.SignalName, "reason", reason)
	return nil
}

// refusal answers why the ring refuses the signal's payloads, "" when it takes them.
// A signal without a payload is refused too: everything xsoc sends carries one (a nil
// argument is an encrypted null), and a workflow must not take an empty decision.
func (g *signalGuard) refusal(in *interceptor.HandleSignalInput) string {
	payloads := in.Arg.GetPayloads()
	if len(payloads) == 0 {
		return "the signal carries no payload: xsoc takes only payloads its codec encrypted"
	}
	if _, err := g.ring.Decode(payloads); err != nil {
		return err.Error()
	}
	return ""
}

func payloadsOf(payloads ...*commonpb.Payload) *commonpb.Payloads {
	return &commonpb.Payloads{Payloads: payloads}
}
