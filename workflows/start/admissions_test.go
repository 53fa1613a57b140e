package start

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"xsoc/workflows/api"
)

// triageClient plays a customer's Triage for the admission batches: it answers each
// admission with its own incident as the parent, and records the Updates it got. Its
// first `held` Updates wait for release, so that admissions asked meanwhile queue.
type triageClient struct {
	client.Client
	release   chan struct{}
	noBatch   bool
	mu        sync.Mutex
	updates   []client.UpdateWorkflowOptions
	held      int
	firstHeld chan struct{}
	heldOnce  sync.Once
	signals   []sentSignal
	// failures fail the first Updates with a retryable error, or with failWith.
	failures int
	failWith error
}

type sentSignal struct {
	workflowID, runID, name string
	arg                     any
}

func (c *triageClient) SignalWorkflow(_ context.Context, workflowID, runID, name string, arg any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.signals = append(c.signals, sentSignal{workflowID: workflowID, runID: runID, name: name, arg: arg})
	return nil
}

func newTriageClient(held int) *triageClient {
	return &triageClient{release: make(chan struct{}), firstHeld: make(chan struct{}), held: held}
}

func (c *triageClient) UpdateWorkflow(ctx context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	c.mu.Lock()
	c.updates = append(c.updates, o)
	hold, lastHeld := len(c.updates) <= c.held, len(c.updates) == c.held
	c.mu.Unlock()
	if lastHeld {
		c.heldOnce.Do(func() { close(c.firstHeld) })
	}
	if hold {
		<-c.release
	}
	c.mu.Lock()
	fail := c.failures > 0
	c.failures--
	c.mu.Unlock()
	if fail && c.failWith != nil {
		return nil, c.failWith
	}
	if fail {
		return nil, errors.New("workflow is closing: continued as new")
	}
	var result any
	switch arg := o.Args[0].(type) {
	case api.AdmissionBatch:
		if c.noBatch {
			return nil, errors.New("unknown update admit_batch. KnownUpdates=[admit]")
		}
		answers := make([]api.TriageAnswer, len(arg.Admissions))
		for i, a := range arg.Admissions {
			answers[i] = api.TriageAnswer{Decision: api.TriageMerged, Parent: a.Incident}
		}
		result = answers
	case api.Admission:
		result = api.TriageAnswer{Decision: api.TriageOwn, Parent: arg.Incident}
	}
	return answeredUpdate{result: result}, nil
}

type answeredUpdate struct {
	client.WorkflowUpdateHandle
	result any
}

func (u answeredUpdate) Get(_ context.Context, into any) error {
	encoded, err := json.Marshal(u.result)
	if err != nil {
		return err
	}
	return json.Unmarshal(encoded, into)
}

// askAll asks n admissions: the first c.held one after another, each alone in flight,
// then the rest while those are held; it answers each one's answer.
func askAll(t *testing.T, c *triageClient, inFlight, n int) []api.TriageAnswer {
	t.Helper()
	calls := &Calls{Temporal: c}
	calls.admissionsOnce.Do(func() {
		calls.admissions = newAdmissionBatches(c, nil)
		calls.admissions.queue.inFlight = inFlight
	})
	answers := make([]api.TriageAnswer, n)
	var wg sync.WaitGroup
	ask := func(i int) {
		defer wg.Done()
		answer, err := calls.AdmitToTriage(context.Background(), api.Admission{Customer: "acme", Incident: fmt.Sprintf("incident/acme/x/a%d", i), Run: "r", AlertID: fmt.Sprintf("a%d", i)})
		require.NoError(t, err)
		answers[i] = answer
	}
	for i := range c.held {
		wg.Add(1)
		go ask(i)
		require.Eventually(t, func() bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			return len(c.updates) == i+1
		}, 5*time.Second, time.Millisecond)
	}
	<-c.firstHeld
	wg.Add(n - c.held)
	for i := c.held; i < n; i++ {
		go ask(i)
	}
	// Let the others queue behind those in flight.
	require.Eventually(t, func() bool { return calls.admissions.queue.waiting("acme") == n-c.held }, 5*time.Second, time.Millisecond)
	close(c.release)
	wg.Wait()
	return answers
}

