package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/audit/checkpoint"
	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// Sealer seals the global log: it keeps a merkle.Frontier of every event read
// so far and, when the log has grown past the latest seal, signs the root of
// the whole log and stores the seal. It is safe for concurrent use; calls are
// serialised.
type Sealer struct {
	log   Log
	store SealStore
	key   ed25519.PrivateKey
	pub   ed25519.PublicKey
	clock func() time.Time

	origin     string
	publishers []CheckpointPublisher

	mu        sync.Mutex
	loaded    bool
	frontier  merkle.Frontier
	sealed    uint64    // size of the latest stored seal
	latest    seal.Seal // the latest stored seal, zero before the first
	published uint64    // size of the latest checkpoint published

	cpMu       sync.RWMutex
	checkpoint []byte // the latest published checkpoint, for readers

	follower follow.Running // Run's, for Status
}

// NewSealer returns a sealer reading log, storing seals in store, signing
// with key and dating seals with clock. The key must come from outside the
// ledger (a file or the environment): a key stored beside the log would let
// whoever alters the log re-sign it. Every seal is also signed as a
// checkpoint (see WithCheckpoints; without it, of the default origin,
// published nowhere but Checkpoint).
func NewSealer(log Log, store SealStore, key ed25519.PrivateKey, clock func() time.Time, opts ...SealerOption) (*Sealer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("new sealer: private key has %d bytes: %w", len(key), seal.ErrInvalidKey)
	}
	if log == nil || store == nil || clock == nil {
		return nil, errors.New("new sealer: log, store and clock are required")
	}
	pub := key.Public().(ed25519.PublicKey)
	s := &Sealer{log: log, store: store, key: key, pub: pub, clock: clock, origin: checkpoint.DefaultOrigin(pub)}
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, fmt.Errorf("new sealer: %w", err)
		}
	}
	return s, nil
}

// PublicKey returns the public half of the signing key.
func (s *Sealer) PublicKey() ed25519.PublicKey { return s.pub }

// SealToHead reads the events appended since the last call and, if the log
// is now larger than the latest stored seal, seals positions 1..head. It
// returns the latest seal (new or not) and whether it made one; with an empty
// log there is no seal and it returns false.
//
// On first use it rebuilds the tree from the log and checks it against the
// latest stored seal, failing with ErrSealedLogChanged if they differ. Every
// new event must decode and verify (ErrInvalidEvent otherwise). The latest
// seal's checkpoint is then published if it was not yet; a publishing
// error is returned after the seal is stored, and the next call retries.
func (s *Sealer) SealToHead(ctx context.Context) (seal.Seal, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.catchUp(ctx); err != nil {
		return seal.Seal{}, false, err
	}
	sl, made, err := s.sealLocked(ctx)
	if err != nil {
		return seal.Seal{}, false, err
	}
	if err := s.publishLatest(ctx); err != nil {
		return sl, made, err
	}
	return sl, made, nil
}

// catchUp loads the sealed prefix once, then reads every newer event into
// the frontier.
func (s *Sealer) catchUp(ctx context.Context) error {
	if !s.loaded {
		if err := s.load(ctx); err != nil {
			return err
		}
		s.loaded = true
	}
	return ScanLog(ctx, s.log, s.frontier.Size(), 0, s.appendEvent)
}

// load rebuilds the frontier over the positions the latest seal covers and
// checks its root. The prefix was verified when it was sealed, so only the
// hash members are read here; a changed root is refused either way.
func (s *Sealer) load(ctx context.Context) error {
	latest, ok, err := s.store.LatestSeal(ctx)
	if err != nil {
		return fmt.Errorf("load latest seal: %w", err)
	}
	if !ok {
		return nil
	}
	var f merkle.Frontier
	err = ScanLog(ctx, s.log, 0, latest.Size, func(rec eventstore.RecordedEvent) error {
		if rec.Position != f.Size()+1 {
			return fmt.Errorf("position %d where %d was expected under the seal of size %d: %w", rec.Position, f.Size()+1, latest.Size, ErrSealedLogChanged)
		}
		leaf, err := LeafOf(rec.Data)
		if err != nil {
			return fmt.Errorf("position %d: %w: %w", rec.Position, ErrSealedLogChanged, err)
		}
		f.Append(leaf)
		return nil
	})
	if err != nil {
		return fmt.Errorf("reload sealed log: %w", err)
	}
	if f.Size() != latest.Size {
		return fmt.Errorf("reload sealed log: log ends at position %d, the latest seal covers %d: %w", f.Size(), latest.Size, ErrSealedLogChanged)
	}
	if root := f.Root(); root != latest.Root {
		return fmt.Errorf("reload sealed log: root of positions 1..%d is %s, the seal signed %s: %w", latest.Size, root, latest.Root, ErrSealedLogChanged)
	}
	s.frontier, s.sealed, s.latest = f, latest.Size, latest.Seal
	return nil
}

func (s *Sealer) appendEvent(rec eventstore.RecordedEvent) error {
	env, err := events.Decode(rec.Data)
	return s.appendDecoded(rec.Position, env, err)
}

// appendDecoded adds the event at pos, decoded as env (or failing with
// decodeErr), to the tree.
func (s *Sealer) appendDecoded(pos uint64, env events.Envelope, decodeErr error) error {
	if want := s.frontier.Size() + 1; pos != want {
		return fmt.Errorf("seal log: position %d where %d was expected: %w", pos, want, ErrInvalidEvent)
	}
	if decodeErr != nil {
		return fmt.Errorf("seal log: position %d: %w: %w", pos, ErrInvalidEvent, decodeErr)
	}
	leaf, err := LeafHash(env.Hash)
	if err != nil {
		return fmt.Errorf("seal log: position %d: %w: %w", pos, ErrInvalidEvent, err)
	}
	s.frontier.Append(leaf)
	return nil
}

// sealLocked signs and stores a seal of the frontier if it grew.
func (s *Sealer) sealLocked(ctx context.Context) (seal.Seal, bool, error) {
	size := s.frontier.Size()
	if size == 0 {
		return seal.Seal{}, false, nil
	}
	if size == s.sealed {
		latest, ok, err := s.store.LatestSeal(ctx)
		if err != nil {
			return seal.Seal{}, false, fmt.Errorf("load latest seal: %w", err)
		}
		if ok {
			return latest.Seal, false, nil
		}
	}
	sl, err := seal.Sign(s.key, size, s.frontier.Root(), s.clock())
	if err != nil {
		return seal.Seal{}, false, fmt.Errorf("seal log at size %d: %w", size, err)
	}
	if err := s.store.AddSeal(ctx, sl, s.pub); err != nil {
		return seal.Seal{}, false, fmt.Errorf("store seal of size %d: %w", size, err)
	}
	s.sealed, s.latest = size, sl
	return sl, true, nil
}

// Unsealed returns how many events the sealer has read past the latest seal.
func (s *Sealer) Unsealed() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frontier.Size() - s.sealed
}
