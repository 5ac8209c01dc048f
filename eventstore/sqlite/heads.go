package sqlite

// knownHeads remembers, for streams the writer has appended to, the highest
// revision it has seen committed. It lets a batch skip the revision check's
// read for appends that continue a stream it knows (rows.go).
//
// An entry is a fact that never goes stale in the direction that matters:
// the log only grows (no event is ever deleted or moved), so a revision
// seen committed exists for good. Another process on the same file may
// have appended since, so an entry may be behind the stream's head, never
// ahead of it. Behind is safe: an append built on an old head collides with
// the row already at its first revision (UNIQUE (stream, revision)), and
// the batch takes the checked path for it.
//
// Only the writer goroutine uses it. Its size is bounded: when full, an
// arbitrary entry makes room, and a stream without an entry is checked by a
// read as before.
type knownHeads struct {
	last map[string]uint64
	max  int
}

// maxKnownHeads bounds the writer's memory of stream heads: at a few dozen
// bytes an entry, a few MB.
const maxKnownHeads = 1 << 16

func newKnownHeads(max int) *knownHeads {
	return &knownHeads{last: make(map[string]uint64), max: max}
}

// get returns the highest revision of stream known to be committed.
func (k *knownHeads) get(stream string) (uint64, bool) {
	rev, ok := k.last[stream]
	return rev, ok
}

// committed records that revision rev of stream is committed. Call it only
// after the transaction that wrote or read it has committed.
func (k *knownHeads) committed(stream string, rev uint64) {
	if old, ok := k.last[stream]; ok {
		k.last[stream] = max(old, rev)
		return
	}
	if len(k.last) >= k.max {
		for s := range k.last { // map order is random enough to evict
			delete(k.last, s)
			break
		}
	}
	k.last[stream] = rev
}