// An admission asked alone goes at once; those asked while the batches in flight are
// go together in the next Update, at most api.MaxAdmissionBatch to one, and each
// caller has its own answer.
func TestAdmissionsAskedTogetherGoInOneUpdate(t *testing.T) {
	t.Parallel()
	c := newTriageClient(1)
	n := api.MaxAdmissionBatch + 31
	answers := askAll(t, c, 1, n)
	for i, answer := range answers {
		require.Equal(t, fmt.Sprintf("incident/acme/x/a%d", i), answer.Parent, "each caller has the answer to its own admission")
	}
	var sizes []int
	for _, u := range c.updates {
		require.Equal(t, api.UpdateAdmitBatch, u.UpdateName)
		require.Equal(t, api.TriageWorkflowID("acme"), u.WorkflowID)
		sizes = append(sizes, len(u.Args[0].(api.AdmissionBatch).Admissions))
	}
	require.Equal(t, []int{1, api.MaxAdmissionBatch, 30}, sizes, "the first alone, then the queue in batches of at most the bound")
	require.NotEqual(t, c.updates[1].UpdateID, c.updates[2].UpdateID)
	again := admissionBatchID(c.updates[1].Args[0].(api.AdmissionBatch).Admissions)
	require.Equal(t, c.updates[1].UpdateID, again, "the same batch is the same Update id")
}

// Two batches of a customer are in flight at once: the second admission does not wait
// for the first; those asked while both are in flight go together.
func TestTwoAdmissionBatchesGoAtOnce(t *testing.T) {
	t.Parallel()
	c := newTriageClient(batchesInFlight)
	answers := askAll(t, c, batchesInFlight, 40)
	for i, answer := range answers {
		require.Equal(t, fmt.Sprintf("incident/acme/x/a%d", i), answer.Parent)
	}
	var sizes []int
	for _, u := range c.updates {
		sizes = append(sizes, len(u.Args[0].(api.AdmissionBatch).Admissions))
	}
	require.Equal(t, []int{1, 1, 38}, sizes)
}

// A Triage of an older build, without the batch handler, is asked one admission at a
// time.
func TestAdmissionsFallBackToOneByOneForATriageWithoutBatches(t *testing.T) {
	t.Parallel()
	c := newTriageClient(1)
	c.noBatch = true
	answers := askAll(t, c, 1, 5)
	for i, answer := range answers {
		require.Equal(t, api.TriageOwn, answer.Decision)
		require.Equal(t, fmt.Sprintf("incident/acme/x/a%d", i), answer.Parent)
	}
	singles := 0
	for _, u := range c.updates {
		if u.UpdateName == api.UpdateAdmit {
			singles++
			require.Equal(t, AdmitUpdateID(u.Args[0].(api.Admission)), u.UpdateID)
		}
	}
	require.Equal(t, 5, singles, "every admission asked alone")
}

func TestAnAdmissionWithoutItsAlertIsRefusedBeforeItIsSent(t *testing.T) {
	t.Parallel()
	c := newTriageClient(0)
	_, err := (&Calls{Temporal: c}).AdmitToTriage(context.Background(), api.Admission{Customer: "acme", Incident: "incident/acme/x/a1"})
	require.ErrorContains(t, err, "field alert_id")
	require.Empty(t, c.updates)
}

