// Package proof builds and checks the stand-alone proofs an outsider can be
// handed: that one event (a ruling, say) is in the sealed log, and that a
// later seal extends an earlier one. A proof document carries everything its
// check needs except the trusted public key: the seal(s), the proof hashes
// and, for inclusion, the event's stored bytes.
package proof

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// Formats of the two documents.
const (
	InclusionFormat   = "disputes-inclusion-proof/1"
	ConsistencyFormat = "disputes-consistency-proof/1"
)

// ErrNotSealed is returned (wrapped) when the event or size to prove is not
// covered by a seal yet: run `disputes seal` first.
var ErrNotSealed = errors.New("not covered by a seal")

// ErrEventNotFound is returned (wrapped) for an event id that is not in the log.
var ErrEventNotFound = errors.New("event not found")

// ErrInvalid is returned (wrapped) by Verify for a document that does not
// prove what it claims; the wrapped chain holds the precise cause (a seal,
// merkle or events error).
var ErrInvalid = errors.New("proof does not verify")

// Key is a public key as proofs carry it.
type Key struct {
	KeyID   string `json:"key_id"`
	Ed25519 []byte `json:"ed25519"`
}

func keyOf(pub ed25519.PublicKey) Key { return Key{KeyID: seal.KeyID(pub), Ed25519: pub} }

// Inclusion proves that Event is at Position in the log sealed by Seal.
type Inclusion struct {
	Format    string          `json:"format"`
	PublicKey Key             `json:"public_key"`
	Seal      seal.Seal       `json:"seal"`
	Position  uint64          `json:"position"`
	Event     json.RawMessage `json:"event"`
	Hashes    []merkle.Hash   `json:"hashes"`
}

// Consistency proves that the log sealed by New extends the log sealed by Old.
type Consistency struct {
	Format    string        `json:"format"`
	PublicKey Key           `json:"public_key"`
	Old       seal.Seal     `json:"old"`
	New       seal.Seal     `json:"new"`
	Hashes    []merkle.Hash `json:"hashes"`
}

// sealAt returns the stored seal of size (the latest for 0).
func sealAt(ctx context.Context, seals audit.SealStore, size uint64) (audit.StoredSeal, error) {
	all, err := seals.Seals(ctx)
	if err != nil {
		return audit.StoredSeal{}, err
	}
	if len(all) == 0 {
		return audit.StoredSeal{}, fmt.Errorf("the ledger has no seal: %w", ErrNotSealed)
	}
	if size == 0 {
		return all[len(all)-1], nil
	}
	for _, s := range all {
		if s.Size == size {
			return s, nil
		}
	}
	return audit.StoredSeal{}, fmt.Errorf("no seal of size %d: %w", size, ErrNotSealed)
}

