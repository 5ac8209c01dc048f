package projections

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/disputes-ledger/disputes/events"
)

// cachedEntry returns a ticket's entry in a per-ticket projection's cache:
// cached, read back through read, or new for the ticket's opening event. A
// ticket opened twice, or opened past revision 0, is refused. For a ticket
// with no stored row it returns absent's error; a nil absent means "nothing
// to keep" and returns a nil entry. (absent is a func so the hot path
// formats no error.)
//
// A key is a copy of id, which is a window on the decoded event's bytes
// (and those on the log read's buffer, events.DecodeOwned): a cached ticket
// must not keep them alive (see detached).
func cachedEntry[E any](ctx context.Context, cache map[string]*E, id string, env events.Envelope,
	read func(context.Context, string) (*E, error), absent func() error) (*E, error) {
	if e, ok := cache[id]; ok {
		if env.Type == events.TypeRefundRequested {
			return nil, refuse("ticket %s opened twice", id)
		}
		return e, nil
	}
	if env.Type == events.TypeRefundRequested {
		if env.Revision != 0 {
			return nil, refuse("ticket %s opened at revision %d", id, env.Revision)
		}
		e := new(E)
		cache[strings.Clone(id)] = e
		return e, nil
	}
	e, err := read(ctx, id)
	if errors.Is(err, sql.ErrNoRows) {
		if absent == nil {
			return nil, nil
		}
		return nil, absent()
	}
	if err != nil {
		return nil, err
	}
	cache[strings.Clone(id)] = e
	return e, nil
}

// evictOldest keeps a per-ticket projection's cache within max entries
// once it has grown past it: the half of max most recently touched (by the
// log position last returns) stay, the others go, so the tickets still in
// play are not read back. A negative max empties the cache. The entries
// must all be clean (called after a commit).
func evictOldest[E any](cache map[string]*E, max int, last func(*E) uint64) {
	if len(cache) <= max {
		return
	}
	if max < 2 {
		clear(cache)
		return
	}
	positions := make([]uint64, 0, len(cache))
	for _, e := range cache {
		positions = append(positions, last(e))
	}
	slices.Sort(positions)
	cutoff := positions[len(positions)-max/2] // keep positions at or above it
	for id, e := range cache {
		if last(e) < cutoff {
			delete(cache, id)
		}
	}
}