// An incident that takes a late answer and whose local activity is about to run out of
// time while triage is busy is answered "pending"; its admission is still sent, and
// triage's answer comes by Signal to the run that asked, naming the question. An
// incident of an older version that gave up is not signalled (it does not listen);
// callers still waiting have their answers as before.
func TestTheAnswerToAnIncidentThatStoppedWaitingIsSignalled(t *testing.T) {
	t.Parallel()
	c := newTriageClient(1)
	calls := &Calls{Temporal: c}
	calls.admissionsOnce.Do(func() {
		calls.admissions = newAdmissionBatches(c, nil)
		calls.admissions.queue.inFlight = 1
	})
	admission := func(i int) api.Admission {
		return api.Admission{Customer: "acme", Incident: fmt.Sprintf("incident/acme/x/a%d", i), Run: fmt.Sprintf("run-%d", i), AlertID: fmt.Sprintf("a%d", i),
			AnswerLate: true}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		_, err := calls.AdmitToTriage(context.Background(), admission(0))
		require.NoError(t, err)
	})
	<-c.firstHeld
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), pendingMargin+100*time.Millisecond)
		defer cancel()
		answer, err := calls.AdmitToTriage(ctx, admission(1))
		require.NoError(t, err)
		require.Equal(t, api.TriagePending, answer.Decision, "answered before the caller's deadline")
	})
	wg.Go(func() {
		old := admission(3)
		old.AnswerLate = false
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := calls.AdmitToTriage(ctx, old)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
	wg.Go(func() {
		answer, err := calls.AdmitToTriage(context.Background(), admission(2))
		require.NoError(t, err)
		require.Equal(t, "incident/acme/x/a2", answer.Parent)
	})
	time.Sleep(300 * time.Millisecond)
	close(c.release)
	wg.Wait()
	require.Len(t, c.updates, 2)
	require.Len(t, c.updates[1].Args[0].(api.AdmissionBatch).Admissions, 3, "the questions nobody waits for are still asked")
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.signals) == 1
	}, 5*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	require.Len(t, c.signals, 1, "only the incident that takes a late answer is signalled")
	sent := c.signals[0]
	require.Equal(t, "incident/acme/x/a1", sent.workflowID)
	require.Equal(t, "run-1", sent.runID, "to the run that asked: a recurrence asks afresh")
	require.Equal(t, api.SignalTriaged, sent.name)
	answer := sent.arg.(api.TriageAnswer)
	require.Equal(t, "incident/acme/x/a1", answer.Parent)
	require.Equal(t, AdmitUpdateID(admission(1)), answer.Asked, "the answer names its question")
}

// A batch that fails short of a refusal (Triage continuing as new) is asked again for
// the incidents that stopped waiting: nobody else would ask it before the incident's
// next try, minutes later.
func TestAQuestionNobodyWaitsForIsAskedAgainWhenItsBatchFailed(t *testing.T) {
	t.Parallel()
	c := newTriageClient(1)
	c.failures = 1
	b := newAdmissionBatches(c, nil)
	ctx, cancel := context.WithTimeout(context.Background(), pendingMargin)
	defer cancel()
	answer, err := b.ask(ctx, api.Admission{Customer: "acme", Incident: "incident/acme/x/a1", Run: "r", AlertID: "a1", AnswerLate: true})
	require.NoError(t, err)
	require.Equal(t, api.TriagePending, answer.Decision)
	close(c.release)
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.signals) == 1
	}, 5*time.Second, time.Millisecond)
	require.Len(t, c.updates, 2, "the failed batch, then the question again")
}

// A Triage that is continuing as new refuses the batch as one to ask again (its
// validator's ErrorTriageContinuing, or the server's refusal once a run had its fill of
// Updates): the batch is asked again a moment later, of the next run, and its callers
// have their answers, not an error that would page them as incidents of their own.
func TestABatchIsAskedAgainOfATriageContinuingAsNew(t *testing.T) {
	t.Parallel()
	for name, refusal := range map[string]error{
		"run ending": temporal.NewApplicationError("triage is continuing as new: ask again", api.ErrorTriageContinuing),
		"update limit": serviceerror.NewFailedPrecondition("The limit on the total number of distinct updates in this workflow has been reached (2000). " +
			"You can also Continue-as-New to avoid this"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newTriageClient(0)
			c.failures, c.failWith = 3, refusal
			b := newAdmissionBatches(c, nil)
			answer, err := b.ask(context.Background(), api.Admission{Customer: "acme", Incident: "incident/acme/x/a1", Run: "r", AlertID: "a1"})
			require.NoError(t, err)
			require.Equal(t, api.TriageMerged, answer.Decision)
			require.Len(t, c.updates, 4, "refused three times, then answered")
		})
	}
}