// ProveEvent builds the inclusion proof of the event with id in the log
// sealed at size sealSize (the latest seal for 0).
func ProveEvent(ctx context.Context, log audit.Log, seals audit.SealStore, id uuid.UUID, sealSize uint64) (Inclusion, error) {
	s, err := sealAt(ctx, seals, sealSize)
	if err != nil {
		return Inclusion{}, fmt.Errorf("prove event %s: %w", id, err)
	}
	var (
		tree  merkle.Tree
		found *eventstore.RecordedEvent
	)
	err = audit.ScanLog(ctx, log, 0, 0, func(rec eventstore.RecordedEvent) error {
		if rec.ID == id {
			found = &rec
		}
		if rec.Position > s.Size {
			if found != nil {
				return errStop
			}
			return nil
		}
		if rec.Position != tree.Size()+1 {
			return fmt.Errorf("position %d where %d was expected: %w", rec.Position, tree.Size()+1, audit.ErrSealedLogChanged)
		}
		leaf, err := audit.LeafOf(rec.Data)
		if err != nil {
			return fmt.Errorf("position %d: %w", rec.Position, err)
		}
		tree.Append(leaf)
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return Inclusion{}, fmt.Errorf("prove event %s: %w", id, err)
	}
	switch {
	case found == nil:
		return Inclusion{}, fmt.Errorf("prove event %s: %w", id, ErrEventNotFound)
	case found.Position > s.Size:
		return Inclusion{}, fmt.Errorf("prove event %s: it is at position %d, after the seal of size %d: %w", id, found.Position, s.Size, ErrNotSealed)
	case tree.Size() != s.Size:
		return Inclusion{}, fmt.Errorf("prove event %s: the log ends at %d, the seal covers %d: %w", id, tree.Size(), s.Size, audit.ErrSealedLogChanged)
	}
	hashes, err := tree.InclusionProof(found.Position-1, s.Size)
	if err != nil {
		return Inclusion{}, fmt.Errorf("prove event %s: %w", id, err)
	}
	return Inclusion{Format: InclusionFormat, PublicKey: keyOf(s.PublicKey), Seal: s.Seal, Position: found.Position,
		Event: bytes.Clone(found.Data), Hashes: hashes}, nil
}

var errStop = errors.New("stop scanning")

// ProveConsistency builds the proof that the seal of size to extends the
// seal of size from (the latest seal for to 0).
func ProveConsistency(ctx context.Context, log audit.Log, seals audit.SealStore, from, to uint64) (Consistency, error) {
	newer, err := sealAt(ctx, seals, to)
	if err != nil {
		return Consistency{}, fmt.Errorf("prove consistency: %w", err)
	}
	if from == 0 {
		return Consistency{}, fmt.Errorf("prove consistency from size 0: %w", ErrNotSealed)
	}
	older, err := sealAt(ctx, seals, from)
	if err != nil {
		return Consistency{}, fmt.Errorf("prove consistency: %w", err)
	}
	if older.Size > newer.Size {
		return Consistency{}, fmt.Errorf("prove consistency: seal %d is larger than seal %d", older.Size, newer.Size)
	}
	tree, err := audit.BuildTree(ctx, log, newer.Size)
	if err != nil {
		return Consistency{}, fmt.Errorf("prove consistency: %w", err)
	}
	hashes, err := tree.ConsistencyProof(older.Size, newer.Size)
	if err != nil {
		return Consistency{}, fmt.Errorf("prove consistency: %w", err)
	}
	return Consistency{Format: ConsistencyFormat, PublicKey: keyOf(newer.PublicKey), Old: older.Seal, New: newer.Seal, Hashes: hashes}, nil
}

// Verified is what a proof established.
type Verified struct {
	Format string `json:"format"`
	// KeyID is the key the seals were verified with; KeyPinned whether the
	// caller supplied it rather than the document.
	KeyID     string `json:"key_id"`
	KeyPinned bool   `json:"key_pinned"`
	// For an inclusion proof: the event and the seal.
	Position uint64           `json:"position,omitempty"`
	Event    *events.Envelope `json:"-"`
	Seal     *seal.Seal       `json:"seal,omitempty"`
	// For a consistency proof: the two seals.
	Old *seal.Seal `json:"old,omitempty"`
	New *seal.Seal `json:"new,omitempty"`
}

// key picks the verifying key: the pinned one, else the document's.
func (k Key) key(pinned ed25519.PublicKey) (ed25519.PublicKey, bool, error) {
	if pinned != nil {
		return pinned, true, nil
	}
	if len(k.Ed25519) != ed25519.PublicKeySize || seal.KeyID(k.Ed25519) != k.KeyID {
		return nil, false, fmt.Errorf("the document's public key is malformed or not %s: %w", k.KeyID, seal.ErrInvalidKey)
	}
	return ed25519.PublicKey(k.Ed25519), false, nil
}

// Verify checks the inclusion proof with pinned (or, if nil, the key the
// document carries, which proves only that the document is self-consistent).
func (p Inclusion) Verify(pinned ed25519.PublicKey) (Verified, error) {
	if p.Format != InclusionFormat {
		return Verified{}, fmt.Errorf("%w: format %q is not %s", ErrInvalid, p.Format, InclusionFormat)
	}
	pub, isPinned, err := p.PublicKey.key(pinned)
	if err != nil {
		return Verified{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := p.Seal.Verify(pub); err != nil {
		return Verified{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	// A reader may have pretty-printed the document; compacting gives back
	// the stored bytes, since indentation never touches string contents.
	var event bytes.Buffer
	if err := json.Compact(&event, p.Event); err != nil {
		return Verified{}, fmt.Errorf("%w: the event is not JSON: %w", ErrInvalid, err)
	}
	env, err := events.Decode(event.Bytes())
	if err != nil {
		return Verified{}, fmt.Errorf("%w: the event: %w", ErrInvalid, err)
	}
	leaf, err := audit.LeafHash(env.Hash)
	if err != nil {
		return Verified{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if p.Position == 0 {
		return Verified{}, fmt.Errorf("%w: position 0 is not a log position", ErrInvalid)
	}
	if err := merkle.VerifyInclusion(leaf, p.Position-1, p.Seal.Size, p.Hashes, p.Seal.Root); err != nil {
		return Verified{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	s := p.Seal
	return Verified{Format: p.Format, KeyID: seal.KeyID(pub), KeyPinned: isPinned, Position: p.Position, Event: &env, Seal: &s}, nil
}

// Verify checks the consistency proof with pinned (or the document's key).
func (p Consistency) Verify(pinned ed25519.PublicKey) (Verified, error) {
	if p.Format != ConsistencyFormat {
		return Verified{}, fmt.Errorf("%w: format %q is not %s", ErrInvalid, p.Format, ConsistencyFormat)
	}
	pub, isPinned, err := p.PublicKey.key(pinned)
	if err != nil {
		return Verified{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	for _, s := range []seal.Seal{p.Old, p.New} {
		if err := s.Verify(pub); err != nil {
			return Verified{}, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	if p.Old.Size > p.New.Size {
		return Verified{}, fmt.Errorf("%w: the old seal (%d) is larger than the new one (%d)", ErrInvalid, p.Old.Size, p.New.Size)
	}
	if err := merkle.VerifyConsistency(p.Old.Size, p.New.Size, p.Old.Root, p.New.Root, p.Hashes); err != nil {
		return Verified{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	o, n := p.Old, p.New
	return Verified{Format: p.Format, KeyID: seal.KeyID(pub), KeyPinned: isPinned, Old: &o, New: &n}, nil
}

// Verify reads a proof document of either format and checks it.
func Verify(doc []byte, pinned ed25519.PublicKey) (Verified, error) {
	var probe struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(doc, &probe); err != nil {
		return Verified{}, fmt.Errorf("%w: not a JSON proof document: %w", ErrInvalid, err)
	}
	switch probe.Format {
	case InclusionFormat:
		var p Inclusion
		if err := strict(doc, &p); err != nil {
			return Verified{}, err
		}
		return p.Verify(pinned)
	case ConsistencyFormat:
		var p Consistency
		if err := strict(doc, &p); err != nil {
			return Verified{}, err
		}
		return p.Verify(pinned)
	}
	return Verified{}, fmt.Errorf("%w: unknown format %q", ErrInvalid, probe.Format)
}

func strict(doc []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: malformed proof document: %w", ErrInvalid, err)
	}
	return nil
}
