// Package testworld is what a workflow under test reaches: a fake vendor platform and
// fake notifiers behind the real activities, the activities that reach other
// workflows faked by name, and a record of every signal sent and search attribute
// upserted. Each workflow package's tests register their own workflow in it.
package testworld

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/api"
)

// World is the test environment of one workflow run.
type World struct {
	T        *testing.T
	Env      *testsuite.TestWorkflowEnvironment
	Platform *FakePlatform
	Outbox   *Outbox
	Mu       sync.Mutex
	Upserts  []map[string]any
	Start    time.Time
	// triage answers the incidents' admissions (default: a new incident of its own).
	Triage func(api.Admission) api.TriageAnswer
	// triageDown, when set, is the error every admission by Update fails with.
	TriageDown error
	// TriageBusy leaves every admission by Update unanswered, as a triage answering a
	// storm does: the worker answers "pending" (an incident that takes late answers)
	// or the local activity times out, and triage's answer comes later, by Signal,
	// when a test sends it. WorkerSwamped makes the local activity time out before
	// it could ask at all.
	TriageBusy, WorkerSwamped bool
	// signalled records the signals the incident sent to other workflows.
	Signalled []ExternalSignal
	// signalFails makes signals to a workflow fail, by workflow id.
	SignalFails map[string]error
	// SignalLatency holds each signal to another workflow that long (wall-clock time)
	// before it is delivered, as a busy server does; MostSignalsOut is the most that
	// were out at once, MostSignalsOutTo the most out at once to each workflow.
	SignalLatency                  time.Duration
	signalsOut, MostSignalsOut     int
	signalsOutTo, MostSignalsOutTo map[string]int
	// alive answers triage's look-ups of owners (default: every owner is open).
	Alive   func(api.IncidentRun) api.Liveness
	Lookups []api.IncidentRun
	// Told are the records incidents told their Account, by signal or by the
	// TellAccount activity, in order (a signal or a telling that failed is not among
	// them).
	Told []api.IncidentMoments
	// TellFails makes the TellAccount activity fail while set (the Account cannot be
	// reached).
	TellFails error
}

// ExternalSignal is a signal a workflow under test sent to another (or an Update sent
// by a local activity).
type ExternalSignal struct {
	WorkflowID, Name string
	Arg              any
	// Update is set for an Update sent by a local activity (the admission to triage).
	Update bool
}

// Start is when every test world's clock starts.
var Start = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

