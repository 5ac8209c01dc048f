package kurrenttest

import (
	"math"
	"sync"

	"github.com/google/uuid"
)

// Positions in the imitated transaction log: where a fresh database's own
// records would end, the fixed cost of a record, and the size of the commit
// record closing a multi-event append.
const (
	firstPosition    = 1 << 12
	recordOverhead   = 96
	commitRecordSize = 40
)

// record is one stored event. Records are immutable once appended.
type record struct {
	id       uuid.UUID
	stream   string
	revision uint64
	metadata map[string]string // "type", "content-type", "created"
	custom   []byte
	data     []byte
	commit   uint64
	prepare  uint64
}

// before reports whether r sorts before the $all position (commit, prepare).
func (r *record) before(commit, prepare uint64) bool {
	return r.commit < commit || (r.commit == commit && r.prepare < prepare)
}

// memLog is the double's whole database: the $all log and an index of it
// per stream.
type memLog struct {
	mu      sync.Mutex
	all     []*record
	streams map[string][]*record
	cursor  uint64        // next free byte of the imitated log
	changed chan struct{} // closed and replaced after every write
	dropped chan struct{} // closed and replaced to drop every subscription
}

func newMemLog() *memLog {
	return &memLog{
		streams: make(map[string][]*record),
		cursor:  firstPosition,
		changed: make(chan struct{}),
		dropped: make(chan struct{}),
	}
}

// dropSignal returns a channel closed at the next dropAll.
func (l *memLog) dropSignal() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped
}

// dropAll ends every running subscription.
func (l *memLog) dropAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.dropped)
	l.dropped = make(chan struct{})
}

// expectKind is the expected-revision option of an append.
type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectRevision
)

// expectation is the expected revision of an append.
type expectation struct {
	kind     expectKind
	revision uint64 // for expectRevision
}

// proposed is an event sent to Append.
type proposed struct {
	id       uuid.UUID
	metadata map[string]string
	custom   []byte
	data     []byte
}

// appendOutcome is the answer to an append. When ok is false the expected
// revision did not hold and nothing was written.
type appendOutcome struct {
	ok      bool
	exists  bool   // whether the stream exists (after a successful append)
	current uint64 // the stream's last revision, when exists
	last    *record
}

// append writes events to stream if expected holds, or answers an
// idempotent retry without writing.
func (l *memLog) append(stream string, expected expectation, events []proposed) appendOutcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	recs := l.streams[stream]
	out := appendOutcome{exists: len(recs) > 0, current: uint64(len(recs)) - 1}
	if !out.exists {
		out.current = 0
	}
	if len(events) == 0 {
		out.ok = expectationHolds(expected, recs)
		return out
	}

	switch expected.kind {
	case expectNoStream, expectRevision:
		// The events would start right after the expected revision: if they
		// are already there, the append is a retry.
		start := uint64(0)
		if expected.kind == expectRevision {
			if expected.revision == math.MaxUint64 {
				return out // no stream can be there
			}
			start = expected.revision + 1
		}
		if start == uint64(len(recs)) {
			break // the expected revision holds: write
		}
		if last, matched := matchAt(recs, start, events); matched == len(events) {
			return appendOutcome{ok: true, exists: true, current: last.revision, last: last}
		}
		return out
	case expectAny, expectStreamExists:
		if expected.kind == expectStreamExists && len(recs) == 0 {
			return out
		}
		// The real server keeps a cache of recent ids for this check; the
		// double searches the whole stream.
		for i, r := range recs {
			if r.id != events[0].id {
				continue
			}
			last, matched := matchAt(recs, uint64(i), events)
			if matched == len(events) {
				return appendOutcome{ok: true, exists: true, current: last.revision, last: last}
			}
			return out // partly matching: the server reports a wrong expected version
		}
	}

	out = appendOutcome{ok: true, exists: true}
	commit := uint64(0)
	if len(events) > 1 {
		// Prepares first, then one commit record that all of them share.
		size := uint64(0)
		for _, e := range events {
			size += recordSize(stream, e)
		}
		commit = l.cursor + size
	}
	for _, e := range events {
		r := &record{
			id:       e.id,
			stream:   stream,
			revision: uint64(len(recs)),
			metadata: e.metadata,
			custom:   e.custom,
			data:     e.data,
			prepare:  l.cursor,
			commit:   commit,
		}
		if len(events) == 1 {
			r.commit = r.prepare
		}
		l.cursor += recordSize(stream, e)
		recs = append(recs, r)
		l.all = append(l.all, r)
		out.last = r
	}
	if len(events) > 1 {
		l.cursor += commitRecordSize
	}
	l.streams[stream] = recs
	out.current = out.last.revision
	close(l.changed)
	l.changed = make(chan struct{})
	return out
}

// expectationHolds reports whether a stream holding recs satisfies expected.
func expectationHolds(expected expectation, recs []*record) bool {
	switch expected.kind {
	case expectNoStream:
		return len(recs) == 0
	case expectStreamExists:
		return len(recs) > 0
	case expectRevision:
		return len(recs) > 0 && uint64(len(recs))-1 == expected.revision
	default:
		return true
	}
}

// matchAt counts how many of events are stored, in order, from revision
// start on, and returns the last matching record.
func matchAt(recs []*record, start uint64, events []proposed) (last *record, matched int) {
	for i, e := range events {
		rev := start + uint64(i)
		if rev >= uint64(len(recs)) || recs[rev].id != e.id {
			return last, i
		}
		last = recs[rev]
	}
	return last, len(events)
}

// recordSize is the room an event takes in the imitated log.
func recordSize(stream string, e proposed) uint64 {
	n := recordOverhead + len(stream) + len(e.custom) + len(e.data)
	for k, v := range e.metadata {
		n += len(k) + len(v)
	}
	return uint64(n)
}

// snapshotAll returns the $all records from index from on and a channel
// closed at the next write. The records returned never change.
func (l *memLog) snapshotAll(from int) ([]*record, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if from > len(l.all) {
		from = len(l.all)
	}
	return l.all[from:len(l.all):len(l.all)], l.changed
}

// snapshotStream is snapshotAll for one stream; ok is false if the stream
// does not exist.
func (l *memLog) snapshotStream(stream string, from uint64) (recs []*record, ok bool, changed <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	all := l.streams[stream]
	if from > uint64(len(all)) {
		from = uint64(len(all))
	}
	return all[from:len(all):len(all)], len(all) > 0, l.changed
}

// seekAll returns the index in $all of the first record at or after the
// position (commit, prepare).
func (l *memLog) seekAll(commit, prepare uint64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	lo, hi := 0, len(l.all)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if l.all[mid].before(commit, prepare) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// allLen is the number of records in $all.
func (l *memLog) allLen() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.all)
}

// rewriteData replaces a record by a copy with other data: records handed
// out by snapshots never change.
func (l *memLog) rewriteData(stream string, revision uint64, data []byte) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	recs := l.streams[stream]
	if revision >= uint64(len(recs)) {
		return false
	}
	old := recs[revision]
	edited := *old
	edited.data = append([]byte(nil), data...)
	recs[revision] = &edited
	for i, r := range l.all {
		if r == old {
			l.all[i] = &edited
		}
	}
	return true
}
