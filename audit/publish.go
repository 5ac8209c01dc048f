package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/disputes-ledger/disputes/audit/checkpoint"
)

// CheckpointPublisher sends each seal, as a signed checkpoint (package
// checkpoint), somewhere the operator cannot quietly take it back: an
// append-only directory, a message stream, a witness. Implementations are
// safe for concurrent use.
type CheckpointPublisher interface {
	// PublishCheckpoint publishes text, the signed note of cp. Publishing
	// a checkpoint already published (same size, same text) again is a
	// no-op: the Sealer republishes its latest checkpoint after a restart
	// or a failed attempt. A different text at a published size is an
	// error, never a replacement.
	PublishCheckpoint(ctx context.Context, cp checkpoint.Checkpoint, text []byte) error
}

// SealerOption configures a Sealer.
type SealerOption func(*Sealer) error

// WithCheckpoints makes the sealer sign every seal also as a checkpoint of
// the log named origin (checkpoint.DefaultOrigin of the key when empty) and
// hand it to each publisher as soon as the seal is stored. The latest seal
// is published on the first call too, so that a seal made before
// publication was configured, or whose publication failed, goes out.
func WithCheckpoints(origin string, publishers ...CheckpointPublisher) SealerOption {
	return func(s *Sealer) error {
		if origin == "" {
			origin = checkpoint.DefaultOrigin(s.pub)
		}
		if err := checkpoint.ValidateOrigin(origin); err != nil {
			return err
		}
		s.origin, s.publishers = origin, publishers
		return nil
	}
}

// Origin returns the origin of the sealer's checkpoints.
func (s *Sealer) Origin() string { return s.origin }

// Checkpoint returns the signed checkpoint of the latest seal this sealer
// published, and false before the first.
func (s *Sealer) Checkpoint() ([]byte, bool) {
	s.cpMu.RLock()
	defer s.cpMu.RUnlock()
	return s.checkpoint, s.checkpoint != nil
}

// publishLatest signs the latest seal as a checkpoint and publishes it,
// unless this sealer already did. Called with s.mu held.
func (s *Sealer) publishLatest(ctx context.Context) error {
	if s.latest.Size == 0 || s.published == s.latest.Size {
		return nil
	}
	cp := checkpoint.Checkpoint{Origin: s.origin, Size: s.latest.Size, Root: s.latest.Root}
	text, err := checkpoint.Sign(s.key, cp)
	if err != nil {
		return fmt.Errorf("checkpoint of seal %d: %w", cp.Size, err)
	}
	var errs []error
	for _, p := range s.publishers {
		if err := p.PublishCheckpoint(ctx, cp, text); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("publish checkpoint of size %d: %w", cp.Size, err)
	}
	s.published = cp.Size
	s.cpMu.Lock()
	s.checkpoint = text
	s.cpMu.Unlock()
	return nil
}
