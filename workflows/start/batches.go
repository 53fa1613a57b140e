package start

import "sync"

// batches gathers what one worker's workflows send the same customer's entity (its
// Triage, its Account) at the same moment and sends it in batches. Batching costs
// nothing when items are few: an item is sent at once when none of its customer's is
// in flight, and only those added while inFlight batches are in flight wait and go
// together in the next (at most max), so a batch grows exactly as large as the load
// makes it. Two in flight keep the entity busy: while it takes one batch, the next is
// already waiting on the server.
type batches[T any] struct {
	inFlight, max int
	send          func(customer string, batch []T)

	mu        sync.Mutex
	customers map[string]*waitingItems[T]
}

type waitingItems[T any] struct {
	items   []T
	senders int
}

func newBatches[T any](inFlight, max int, send func(customer string, batch []T)) *batches[T] {
	return &batches[T]{inFlight: inFlight, max: max, send: send, customers: map[string]*waitingItems[T]{}}
}

// add queues an item for its customer's next batch, and starts a sender when fewer
// than inFlight send.
func (b *batches[T]) add(customer string, item T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	queue := b.customers[customer]
	if queue == nil {
		queue = &waitingItems[T]{}
		b.customers[customer] = queue
	}
	queue.items = append(queue.items, item)
	if queue.senders < b.inFlight {
		queue.senders++
		go b.drain(customer, queue)
	}
}

// drain sends the customer's waiting items, a batch at a time, until none waits.
func (b *batches[T]) drain(customer string, queue *waitingItems[T]) {
	for {
		b.mu.Lock()
		n := min(len(queue.items), b.max)
		if n == 0 {
			queue.senders--
			if queue.senders == 0 && b.customers[customer] == queue {
				delete(b.customers, customer)
			}
			b.mu.Unlock()
			return
		}
		batch := queue.items[:n:n]
		queue.items = queue.items[n:]
		b.mu.Unlock()
		b.send(customer, batch)
	}
}

// waiting answers how many of the customer's items wait, not yet sent.
func (b *batches[T]) waiting(customer string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if queue := b.customers[customer]; queue != nil {
		return len(queue.items)
	}
	return 0
}
