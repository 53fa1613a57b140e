package start

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"xsoc/workflows/api"
)

// momentBatches gathers the records that one worker's incidents tell the same
// customer's Account at the same moment into one Update (api.UpdateIncidentMomentsBatch):
// in a worm every merged alert's incident tells the Account as it closes. A signal
// each buffered hundreds of events on the server while one of the Account's workflow
// tasks ran, past the server's limit, which failed that task (ForceCloseCommand); a
// batch by signal, arriving while the Account continued as new, made the server
// refuse that task (UnhandledCommand), where an Update is handed to the next run. Each
// caller returns once its batch was taken (or failed): the Account counts each moment
// once per incident run, so a record told again (its local activity retried) counts
// nothing twice.
//
// A batch goes by signal (Signal-With-Start) instead when the Update cannot be taken
// (an Account that is not running is started by the Update): the Account is of a build
// before the Update, took the most Updates the server lets one run take, or did not
// answer within updatePatience (runningUpdatePatience for running incidents' records):
// an Account started before it ran at the Account's priority waits behind a worm's
// incidents, one retrying a failed task is slow for a moment. After such a wait the
// customer's batches go by signal for signalFor.
type momentBatches struct {
	update, signal func(ctx context.Context, customer string, batch api.IncidentMomentsBatch) error
	queue          *batches[*toldMoments]
	log            *slog.Logger

	mu sync.Mutex
	// bySignalUntil: the customer's Account kept an Update waiting; its batches go by
	// signal until then.
	bySignalUntil map[string]time.Time
}

type toldMoments struct {
	record api.IncidentMoments
	done   chan error
}

func newMomentBatches(update, signal func(ctx context.Context, customer string, batch api.IncidentMomentsBatch) error, log *slog.Logger) *momentBatches {
	if log == nil {
		log = slog.Default()
	}
	m := &momentBatches{update: update, signal: signal, log: log, bySignalUntil: map[string]time.Time{}}
	m.queue = newBatches(batchesInFlight, api.MaxMomentsBatch, m.send)
	return m
}

// tell sends the record with the others of its customer told at the same moment.
func (m *momentBatches) tell(ctx context.Context, record api.IncidentMoments) error {
	told := &toldMoments{record: record, done: make(chan error, 1)}
	m.queue.add(laneOf(record), told)
	select {
	case err := <-told.done:
		return err
	case <-ctx.Done():
		// The batch goes on; the incident tells again (its local activity retries).
		return ctx.Err()
	}
}

const (
	// tellTimeout bounds one batch.
	tellTimeout = 30 * time.Second
	// updatePatience bounds the wait for the Account to take a batch's Update before
	// the batch goes by signal.
	updatePatience = 5 * time.Second
	// runningUpdatePatience is updatePatience for running incidents' records: the
	// incident's workflow task waits for it, and the SDK must answer for that task
	// within 80 % of its 10 s timeout (a 20,000-alert run had campaigns' tasks time
	// out while the Account retried a failed task of its own).
	runningUpdatePatience = 2 * time.Second
	// signalFor is how long a customer's batches go by signal after its Account kept
	// an Update waiting past its patience: an Account started before it ran at the
	// Account's priority is slow all through a worm; one that failed a task is slow for
	// a moment.
	signalFor = time.Minute
)

// laneOf is the queue a record waits in: its customer's, or, for a running incident's
// record, a lane of the customer's own. A running incident tells from inside its
// workflow task (a campaign's, in a worm), which must not wait behind the thousands of
// records of the incidents concluding meanwhile; a concluding incident waits for its
// own record whichever lane it is in.
func laneOf(record api.IncidentMoments) string {
	if record.Concluded == nil {
		return record.Customer + runningLane
	}
	return record.Customer
}

// runningLane ends the lane of a customer's running incidents' records (no customer
// id holds a NUL).
const runningLane = "\x00running"

func (m *momentBatches) send(lane string, batch []*toldMoments) {
	customer := strings.TrimSuffix(lane, runningLane)
	ctx, cancel := context.WithTimeout(context.Background(), tellTimeout)
	defer cancel()
	records := make([]api.IncidentMoments, len(batch))
	for i, told := range batch {
		records[i] = told.record
	}
	patience := updatePatience
	if lane != customer {
		patience = runningUpdatePatience
	}
	err := m.deliver(ctx, customer, api.IncidentMomentsBatch{Records: records}, patience)
	for _, told := range batch {
		told.done <- err
	}
}

// deliver hands one batch to the customer's Account: by Update, by signal when the
// Update cannot be taken or is not taken within patience.
func (m *momentBatches) deliver(ctx context.Context, customer string, batch api.IncidentMomentsBatch, patience time.Duration) error {
	m.mu.Lock()
	bySignal := time.Now().Before(m.bySignalUntil[customer])
	m.mu.Unlock()
	if bySignal {
		return m.signal(ctx, customer, batch)
	}
	updateCtx, cancel := context.WithTimeout(ctx, patience)
	err := m.update(updateCtx, customer, batch)
	keptWaiting := errors.Is(updateCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
	cancel()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errMomentsUpdateRefused):
		m.log.Info("the account cannot take moments by update: the batch goes by signal", "customer", customer, "records", len(batch.Records), "error", err)
		return m.signal(ctx, customer, batch)
	case keptWaiting:
		// The Update may still be taken: the records count once either way.
		m.log.Warn("the account kept a batch of moments waiting: its batches go by signal for a while",
			"customer", customer, "records", len(batch.Records), "waited", patience, "for", signalFor, "error", err)
		m.mu.Lock()
		m.bySignalUntil[customer] = time.Now().Add(signalFor)
		m.mu.Unlock()
		return m.signal(ctx, customer, batch)
	}
	return err
}

// errMomentsUpdateRefused: the Account cannot take the batch's Update (of a build
// before it, or at the server's limit of Updates for one run); the batch goes by
// signal.
var errMomentsUpdateRefused = errors.New("the account cannot take the moments by update")
