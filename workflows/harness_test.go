package workflows

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sdklog "go.temporal.io/sdk/log"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"xsoc/activities"
	"xsoc/config"
	"xsoc/integrations"
	"xsoc/integrations/email"
	"xsoc/integrations/slack"
	"xsoc/integrations/twilio"
)

// world is what an incident under test reaches: a fake vendor platform and fake
// notifiers behind the real activities, and a record of every search attribute upsert.
type world struct {
	t        *testing.T
	env      *testsuite.TestWorkflowEnvironment
	platform *fakePlatform
	outbox   *outbox
	mu       sync.Mutex
	upserts  []map[string]any
	start    time.Time
	// triage answers the incidents' admissions (default: a new incident of its own).
	triage func(Admission) TriageAnswer
	// triageDown, when set, is the error every admission by Update fails with.
	triageDown error
	// signalled records the signals the incident sent to other workflows.
	signalled []externalSignal
	// signalFails makes signals to a workflow fail, by workflow id.
	signalFails map[string]error
	// alive answers triage's look-ups of owners (default: every owner is open).
	alive   func(IncidentRun) Liveness
	lookups []IncidentRun
}

type externalSignal struct {
	WorkflowID, Name string
	Arg              any
	// Update is set for an Update sent by a local activity (the admission to triage).
	Update bool
}

var testStart = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func newWorld(t *testing.T) *world {
	t.Helper()
	env := newTestEnv(testStart)
	w := &world{t: t, env: env, platform: newFakePlatform(), outbox: &outbox{}, start: testStart}
	acts := &activities.Activities{
		Platforms: &activities.Platforms{
			Customers: &config.Customers{Customers: []config.Customer{{ID: "acme", Platforms: []config.Platform{
				{Vendor: "cybereason"}, {Vendor: "zscaler"}, {Vendor: "withsecure"}}}}},
			New: func(p config.Platform) (integrations.Platform, error) {
				return vendorPlatform{fakePlatform: w.platform, vendor: p.Vendor}, nil
			},
		},
		Settings: config.Settings{UIURL: "http://ui.test", PublicURL: "https://xsoc.test"},
		Mailer:   w.outbox, Slack: w.outbox, Phone: w.outbox,
	}
	env.RegisterActivity(acts)
	own := &Activities{}
	env.RegisterActivity(own)
	env.RegisterWorkflowWithOptions(Incident, workflow.RegisterOptions{Name: IncidentWorkflowType})
	env.RegisterWorkflowWithOptions(Request, workflow.RegisterOptions{Name: RequestWorkflowType})
	env.RegisterWorkflowWithOptions(Triage, workflow.RegisterOptions{Name: TriageWorkflowType})
	env.RegisterWorkflowWithOptions(Tuning, workflow.RegisterOptions{Name: TuningWorkflowType})
	env.OnActivity(own.RecordIncident, mock.Anything, mock.Anything).Return(nil).Maybe()
	w.signalFails = map[string]error{}
	w.alive = func(run IncidentRun) Liveness { return Liveness{Alive: true, Why: run.WorkflowID + " is open"} }
	env.OnActivity(own.IncidentAlive, mock.Anything, mock.Anything).Return(func(_ context.Context, run IncidentRun) (Liveness, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.lookups = append(w.lookups, run)
		return w.alive(run), nil
	}).Maybe()
	w.triage = func(Admission) TriageAnswer { return TriageAnswer{Decision: TriageOwn, Why: "a new incident"} }
	env.OnActivity(own.AdmitToTriage, mock.Anything, mock.Anything).Return(func(_ context.Context, a Admission) (TriageAnswer, error) {
		w.mu.Lock()
		w.signalled = append(w.signalled, externalSignal{WorkflowID: TriageWorkflowID(a.Customer), Name: UpdateAdmit, Arg: a, Update: true})
		answer := w.triage
		w.mu.Unlock()
		if w.triageDown != nil {
			return TriageAnswer{}, w.triageDown
		}
		return answer(a), nil
	}).Maybe()
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_, workflowID, _, name string, arg any) error {
			w.mu.Lock()
			w.signalled = append(w.signalled, externalSignal{WorkflowID: workflowID, Name: name, Arg: arg})
			failure := w.signalFails[workflowID]
			w.mu.Unlock()
			if failure != nil {
				return failure
			}
			if name == SignalAdmit {
				answer := w.triage(arg.(Admission))
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalTriaged, answer) }, 0)
			}
			return nil
		}).Maybe()
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.upserts = append(w.upserts, searchAttributeMap(args.Get(0)))
	}).Return(nil).Maybe()
	return w
}

func searchAttributeMap(arg any) map[string]any {
	values := map[string]any{}
	for k, v := range arg.(temporal.SearchAttributes).GetUntypedValues() {
		values[k.GetName()] = v
	}
	return values
}

