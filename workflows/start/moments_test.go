package start

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/workflows/api"
)

// Records told of one customer while a batch is in flight go together in the next
// Update, and each caller returns its batch's outcome.
func TestRecordsToldTogetherGoToTheAccountInOneUpdate(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var sent []api.IncidentMomentsBatch
	release := make(chan struct{})
	first := make(chan struct{})
	var once sync.Once
	m := newMomentBatches(func(_ context.Context, customer string, batch api.IncidentMomentsBatch) error {
		require.Equal(t, "acme", customer)
		mu.Lock()
		sent = append(sent, batch)
		n := len(sent)
		mu.Unlock()
		if n == 1 {
			once.Do(func() { close(first) })
			<-release
			return nil
		}
		return errors.New("account unreachable")
	}, func(context.Context, string, api.IncidentMomentsBatch) error {
		t.Error("a batch went by signal")
		return nil
	}, nil)
	m.queue.inFlight = 1
	record := func(i int) api.IncidentMoments {
		return api.IncidentMoments{Customer: "acme", Incident: fmt.Sprintf("incident/acme/x/a%d", i), Run: "r", Concluded: &api.Conclusion{State: api.StateMerged}}
	}
	var wg sync.WaitGroup
	wg.Go(func() { require.NoError(t, m.tell(context.Background(), record(0))) })
	<-first
	for i := 1; i <= 5; i++ {
		wg.Go(func() {
			require.ErrorContains(t, m.tell(context.Background(), record(i)), "account unreachable", "each caller has its batch's outcome")
		})
	}
	require.Eventually(t, func() bool { return m.queue.waiting("acme") == 5 }, 5*time.Second, time.Millisecond)
	close(release)
	wg.Wait()
	require.Len(t, sent, 2)
	require.Len(t, sent[0].Records, 1, "the first alone, at once")
	require.Len(t, sent[1].Records, 5, "those told meanwhile together")
}

// A batch goes by signal when the Account cannot take it by Update (an Account of an
// earlier build), and is asked by Update again next time (it may be upgraded since).
func TestABatchGoesBySignalWhenTheAccountCannotTakeItByUpdate(t *testing.T) {
	t.Parallel()
	record := api.IncidentMoments{Customer: "acme", Incident: "incident/acme/x/a", Run: "r"}
	var updates, signals int
	m := newMomentBatches(func(context.Context, string, api.IncidentMomentsBatch) error {
		updates++
		return fmt.Errorf("%w: unknown update", errMomentsUpdateRefused)
	}, func(_ context.Context, _ string, batch api.IncidentMomentsBatch) error {
		require.Equal(t, []api.IncidentMoments{record}, batch.Records)
		signals++
		return nil
	}, nil)
	for range 2 {
		require.NoError(t, m.deliver(context.Background(), "acme", api.IncidentMomentsBatch{Records: []api.IncidentMoments{record}}))
	}
	require.Equal(t, 2, signals)
	require.Equal(t, 2, updates, "a refusal is asked again")
}

// An Account slow to take a batch is waited for, never signalled: a signal that arrives
// while the Account continues as new makes the server refuse that task. A concluding
// incident's record waits for the Update; a running incident's returns after
// runningPatience, its batch still going; both are taken by Update.
func TestABatchTheAccountIsSlowToTakeIsWaitedForNotSignalled(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var mu sync.Mutex
	var taken []string
	m := newMomentBatches(func(_ context.Context, _ string, batch api.IncidentMomentsBatch) error {
		<-release
		mu.Lock()
		defer mu.Unlock()
		for _, r := range batch.Records {
			taken = append(taken, r.Incident)
		}
		return nil
	}, func(context.Context, string, api.IncidentMomentsBatch) error {
		t.Error("a batch went by signal")
		return nil
	}, nil)
	concluding := make(chan error, 1)
	go func() {
		concluding <- m.tell(context.Background(), api.IncidentMoments{Customer: "acme", Incident: "concluded", Run: "r", Concluded: &api.Conclusion{State: api.StateMerged}})
	}()
	began := time.Now()
	require.NoError(t, m.tell(context.Background(), api.IncidentMoments{Customer: "acme", Incident: "running", Run: "r"}))
	require.GreaterOrEqual(t, time.Since(began), runningPatience, "the running record waited its patience")
	select {
	case err := <-concluding:
		t.Fatalf("the concluding record returned before the Account took it: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	require.NoError(t, <-concluding)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(taken) == 2
	}, 5*time.Second, time.Millisecond, "both records taken by Update")
}

// A batch that failed otherwise fails: its incidents tell again (their local
// activities retry), and no signal doubles it.
func TestABatchThatFailedIsNotSignalled(t *testing.T) {
	t.Parallel()
	m := newMomentBatches(func(context.Context, string, api.IncidentMomentsBatch) error {
		return errors.New("server unavailable")
	}, func(context.Context, string, api.IncidentMomentsBatch) error {
		t.Error("a failed batch went by signal")
		return nil
	}, nil)
	require.ErrorContains(t, m.deliver(context.Background(), "acme", api.IncidentMomentsBatch{}), "server unavailable")
}

// A running incident's record does not wait behind the batches of concluding ones: it
// is told from inside the incident's workflow task.
func TestARunningIncidentsRecordDoesNotWaitBehindConcludingOnes(t *testing.T) {
	t.Parallel()
	release, sending := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var customers []string
	runningTaken := false
	m := newMomentBatches(func(_ context.Context, customer string, batch api.IncidentMomentsBatch) error {
		mu.Lock()
		customers = append(customers, customer)
		if batch.Records[0].Concluded == nil {
			runningTaken = true
		}
		mu.Unlock()
		if batch.Records[0].Concluded != nil {
			once.Do(func() { close(sending) })
			<-release
		}
		return nil
	}, func(context.Context, string, api.IncidentMomentsBatch) error { return nil }, nil)
	m.queue.inFlight = 1
	concluded := func(i int) api.IncidentMoments {
		return api.IncidentMoments{Customer: "acme", Incident: fmt.Sprintf("incident/acme/x/m%d", i), Run: "r", Concluded: &api.Conclusion{State: api.StateMerged}}
	}
	var wg sync.WaitGroup
	wg.Go(func() { require.NoError(t, m.tell(context.Background(), concluded(0))) })
	<-sending // the first concluding batch is out: the next ones queue behind it
	for i := 1; i <= 2; i++ {
		wg.Go(func() { require.NoError(t, m.tell(context.Background(), concluded(i))) })
	}
	require.Eventually(t, func() bool { return m.queue.waiting("acme") > 0 }, 5*time.Second, time.Millisecond, "concluding records queue behind the first")
	running := api.IncidentMoments{Customer: "acme", Incident: "incident/acme/x/campaign", Run: "r"}
	done := make(chan error, 1)
	go func() { done <- m.tell(context.Background(), running) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the running incident's record waited behind the concluding ones")
	}
	mu.Lock()
	require.True(t, runningTaken, "the running incident's record was taken while the concluding ones waited")
	mu.Unlock()
	close(release)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for _, customer := range customers {
		require.Equal(t, "acme", customer, "each batch goes to the customer's Account")
	}
}
