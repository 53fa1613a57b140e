package start

import (
	"context"
	"errors"
	"log/slog"
	"strings"
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
// A batch goes by signal (Signal-With-Start) instead only when the Account cannot take
// the Update (an Account that is not running is started by the Update): it is of a
// build before the Update, or took the most Updates the server lets one run take. An
// Account that is merely slow to take it is waited for: a batch sent by signal because
// an Update was slow (as builds before did, after 2–5 s) arrived, under load, while the
// Account continued as new, and the server refused that task (tests/historylimit
// failed so under make test's load).
type momentBatches struct {
	update, signal func(ctx context.Context, customer string, batch api.IncidentMomentsBatch) error
	queue          *batches[*toldMoments]
	log            *slog.Logger
}

type toldMoments struct {
	record api.IncidentMoments
	done   chan error
}

func newMomentBatches(update, signal func(ctx context.Context, customer string, batch api.IncidentMomentsBatch) error, log *slog.Logger) *momentBatches {
	if log == nil {
		log = slog.Default()
	}
	m := &momentBatches{update: update, signal: signal, log: log}
	m.queue = newBatches(batchesInFlight, api.MaxMomentsBatch, m.send)
	return m
}

// tell sends the record with the others of its customer told at the same moment, and
// returns once its batch was taken or failed; a running incident's record returns after
// runningPatience at the latest, its batch still on its way.
func (m *momentBatches) tell(ctx context.Context, record api.IncidentMoments) error {
	told := &toldMoments{record: record, done: make(chan error, 1)}
	m.queue.add(laneOf(record), told)
	var patience <-chan time.Time
	if record.Concluded == nil {
		timer := time.NewTimer(runningPatience)
		defer timer.Stop()
		patience = timer.C
	}
	select {
	case err := <-told.done:
		return err
	case <-patience:
		// A running record is told from inside the incident's workflow task, which must
		// not wait on a slow Account. Its moments are in every later record too, the
		// conclusion included, which is told for as long as it takes: one that fails in
		// the end is logged (send) and counted later, never lost.
		return nil
	case <-ctx.Done():
		// The batch goes on; the incident tells again (its local activity retries).
		return ctx.Err()
	}
}

const (
	// tellTimeout bounds one batch; a concluding incident's local activity tells again.
	tellTimeout = 30 * time.Second
	// runningPatience bounds a running incident's wait for its record to be taken: its
	// workflow task waits for it, and the SDK must answer for that task within 80 % of
	// its 10 s timeout (a 20,000-alert run had campaigns' tasks time out while the
	// Account retried a failed task of its own).
	runningPatience = 2 * time.Second
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
	err := m.deliver(ctx, customer, api.IncidentMomentsBatch{Records: records})
	if err != nil && lane != customer {
		m.log.Warn("the account could not be told running incidents' moments: they are counted with their next record or conclusion",
			"customer", customer, "records", len(records), "error", err)
	}
	for _, told := range batch {
		told.done <- err
	}
}

// deliver hands one batch to the customer's Account: by Update, by signal when the
// Account cannot take the Update.
func (m *momentBatches) deliver(ctx context.Context, customer string, batch api.IncidentMomentsBatch) error {
	err := m.update(ctx, customer, batch)
	if errors.Is(err, errMomentsUpdateRefused) {
		m.log.Info("the account cannot take moments by update: the batch goes by signal", "customer", customer, "records", len(batch.Records), "error", err)
		return m.signal(ctx, customer, batch)
	}
	return err
}

// errMomentsUpdateRefused: the Account cannot take the batch's Update (of a build
// before it, or at the server's limit of Updates for one run); the batch goes by
// signal.
var errMomentsUpdateRefused = errors.New("the account cannot take the moments by update")
