package coord

import (
	"context"
	"sync"
	"time"
)

// Local grants leases within one process: the holder of an SQLite ledger is
// the only process that writes it. A lease released and taken again gets a
// higher token, as on PostgreSQL.
type Local struct {
	mu     sync.Mutex
	tokens map[string]uint64
	held   map[string]bool
}

// NewLocal returns a Local with no lease taken.
func NewLocal() *Local { return &Local{tokens: map[string]uint64{}, held: map[string]bool{}} }

// Lease returns the named lease.
func (l *Local) Lease(name string) *LocalLease { return &LocalLease{l: l, name: name} }

// LocalLease is one lease of a Local.
type LocalLease struct {
	l    *Local
	name string
}

// Name implements supervise.Lease.
func (ll *LocalLease) Name() string { return ll.name }

// TTL implements supervise.Lease: a local lease never expires, so it is
// only looked at every few seconds.
func (ll *LocalLease) TTL() time.Duration { return 3 * time.Second }

// Acquire implements supervise.Lease.
func (ll *LocalLease) Acquire(context.Context) (uint64, bool, string, error) {
	ll.l.mu.Lock()
	defer ll.l.mu.Unlock()
	if !ll.l.held[ll.name] {
		ll.l.held[ll.name] = true
		ll.l.tokens[ll.name]++
	}
	return ll.l.tokens[ll.name], true, "", nil
}

// Release implements supervise.Lease.
func (ll *LocalLease) Release(_ context.Context, token uint64) error {
	ll.l.mu.Lock()
	defer ll.l.mu.Unlock()
	if ll.l.tokens[ll.name] == token {
		ll.l.held[ll.name] = false
	}
	return nil
}
