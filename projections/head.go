package projections

import (
	"context"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// Head returns the position of the last event in the store's global log (0
// for an empty log); see follow.Head.
func Head(ctx context.Context, store eventstore.Store) (uint64, error) {
	return follow.Head(ctx, store)
}