// New is a world for the workflows under test, by type name; calls are the activities
// that reach other workflows (package start's Calls), registered so that tests may
// mock them by name. RecordIncident, IncidentAlive and AdmitToTriage answer from the
// world.
func New(t *testing.T, calls any, workflows map[string]any) *World {
	t.Helper()
	env := NewTestEnv(Start)
	w := &World{T: t, Env: env, Platform: NewFakePlatform(), Outbox: &Outbox{}, Start: Start}
	acts := &activities.Activities{
		Platforms: &activities.Platforms{
			Customers: &config.Customers{Customers: []config.Customer{{ID: "acme", Platforms: []config.Platform{
				{Vendor: "cybereason"}, {Vendor: "zscaler"}, {Vendor: "withsecure"}}}}},
			New: func(p config.Platform) (integrations.Platform, error) {
				return VendorPlatform{FakePlatform: w.Platform, vendor: p.Vendor}, nil
			},
		},
		Settings: config.Settings{UIURL: "http://ui.test", PublicURL: "https://xsoc.test"},
		Mailer:   w.Outbox, Slack: w.Outbox, Phone: w.Outbox,
	}
	env.RegisterActivity(acts)
	env.RegisterActivity(calls)
	for name, fn := range workflows {
		env.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: name})
	}
	env.OnActivity("RecordIncident", mock.Anything, mock.Anything).Return(nil).Maybe()
	env.OnActivity("TellAccount", mock.Anything, mock.Anything).Return(func(_ context.Context, m api.IncidentMoments) error {
		w.Mu.Lock()
		defer w.Mu.Unlock()
		if w.TellFails != nil {
			return w.TellFails
		}
		w.Told = append(w.Told, m)
		return nil
	}).Maybe()
	w.SignalFails = map[string]error{}
	w.signalsOutTo, w.MostSignalsOutTo = map[string]int{}, map[string]int{}
	w.Alive = func(run api.IncidentRun) api.Liveness {
		return api.Liveness{Alive: true, Why: run.WorkflowID + " is open"}
	}
	env.OnActivity("IncidentAlive", mock.Anything, mock.Anything).Return(func(_ context.Context, run api.IncidentRun) (api.Liveness, error) {
		w.Mu.Lock()
		defer w.Mu.Unlock()
		w.Lookups = append(w.Lookups, run)
		return w.Alive(run), nil
	}).Maybe()
	w.Triage = func(api.Admission) api.TriageAnswer {
		return api.TriageAnswer{Decision: api.TriageOwn, Why: "a new incident"}
	}
	env.OnActivity("AdmitToTriage", mock.Anything, mock.Anything).Return(func(_ context.Context, a api.Admission) (api.TriageAnswer, error) {
		w.Mu.Lock()
		w.Signalled = append(w.Signalled, ExternalSignal{WorkflowID: api.TriageWorkflowID(a.Customer), Name: api.UpdateAdmit, Arg: a, Update: true})
		answer := w.Triage
		w.Mu.Unlock()
		if w.TriageDown != nil {
			return api.TriageAnswer{}, w.TriageDown
		}
		if w.TriageBusy && a.AnswerLate && !w.WorkerSwamped {
			return api.TriageAnswer{Decision: api.TriagePending, Why: "triage is busy: its answer comes by signal"}, nil
		}
		if w.TriageBusy {
			return api.TriageAnswer{}, temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, nil)
		}
		return answer(a), nil
	}).Maybe()
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_, workflowID, _, name string, arg any) error {
			w.Mu.Lock()
			w.signalsOut++
			w.MostSignalsOut = max(w.MostSignalsOut, w.signalsOut)
			w.signalsOutTo[workflowID]++
			w.MostSignalsOutTo[workflowID] = max(w.MostSignalsOutTo[workflowID], w.signalsOutTo[workflowID])
			latency := w.SignalLatency
			w.Mu.Unlock()
			time.Sleep(latency)
			w.Mu.Lock()
			w.signalsOut--
			w.signalsOutTo[workflowID]--
			w.Signalled = append(w.Signalled, ExternalSignal{WorkflowID: workflowID, Name: name, Arg: arg})
			failure := w.SignalFails[workflowID]
			w.Mu.Unlock()
			if failure != nil {
				return failure
			}
			if moments, ok := arg.(api.IncidentMoments); ok && name == api.SignalIncidentMoments {
				w.Mu.Lock()
				w.Told = append(w.Told, moments)
				w.Mu.Unlock()
			}
			if name == api.SignalAdmit {
				answer := w.Triage(arg.(api.Admission))
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(api.SignalTriaged, answer) }, 0)
			}
			return nil
		}).Maybe()
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		w.Mu.Lock()
		defer w.Mu.Unlock()
		w.Upserts = append(w.Upserts, SearchAttributeMap(args.Get(0)))
	}).Return(nil).Maybe()
	return w
}

// SearchAttributeMap is an upsert's search attributes by name.
func SearchAttributeMap(arg any) map[string]any {
	values := map[string]any{}
	for k, v := range arg.(temporal.SearchAttributes).GetUntypedValues() {
		values[k.GetName()] = v
	}
	return values
}

// Admissions answers the incident's questions to triage, by Signal or by Update.
func (w *World) Admissions() []ExternalSignal {
	w.Mu.Lock()
	defer w.Mu.Unlock()
	var asked []ExternalSignal
	for _, s := range w.Signalled {
		if s.Name == api.SignalAdmit {
			asked = append(asked, s)
		}
	}
	return asked
}

// At runs fn d after the incident started (workflow time).
func (w *World) At(d time.Duration, fn func()) { w.Env.RegisterDelayedCallback(fn, d) }

// Decide sends a decision as an Update and answers its outcome through the returned record.
func (w *World) Decide(d time.Duration, name string, decision api.Decision) *UpdateOutcome {
	outcome := &UpdateOutcome{}
	w.At(d, func() {
		w.Env.UpdateWorkflow(name, fmt.Sprintf("%s-%d", name, d), &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { outcome.Rejected = err },
			OnComplete: func(result any, err error) { outcome.Err = err; outcome.Completed = true },
		}, decision)
	})
	return outcome
}

