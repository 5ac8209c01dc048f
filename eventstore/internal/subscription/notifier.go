package subscription

import "sync"

// Notifier wakes every waiter once per broadcast. A waiter takes the channel
// before it reads the log, so a commit landing between its read and its
// wait still wakes it: nothing is missed, and idle subscriptions need not
// poll the database for commits the broadcaster knows about.
type Notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

// NewNotifier returns a Notifier with no broadcast pending.
func NewNotifier() *Notifier { return &Notifier{ch: make(chan struct{})} }

// Wait returns a channel closed at the next broadcast.
func (n *Notifier) Wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

// Broadcast wakes everyone who called Wait before it.
func (n *Notifier) Broadcast() {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.ch)
	n.ch = make(chan struct{})
}
