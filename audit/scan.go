package audit

import (
	"context"
	"fmt"

	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/eventstore"
)

// scanBatch is how many events one ReadAll call returns while scanning.
const scanBatch = 4096

// ScanLog calls fn for every event of log with after < Position <= upTo, in
// position order (upTo 0 means up to the head as it is while scanning). It
// stops at the first error fn returns.
func ScanLog(ctx context.Context, log Log, after, upTo uint64, fn func(eventstore.RecordedEvent) error) error {
	for {
		limit := scanBatch
		if upTo > 0 {
			if after >= upTo {
				return nil
			}
			limit = int(min(uint64(scanBatch), upTo-after))
		}
		recs, err := log.ReadAll(ctx, after, limit)
		if err != nil {
			return fmt.Errorf("read log after position %d: %w", after, err)
		}
		for _, rec := range recs {
			if upTo > 0 && rec.Position > upTo {
				return nil
			}
			if err := fn(rec); err != nil {
				return err
			}
			after = rec.Position
		}
		if len(recs) < limit {
			return nil
		}
	}
}

// BuildTree reads the log's first size events (all of them for size 0) and
// returns the Merkle tree over their leaves. It fails if a position is
// missing or an event has no readable hash member: no tree of the log exists
// then, and the Verifier is the tool that says where.
func BuildTree(ctx context.Context, log Log, size uint64) (*merkle.Tree, error) {
	var tree merkle.Tree
	err := ScanLog(ctx, log, 0, size, func(rec eventstore.RecordedEvent) error {
		if want := tree.Size() + 1; rec.Position != want {
			return fmt.Errorf("build tree: position %d where %d was expected: %w", rec.Position, want, ErrSealedLogChanged)
		}
		leaf, err := LeafOf(rec.Data)
		if err != nil {
			return fmt.Errorf("build tree: position %d: %w", rec.Position, err)
		}
		tree.Append(leaf)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if size > 0 && tree.Size() < size {
		return nil, fmt.Errorf("build tree: log ends at position %d, before %d: %w", tree.Size(), size, ErrSealedLogChanged)
	}
	return &tree, nil
}
