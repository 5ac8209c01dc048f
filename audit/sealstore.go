package audit

import (
	"context"
	"crypto/ed25519"
	"errors"

	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/eventstore"
)

// StoredSeal is a seal as kept by a SealStore, with the public key of the
// key that signed it, so that an export can carry the key without access to
// the signing key. The key is only a convenience: auditors pin the key they
// trust (see Options.PublicKey), never the one a ledger hands them.
type StoredSeal struct {
	seal.Seal
	PublicKey ed25519.PublicKey
}

// SealStore keeps seals durably. Implementations are safe for concurrent use
// (two sealers on one ledger must not corrupt it).
type SealStore interface {
	// AddSeal stores s, signed by the key whose public half is pub. Storing a
	// seal equal to one already stored at the same size (root, time, key and
	// signature) is a no-op; any other seal at a stored size fails with an
	// error wrapping ErrSealConflict.
	AddSeal(ctx context.Context, s seal.Seal, pub ed25519.PublicKey) error
	// Seals returns every stored seal in increasing size.
	Seals(ctx context.Context) ([]StoredSeal, error)
	// LatestSeal returns the seal of the largest size, and false if there is
	// none.
	LatestSeal(ctx context.Context) (StoredSeal, bool, error)
}

// Log is the part of eventstore.Store that sealing, exporting and proving
// read: the global log in position order. As an eventstore.Store's, the
// records ReadAll returns are handed over: nobody modifies their bytes
// afterwards, so the verifier decodes them in place (PrepareRecord).
type Log interface {
	ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error)
}

// StrayEvent locates a stored event that a read of its ticket's stream and
// the global log see differently.
type StrayEvent struct {
	// Position is the stored position column: 0 or below for a row outside
	// the global log.
	Position int64
	// NoPosition says the row is at no position at all (NULL, Position 0),
	// which a PostgreSQL table whose key its owner dropped can hold.
	NoPosition bool
	// Stream and Revision are the stored columns.
	Stream   string
	Revision uint64
	// StorageClass, when not "", says which column holds a value of another
	// SQLite storage class than the table declares (say "stream blob"): a
	// stream read, which compares the column with text, never finds the row.
	StorageClass string
}

// StrayReader is implemented by a Log whose storage can hold rows the global
// log reads but a stream read does not, or the other way round — an events
// table (SQLite's, or PostgreSQL's with its checks dropped) with a row at
// position 0 or below, or at none (outside the log, under no seal, yet in
// its ticket's stream), or an SQLite one with a stream name stored as a
// BLOB (in the log, but in no stream read). The verifier asks for them
// (CheckOutsideLog, CheckColumnMismatch).
type StrayReader interface {
	EventsOutsideLog(ctx context.Context) ([]StrayEvent, error)
}

// StrayScanner is a StrayReader that finds the rows of another storage
// class while it reads the log (ReadAllStrays, ReadAll that also returns
// the rows it read whose stream, type or revision is not of the class the
// table declares), so that the verifier reads the table once:
// EventsBelowLog then returns only the rows at position 0 or below, which
// no ReadAll reaches.
type StrayScanner interface {
	StrayReader
	EventsBelowLog(ctx context.Context) ([]StrayEvent, error)
	ReadAllStrays(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, []StrayEvent, error)
}

// ErrSealConflict is returned (wrapped) by SealStore.AddSeal for a seal at a
// size that already has a different seal: two sealers disagree about the log.
var ErrSealConflict = errors.New("a different seal of this size is already stored")

// ErrSealedLogChanged is returned (wrapped) by the Sealer when the log no
// longer has the root its latest seal signed: an event under the seal was
// altered, removed or reordered. The Sealer refuses to seal on top of it;
// run the Verifier to locate the change.
var ErrSealedLogChanged = errors.New("sealed log changed")

// ErrInvalidEvent is returned (wrapped) by the Sealer for an event that does
// not decode and verify: the Sealer never signs over an event it could not
// check.
var ErrInvalidEvent = errors.New("invalid event in log")