// UpdateOutcome is how an Update sent by Decide went.
type UpdateOutcome struct {
	Rejected  error
	Err       error
	Completed bool
}

// Signal sends a decision as a Signal.
func (w *World) Signal(d time.Duration, name string, decision api.Decision) {
	w.At(d, func() { w.Env.SignalWorkflow(name, decision) })
}

// Run runs an incident to its end and answers its last status.
func (w *World) Run(in api.IncidentInput) api.IncidentStatus {
	w.T.Helper()
	w.Env.ExecuteWorkflow(api.IncidentWorkflowType, in)
	require.True(w.T, w.Env.IsWorkflowCompleted(), "incident did not end")
	var status api.IncidentStatus
	require.NoError(w.T, w.Env.GetWorkflowError())
	require.NoError(w.T, w.Env.GetWorkflowResult(&status))
	return status
}

// Last answers the last value upserted for a search attribute.
func (w *World) Last(name string) any {
	w.Mu.Lock()
	defer w.Mu.Unlock()
	for i := len(w.Upserts) - 1; i >= 0; i-- {
		if v, ok := w.Upserts[i][name]; ok {
			return v
		}
	}
	return nil
}

// Seen tells whether a search attribute was ever upserted to the value.
func (w *World) Seen(name string, value any) bool {
	w.Mu.Lock()
	defer w.Mu.Unlock()
	return slices.ContainsFunc(w.Upserts, func(u map[string]any) bool { return u[name] == value })
}

// Query answers a query of the workflow under test.
func (w *World) Query(name string, into any) {
	w.T.Helper()
	value, err := w.Env.QueryWorkflow(name)
	require.NoError(w.T, err)
	require.NoError(w.T, value.Get(into))
}

// TestUpdate decodes an accepted Update's result.
type TestUpdate struct {
	Into any
	Err  error
}

func (u *TestUpdate) Accept() {}

func (u *TestUpdate) Reject(err error) { u.Err = err }

func (u *TestUpdate) Complete(result any, err error) {
	u.Err = err
	if err == nil && u.Into != nil {
		if r, ok := result.(api.DeliveryResult); ok {
			*(u.Into.(*api.DeliveryResult)) = r
		}
	}
}

// NewTestEnv is a time-skipping environment starting at start, quiet but for errors.
// The machine may be busy with other test packages: a slow task is not a deadlock.
func NewTestEnv(start time.Time) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 30 * time.Second})
	return env
}

// SignalCallOutcome reports that the incident's call to a number ended unanswered,
// with the key the Twilio callback would carry.
func (w *World) SignalCallOutcome(to, status string) {
	var s api.IncidentStatus
	w.Query(api.QueryStatus, &s)
	for _, p := range s.Paged {
		if p.Channel == "call" && p.Address == to {
			w.Env.SignalWorkflow(api.SignalCallOutcome, api.CallOutcome{Key: p.Key, To: to, Status: status})
			return
		}
	}
	w.T.Errorf("no call to %s to report on", to)
}

// DecodeInput reads the input an incident continued as new with.
func DecodeInput(next *workflow.ContinueAsNewError, into any) error {
	return converter.GetDefaultDataConverter().FromPayloads(next.Input, into)
}

// MemoUpserts records the memos an incident under test upserts.
func (w *World) MemoUpserts() func() []map[string]any {
	var mu sync.Mutex
	var memos []map[string]any
	w.Env.OnUpsertMemo(mock.Anything).Run(func(args mock.Arguments) {
		mu.Lock()
		defer mu.Unlock()
		memos = append(memos, args.Get(0).(map[string]any))
	}).Return().Maybe()
	return func() []map[string]any {
		mu.Lock()
		defer mu.Unlock()
		return memos
	}
}

// Refusal is why an Update was refused: by its validator, or when applied (a decision
// sent at the same moment as another is validated again when its turn comes).
func (o *UpdateOutcome) Refusal() error {
	if o.Rejected != nil {
		return o.Rejected
	}
	return o.Err
}
