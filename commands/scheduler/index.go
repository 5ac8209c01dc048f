package scheduler

import (
	"container/heap"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// Due is one open deadline.
type Due struct {
	TicketID string
	Kind     events.DeadlineKind
	DueAt    time.Time
}

// Index keeps every open ticket's deadlines, folded from the global log with
// the aggregate's own Apply, and a heap of them by due time. Closed tickets
// are dropped, so its size follows the open tickets, not the history.
//
// Heap entries are never removed when a deadline is met or moved: an entry
// is checked against the ticket's current deadlines when it reaches the top
// and discarded if stale. Safe for concurrent use.
type Index struct {
	mu       sync.Mutex
	tickets  map[string]domain.Ticket
	due      dueHeap
	position uint64
}

// NewIndex returns an empty index.
func NewIndex() *Index { return &Index{tickets: map[string]domain.Ticket{}} }

// Apply folds one event of the global log at position pos into the index.
// Events of a ticket at or below the revision the index already holds
// (because Observe got there first) are skipped.
func (x *Index) Apply(env events.Envelope, pos uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if pos > x.position {
		x.position = pos
	}
	id := events.TicketOf(env.Stream)
	if id == "" {
		return
	}
	t, known := x.tickets[id]
	switch {
	case known && env.Revision <= t.Revision:
		if env.Revision == t.Revision && t.Closed() {
			delete(x.tickets, id) // the log has caught up with an observed close
		}
		return
	case !known && env.Revision != 0:
		// A ticket closed before (and so dropped), or one whose opening the
		// index never saw: either way it has no deadline to watch.
		return
	}
	x.put(id, t.Apply(env))
}

// Observe records a ticket state the scheduler learnt from a command's
// result, ahead of the log, so that its next deadlines are watched at once.
func (x *Index) Observe(t domain.Ticket) {
	if !t.Exists() {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if old, known := x.tickets[t.ID]; known && old.Revision >= t.Revision {
		return
	}
	x.put(t.ID, t)
}

// put stores t and pushes the deadlines it started or moved, so the heap
// holds one entry per deadline. Closed tickets stay in the map until the log
// reaches their last revision, so that Apply can tell the log's older events
// of an observed ticket from a new ticket.
func (x *Index) put(id string, t domain.Ticket) {
	old := x.tickets[id]
	x.tickets[id] = t
	for _, d := range t.OpenDeadlines() {
		if prev, ok := old.Deadlines[d.Kind]; ok && prev.Equal(d.DueAt) {
			continue
		}
		heap.Push(&x.due, Due{TicketID: id, Kind: d.Kind, DueAt: d.DueAt})
	}
}

// valid reports whether d is still an open deadline of its ticket.
func (x *Index) valid(d Due) bool {
	t, ok := x.tickets[d.TicketID]
	if !ok || t.Closed() {
		return false
	}
	at, open := t.Deadlines[d.Kind]
	return open && at.Equal(d.DueAt)
}

// PopDue removes and returns up to limit open deadlines due at or before
// now, earliest first.
func (x *Index) PopDue(now time.Time, limit int) []Due {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []Due
	for x.due.Len() > 0 && len(out) < limit {
		top := x.due[0]
		if !x.valid(top) {
			heap.Pop(&x.due)
			continue
		}
		if top.DueAt.After(now) {
			break
		}
		heap.Pop(&x.due)
		out = append(out, top)
	}
	return out
}

// Push puts a deadline back, e.g. after a failed attempt to fire it.
func (x *Index) Push(d Due) {
	x.mu.Lock()
	defer x.mu.Unlock()
	heap.Push(&x.due, d)
}

// Next returns the earliest open deadline's due time.
func (x *Index) Next() (time.Time, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for x.due.Len() > 0 {
		if top := x.due[0]; x.valid(top) {
			return top.DueAt, true
		}
		heap.Pop(&x.due)
	}
	return time.Time{}, false
}

// Position returns the global position of the last event applied.
func (x *Index) Position() uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.position
}

// Open returns the number of tickets the index holds.
func (x *Index) Open() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.tickets)
}

type dueHeap []Due

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if !h[i].DueAt.Equal(h[j].DueAt) {
		return h[i].DueAt.Before(h[j].DueAt)
	}
	if h[i].TicketID != h[j].TicketID {
		return h[i].TicketID < h[j].TicketID
	}
	return h[i].Kind < h[j].Kind
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(Due)) }
func (h *dueHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	*h = old[:len(old)-1]
	return d
}
