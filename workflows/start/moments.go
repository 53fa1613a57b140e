package start

import (
	"context"
	"time"

	"xsoc/workflows/api"
)

// momentBatches gathers the records that one worker's incidents tell the same
// customer's Account at the same moment into one Signal-With-Start
// (api.SignalIncidentMomentsBatch): in a worm every merged alert's incident tells the
// Account as it closes, and a signal each buffered hundreds of events on the server
// while one of the Account's workflow tasks ran, past the server's limit, which
// failed that task (ForceCloseCommand). Each caller returns once its batch's signal
// was taken (or failed): the Account counts each moment once per incident run, so a
// record told again (its local activity retried) counts nothing twice.
type momentBatches struct {
	signal func(ctx context.Context, customer, signal string, arg any) error
	queue  *batches[*toldMoments]
}

type toldMoments struct {
	record api.IncidentMoments
	done   chan error
}

func newMomentBatches(signal func(ctx context.Context, customer, signal string, arg any) error) *momentBatches {
	m := &momentBatches{signal: signal}
	m.queue = newBatches(batchesInFlight, api.MaxMomentsBatch, m.send)
	return m
}

// tell sends the record with the others of its customer told at the same moment.
func (m *momentBatches) tell(ctx context.Context, record api.IncidentMoments) error {
	told := &toldMoments{record: record, done: make(chan error, 1)}
	m.queue.add(record.Customer, told)
	select {
	case err := <-told.done:
		return err
	case <-ctx.Done():
		// The batch goes on; the incident tells again (its local activity retries).
		return ctx.Err()
	}
}

// tellTimeout bounds one batch's signal.
const tellTimeout = 30 * time.Second

func (m *momentBatches) send(customer string, batch []*toldMoments) {
	ctx, cancel := context.WithTimeout(context.Background(), tellTimeout)
	defer cancel()
	records := make([]api.IncidentMoments, len(batch))
	for i, told := range batch {
		records[i] = told.record
	}
	err := m.signal(ctx, customer, api.SignalIncidentMomentsBatch, api.IncidentMomentsBatch{Records: records})
	for _, told := range batch {
		told.done <- err
	}
}