// admissions answers the incident's questions to triage, by Signal or by Update.
func (w *world) admissions() []externalSignal {
	w.mu.Lock()
	defer w.mu.Unlock()
	var asked []externalSignal
	for _, s := range w.signalled {
		if s.Name == SignalAdmit {
			asked = append(asked, s)
		}
	}
	return asked
}

// at runs fn d after the incident started (workflow time).
func (w *world) at(d time.Duration, fn func()) { w.env.RegisterDelayedCallback(fn, d) }

// decide sends a decision as an Update and answers its outcome through the returned record.
func (w *world) decide(d time.Duration, name string, decision Decision) *updateOutcome {
	outcome := &updateOutcome{}
	w.at(d, func() {
		w.env.UpdateWorkflow(name, fmt.Sprintf("%s-%d", name, d), &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { outcome.rejected = err },
			OnComplete: func(result any, err error) { outcome.err = err; outcome.completed = true },
		}, decision)
	})
	return outcome
}

type updateOutcome struct {
	rejected  error
	err       error
	completed bool
}

// signal sends a decision as a Signal.
func (w *world) signal(d time.Duration, name string, decision Decision) {
	w.at(d, func() { w.env.SignalWorkflow(name, decision) })
}

func (w *world) run(in IncidentInput) IncidentStatus {
	w.t.Helper()
	w.env.ExecuteWorkflow(IncidentWorkflowType, in)
	require.True(w.t, w.env.IsWorkflowCompleted(), "incident did not end")
	var status IncidentStatus
	require.NoError(w.t, w.env.GetWorkflowError())
	require.NoError(w.t, w.env.GetWorkflowResult(&status))
	return status
}

// last answers the last value upserted for a search attribute.
func (w *world) last(name string) any {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.upserts) - 1; i >= 0; i-- {
		if v, ok := w.upserts[i][name]; ok {
			return v
		}
	}
	return nil
}

// seen tells whether a search attribute was ever upserted to the value.
func (w *world) seen(name string, value any) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.ContainsFunc(w.upserts, func(u map[string]any) bool { return u[name] == value })
}

func (w *world) query(name string, into any) {
	w.t.Helper()
	value, err := w.env.QueryWorkflow(name)
	require.NoError(w.t, err)
	require.NoError(w.t, value.Get(into))
}

// fakePlatform is a vendor that remembers what is isolated and blocked, so that a
// second isolate of the same host is answered as already in place.
type fakePlatform struct {
	mu       sync.Mutex
	calls    []string
	isolated map[string]bool
	blocked  map[string]bool
	failures map[string]error
	// delays hold a call (by its first word and target, e.g. "isolate pc-1") for a
	// while of real time, so that something can arrive while it runs.
	delays      map[string]time.Duration
	findings    integrations.Findings
	conclusions []integrations.Conclusion
	// unblockedBy lists the vendors asked to unblock, in order.
	unblockedBy []string
	// writingBack counts the write-backs in flight; mostWritingBack the most at once.
	writingBack, mostWritingBack int
	writeBackDelay               time.Duration
}

func newFakePlatform() *fakePlatform {
	return &fakePlatform{isolated: map[string]bool{}, blocked: map[string]bool{}, failures: map[string]error{}, delays: map[string]time.Duration{},
		findings: integrations.Findings{Summary: "mimikatz run by ACME\\taro on osk-pc-17"}}
}

func (p *fakePlatform) record(call string) error {
	p.mu.Lock()
	p.calls = append(p.calls, call)
	delay := p.delays[call]
	err := p.failures[strings.Fields(call)[0]]
	p.mu.Unlock()
	time.Sleep(delay)
	return err
}

func (p *fakePlatform) Calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

