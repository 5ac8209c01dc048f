// Package sqlread holds what the SQL backends (SQLite, PostgreSQL) do the
// same way when they read: the fast failure of a read on a closed store,
// the gap check on a global-log read, string interning across a batch, and
// the mapping of the port's unsigned numbers and limits onto SQL's signed
// 64-bit integers.
package sqlread

import (
	"context"
	"fmt"
	"math"
)

// Usable fails fast for an ended context or a closed store (done closed),
// so that callers see ctx's error or errClosed rather than a driver error.
func Usable(ctx context.Context, done <-chan struct{}, errClosed error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-done:
		return errClosed
	default:
		return nil
	}
}

// ClampInt64 maps revisions and positions beyond a signed 64-bit column to
// its maximum, which no stored value reaches.
func ClampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// InitialCap bounds the up-front allocation for a result of at most limit
// events (limit <= 0: unknown).
func InitialCap(limit int) int {
	if limit <= 0 || limit > 1024 {
		return 16
	}
	return limit
}

// Gapless checks that a global-log read returns positions after+1, after+2,
// … in order. It cannot fail while the backend's writers keep positions
// gap-free and commit them in order; a gap would silently lose an event for
// every projection, so a read that finds one fails instead.
type Gapless struct{ next uint64 }

// GaplessAfter starts the check for a read of the positions after after.
func GaplessAfter(after uint64) Gapless { return Gapless{next: uint64(ClampInt64(after)) + 1} }

// Check accepts the next position read.
func (g *Gapless) Check(pos uint64) error {
	if pos != g.next {
		return fmt.Errorf("gap in global log: position %d where %d was due", pos, g.next)
	}
	g.next++
	return nil
}

// Interner shares one string among repeated byte values within one read:
// streams and types repeat across a batch. The zero value is ready to use.
type Interner map[string]string

// Get returns b as a string, the same one for equal values.
func (in *Interner) Get(b []byte) string {
	if *in == nil {
		*in = make(map[string]string)
	}
	if s, ok := (*in)[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	(*in)[s] = s
	return s
}
