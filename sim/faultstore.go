package sim

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/disputes-ledger/disputes/eventstore"
)

// errInjected is the error every injected store fault returns: a failure
// the store's callers must survive, never one they may take for a refusal.
var errInjected = errors.New("sim: injected store fault")

// appendFault is what the next append through a faultStore suffers.
type appendFault uint8

const (
	appendOK appendFault = iota
	// appendFailBefore fails the append before anything reaches the
	// store: nothing is written.
	appendFailBefore
	// appendFailAfter passes the append to the store, which commits it,
	// and then answers with an error: the events are stored but the caller
	// is told the append failed.
	appendFailAfter
)

func (f appendFault) String() string {
	switch f {
	case appendFailBefore:
		return "fail-before-commit"
	case appendFailAfter:
		return "fail-after-commit"
	}
	return "ok"
}

// faultStore wraps the SQLite store with the faults the simulation's loop
// arms before each step: an append that fails before or after its commit,
// reads of the global log that fail (a reader's subscription dropped; it
// resumes from its own position), and a cap on the global log it shows (a
// reader that lags behind the head). The loop decides every fault from the
// run's one random source; the store only carries them out, so the same
// seed arms the same faults at the same steps.
type faultStore struct {
	eventstore.Store

	mu sync.Mutex
	// nextAppend is armed for the next append only.
	nextAppend appendFault
	// last is the fault the last append suffered.
	last appendFault
	// readFailures is how many of the next ReadAll calls fail.
	readFailures int
	// visible caps the positions ReadAll returns (0: no cap).
	visible uint64
	// onAppend, if set, sees every append the inner store committed (with
	// its result): the run's own record of what reached the log.
	onAppend func(stream string, events []eventstore.EventData, res eventstore.AppendResult)
}

func newFaultStore(inner eventstore.Store) *faultStore { return &faultStore{Store: inner} }

// armAppend sets the fault the next append suffers.
func (s *faultStore) armAppend(f appendFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextAppend = f
}

// armReads makes the next n reads of the global log fail and caps what
// the ones after show at visible (0: the whole log).
func (s *faultStore) armReads(n int, visible uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readFailures, s.visible = n, visible
}

// disarm clears every fault.
func (s *faultStore) disarm() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextAppend, s.last, s.readFailures, s.visible = appendOK, appendOK, 0, 0
}

// struck returns the fault the last append suffered.
func (s *faultStore) struck() appendFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Append implements eventstore.Store, suffering the armed fault.
func (s *faultStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, evs []eventstore.EventData) (eventstore.AppendResult, error) {
	s.mu.Lock()
	fault := s.nextAppend
	s.nextAppend, s.last = appendOK, fault
	s.mu.Unlock()
	if fault == appendFailBefore {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w (%s)", stream, errInjected, fault)
	}
	res, err := s.Store.Append(ctx, stream, expected, evs)
	if err == nil && !res.Duplicate && s.onAppend != nil {
		s.onAppend(stream, evs, res)
	}
	if err == nil && fault == appendFailAfter {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w (%s)", stream, errInjected, fault)
	}
	return res, err
}

// ReadAll implements eventstore.Store: it fails while failures are armed,
// and shows the log only up to the cap.
func (s *faultStore) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	s.mu.Lock()
	fail := s.readFailures > 0
	if fail {
		s.readFailures--
	}
	visible := s.visible
	s.mu.Unlock()
	if fail {
		return nil, fmt.Errorf("read the log after %d: %w (subscription dropped)", after, errInjected)
	}
	if visible > 0 && after >= visible {
		return nil, nil
	}
	recs, err := s.Store.ReadAll(ctx, after, limit)
	if visible > 0 {
		for i, r := range recs {
			if r.Position > visible {
				recs = recs[:i]
				break
			}
		}
	}
	return recs, err
}