func (p *fakePlatform) Isolate(_ context.Context, h integrations.Host) (integrations.ActionResult, error) {
	if err := p.record("isolate " + h.Label()); err != nil {
		return integrations.ActionResult{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	already := p.isolated[h.Label()]
	p.isolated[h.Label()] = true
	return integrations.ActionResult{Action: "isolate", Targets: []string{h.Label()}, AlreadyInPlace: already}, nil
}
func (p *fakePlatform) Release(_ context.Context, h integrations.Host) (integrations.ActionResult, error) {
	if err := p.record("release " + h.Label()); err != nil {
		return integrations.ActionResult{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.isolated, h.Label())
	return integrations.ActionResult{Action: "release", Targets: []string{h.Label()}}, nil
}
func (p *fakePlatform) Block(_ context.Context, inds []integrations.Indicator) (integrations.ActionResult, error) {
	var values []string
	for _, ind := range inds {
		values = append(values, ind.Value)
	}
	if err := p.record("block " + strings.Join(values, ",")); err != nil {
		return integrations.ActionResult{}, err
	}
	return integrations.ActionResult{Action: "block", Targets: values}, nil
}
func (p *fakePlatform) Unblock(_ context.Context, inds []integrations.Indicator) (integrations.ActionResult, error) {
	var values []string
	for _, ind := range inds {
		values = append(values, ind.Value)
	}
	if err := p.record("unblock " + strings.Join(values, ",")); err != nil {
		return integrations.ActionResult{}, err
	}
	return integrations.ActionResult{Action: "unblock", Targets: values}, nil
}
func (p *fakePlatform) Investigate(_ context.Context, a integrations.Alert) (integrations.Findings, error) {
	if err := p.record("investigate " + a.ID); err != nil {
		return integrations.Findings{}, err
	}
	return p.findings, nil
}
func (p *fakePlatform) WriteBack(_ context.Context, c integrations.Conclusion) error {
	p.mu.Lock()
	p.conclusions = append(p.conclusions, c)
	p.writingBack++
	p.mostWritingBack = max(p.mostWritingBack, p.writingBack)
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.writingBack--
		p.mu.Unlock()
	}()
	time.Sleep(p.writeBackDelay)
	return p.record("writeback " + c.AlertID + " " + c.Verdict)
}

// vendorPlatform is the fake platform as one vendor's: it records which vendor was
// asked to unblock.
type vendorPlatform struct {
	*fakePlatform
	vendor string
}

func (v vendorPlatform) Unblock(ctx context.Context, inds []integrations.Indicator) (integrations.ActionResult, error) {
	v.mu.Lock()
	v.unblockedBy = append(v.unblockedBy, v.vendor)
	v.mu.Unlock()
	return v.fakePlatform.Unblock(ctx, inds)
}

// outbox is every notifier at once: it keeps what would have been sent.
type outbox struct {
	mu   sync.Mutex
	sent []sentMessage
}

type sentMessage struct {
	Channel, To, Subject, Text, Key string
}

func (o *outbox) add(m sentMessage) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
}

func (o *outbox) Send(_ context.Context, m email.Message) error {
	o.add(sentMessage{Channel: "email", To: m.To, Subject: m.Subject, Text: m.Text, Key: m.MessageID})
	return nil
}
func (o *outbox) Post(_ context.Context, m slack.IncidentMessage) (string, string, error) {
	o.add(sentMessage{Channel: "slack", To: m.Channel, Subject: m.Title, Text: m.Text, Key: m.Key})
	return "C1", "1.0", nil
}
func (o *outbox) PostText(_ context.Context, channel, text, key string) (string, error) {
	o.add(sentMessage{Channel: "slack", To: channel, Text: text, Key: key})
	return "1.1", nil
}
func (o *outbox) PlaceCall(_ context.Context, c twilio.Call) (string, error) {
	o.add(sentMessage{Channel: "call", To: c.To, Text: c.TwiML, Key: c.Key})
	return "CA1", nil
}
func (o *outbox) SendSMS(_ context.Context, to, body, key string) (string, error) {
	o.add(sentMessage{Channel: "sms", To: to, Text: body, Key: key})
	return "SM1", nil
}

// pages lists, in order, the addresses a channel paged (escalation and breach pages,
// not status updates).
func (o *outbox) pages(channel string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var list []string
	for _, m := range o.sent {
		if m.Channel != channel {
			continue
		}
		isPage := strings.Contains(m.Key, "/page/") || strings.Contains(m.Key, "/breach/")
		if channel == "email" {
			isPage = strings.Count(m.Subject, "][") == 1 || strings.Contains(m.Subject, "SLA BREACH")
		}
		if isPage {
			list = append(list, m.To)
		}
	}
	return list
}

// all lists every message of a channel.
func (o *outbox) all(channel string) []sentMessage {
	o.mu.Lock()
	defer o.mu.Unlock()
	var list []sentMessage
	for _, m := range o.sent {
		if m.Channel == channel {
			list = append(list, m)
		}
	}
	return list
}

// testUpdate decodes an accepted Update's result.
type testUpdate struct {
	into any
	err  error
}

func (u *testUpdate) Accept()          {}
func (u *testUpdate) Reject(err error) { u.err = err }
func (u *testUpdate) Complete(result any, err error) {
	u.err = err
	if err == nil && u.into != nil {
		if r, ok := result.(DeliveryResult); ok {
			*(u.into.(*DeliveryResult)) = r
		}
	}
}

// newTestEnv is a time-skipping environment starting at start, quiet but for errors.
// The machine may be busy with other test packages: a slow task is not a deadlock.
func newTestEnv(start time.Time) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 30 * time.Second})
	return env
}

// signalCallOutcome reports that the incident's call to a number ended unanswered,
// with the key the Twilio callback would carry.
func (w *world) signalCallOutcome(to, status string) {
	var s IncidentStatus
	w.query(QueryStatus, &s)
	for _, p := range s.Paged {
		if p.Channel == "call" && p.Address == to {
			w.env.SignalWorkflow(SignalCallOutcome, CallOutcome{Key: p.Key, To: to, Status: status})
			return
		}
	}
	w.t.Errorf("no call to %s to report on", to)
}

// decodeInput reads the input an incident continued as new with.
func decodeInput(next *workflow.ContinueAsNewError, into any) error {
	return converter.GetDefaultDataConverter().FromPayloads(next.Input, into)
}
