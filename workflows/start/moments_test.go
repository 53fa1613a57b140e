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
// signal, and each caller returns its batch's outcome.
func TestRecordsToldTogetherGoToTheAccountInOneSignal(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var sent []api.IncidentMomentsBatch
	release := make(chan struct{})
	first := make(chan struct{})
	var once sync.Once
	m := newMomentBatches(func(_ context.Context, customer, signal string, arg any) error {
		require.Equal(t, "acme", customer)
		require.Equal(t, api.SignalIncidentMomentsBatch, signal)
		mu.Lock()
		sent = append(sent, arg.(api.IncidentMomentsBatch))
		n := len(sent)
		mu.Unlock()
		if n == 1 {
			once.Do(func() { close(first) })
			<-release
			return nil
		}
		return errors.New("account unreachable")
	})
	m.queue.inFlight = 1
	record := func(i int) api.IncidentMoments {
		return api.IncidentMoments{Customer: "acme", Incident: fmt.Sprintf("incident/acme/x/a%d", i), Run: "r"}
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
