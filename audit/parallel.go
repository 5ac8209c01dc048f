package audit

import (
	"cmp"
	"slices"

	"github.com/disputes-ledger/disputes/eventstore"
)

// parallelBatch is how many events are handed to the shards at a time, and
// parallelDepth how many such batches may be in flight before Apply waits
// for the oldest: enough slack that a shard held up by a GC pause or the
// scheduler does not stall the others.
const (
	parallelBatch = 512
	parallelDepth = 8
)

// parallel runs a Verifier's ticket shards on their own goroutines. Apply
// and ApplyOwned collect events into a batch; a full batch goes to one
// goroutine per shard, which decodes the batch's undecoded events its hint
// names (ApplyOwned) and then checks, in order, the events of its tickets
// in the batch before; the Verifier then applies each batch's log checks
// and carries out the shards' actions event by event, in log order, exactly
// as one goroutine would have (flush). Every other call on the Verifier
// flushes first.
//
// An event is decoded where it is checked, most of the time: its bytes and
// its decoded envelope are then read on the core that wrote them, not
// handed from core to core (decoded on one, checked on another, which cost
// 5-10% of a verification's CPU). Which ticket an event belongs to is only
// known once it is decoded, so the hint a caller gives (the stream its row
// or its bytes name) is never trusted: each event is checked by the shard
// of the stream it decoded to, which waits until every shard has decoded
// its part of the batch. To leave that wait little to wait for, a shard
// decodes a batch and then checks the batch before it: the others wait
// only for a shard a whole batch behind them.
type parallel struct {
	pending []Prepared
	raw     []rawEvent // beside pending: what to decode, if not decoded yet
	// inflight are the batches handed to the shards, oldest first. The
	// newest is also unchecked: its events are being decoded, and the runs
	// the next batch starts, or flush, check them.
	inflight  []*shardBatch
	unchecked *shardBatch
	// last is, per shard, the done channel of its newest run: a shard's
	// next run waits for it, so one shard's tickets are only ever touched
	// by one goroutine at a time, in order.
	last []chan struct{}
	// free holds the slices of merged batches, for reuse.
	free []batchSlices
}

// rawEvent is an event handed over undecoded (ApplyOwned, a ledger's row):
// what its shard decodes it from.
type rawEvent struct {
	// hint is the shard that decodes it, -1 for an event handed over
	// prepared.
	hint int
	pos  uint64
	line int
	data []byte
	// rec is the ledger's row, whose columns are checked against the
	// bytes (PrepareRecord); nil for a bundle's line.
	rec *eventstore.RecordedEvent
}

type batchSlices struct {
	events []Prepared
	raw    []rawEvent
}

// shardBatch is a batch of events in the shards' hands.
type shardBatch struct {
	events []Prepared
	raw    []rawEvent
	shard  []int      // the shard that checks each event, -1 for none
	out    [][]action // per shard, what it found
	// decoded is closed by each shard once it has decoded its part, done
	// once it has checked it.
	decoded, done []chan struct{}
}

func newParallel(shards int) *parallel {
	return &parallel{last: make([]chan struct{}, shards)}
}

// slot returns a new place at the end of the pending batch.
func (par *parallel) slot() (*Prepared, *rawEvent) {
	if par.pending == nil {
		if n := len(par.free); n > 0 {
			par.pending, par.raw = par.free[n-1].events, par.free[n-1].raw
			par.free = par.free[:n-1]
		} else {
			par.pending, par.raw = make([]Prepared, 0, parallelBatch), make([]rawEvent, 0, parallelBatch)
		}
	}
	n := len(par.pending)
	par.pending, par.raw = par.pending[:n+1], par.raw[:n+1] // zeroed when merged
	return &par.pending[n], &par.raw[n]
}

// add queues p, handing a full batch to the shards.
func (par *parallel) add(v *Verifier, p *Prepared) {
	slot, raw := par.slot()
	*slot, raw.hint = *p, -1
	par.full(v)
}

// addRaw queues an event to decode on the shard of hint.
func (par *parallel) addRaw(v *Verifier, r rawEvent, hint RouteHint) {
	_, raw := par.slot()
	*raw = r
	raw.hint = int(uint64(hint) % uint64(len(v.shards)))
	par.full(v)
}

// full hands the pending batch to the shards once it is full.
func (par *parallel) full(v *Verifier) {
	if len(par.pending) < parallelBatch {
		return
	}
	par.dispatch(v)
	if len(par.inflight) > parallelDepth {
		v.mergeOldest()
	}
}

// shardOf is the shard that checks p: its stream's (by the key hashed
// where it was prepared), -1 for an event that names none.
func shardOf(p *Prepared, shards int) int {
	if p.ref.stream == "" {
		return -1
	}
	return int(p.ref.key % uint64(shards))
}

// dispatch hands the pending events to one goroutine per shard, which
// decodes its part of them and then checks the batch before.
func (par *parallel) dispatch(v *Verifier) {
	if len(par.pending) == 0 {
		return
	}
	n := len(v.shards)
	b := &shardBatch{events: par.pending, raw: par.raw, shard: make([]int, len(par.pending)),
		out: make([][]action, n), decoded: make([]chan struct{}, n), done: make([]chan struct{}, n)}
	par.pending, par.raw = nil, nil
	// Each ticket's events go to the shard its stream's key picks; the key
	// of an event handed over prepared was computed where it was, so this
	// goroutine does not read the event's bytes.
	for i := range b.events {
		if b.raw[i].hint < 0 {
			b.shard[i] = shardOf(&b.events[i], n)
		}
	}
	for s := range b.done {
		b.decoded[s], b.done[s] = make(chan struct{}), make(chan struct{})
	}
	before := par.unchecked
	par.unchecked = b
	par.run(v, b, before)
	par.inflight = append(par.inflight, b)
}

// run starts each shard's next run: decode its part of b (nil: none),
// then check its part of before (nil: none).
func (par *parallel) run(v *Verifier, b, before *shardBatch) {
	n := len(v.shards)
	for s, c := range v.shards {
		prev, done := par.last[s], make(chan struct{})
		par.last[s] = done
		go func() {
			defer close(done)
			if prev != nil {
				<-prev
			}
			if b != nil {
				b.decode(s, n)
			}
			if before != nil {
				before.check(s, c)
			}
		}()
	}
}

// decode prepares the events of b whose hint names shard s.
func (b *shardBatch) decode(s, shards int) {
	defer close(b.decoded[s])
	for i := range b.raw {
		r := &b.raw[i]
		if r.hint != s {
			continue
		}
		p := &b.events[i]
		if r.rec != nil {
			*p = PrepareRecord(*r.rec)
		} else {
			*p = PrepareOwned(r.pos, r.data, nil, r.line)
		}
		b.shard[i] = shardOf(p, shards)
	}
}

// check checks, in order, the events of b that shard s checks, once every
// shard has decoded its part of b: an event whose hint named another shard
// than its stream's was decoded there.
func (b *shardBatch) check(s int, c *ticketChecks) {
	for _, decoded := range b.decoded {
		<-decoded
	}
	for i := range b.events {
		if b.shard[i] == s {
			c.at = i
			c.event(&b.events[i])
		}
	}
	b.out[s], c.out = c.out, nil
	close(b.done[s])
}

// mergeOldest waits for the oldest batch in flight and reports it: each
// event's log checks, then what its ticket's shard found about it.
func (v *Verifier) mergeOldest() {
	par := v.par
	b := par.inflight[0]
	par.inflight[0] = nil
	par.inflight = par.inflight[1:]
	for _, done := range b.done {
		<-done
	}
	next := make([]int, len(b.out))
	for i := range b.events {
		v.applyLog(&b.events[i])
		s := b.shard[i]
		if s < 0 {
			continue
		}
		out := b.out[s]
		j := next[s]
		for j < len(out) && out[j].at == i {
			j++
		}
		v.act(out[next[s]:j])
		next[s] = j
	}
	clear(b.events) // keeps no envelope alive
	clear(b.raw)    // nor any row or line
	par.free = append(par.free, batchSlices{events: b.events[:0], raw: b.raw[:0]})
}

// flush reports every event applied so far. Without shards of their own
// goroutines, Apply has already.
func (v *Verifier) flush() {
	if v.par == nil {
		return
	}
	v.par.dispatch(v)
	if b := v.par.unchecked; b != nil {
		v.par.unchecked = nil
		v.par.run(v, nil, b)
	}
	for len(v.par.inflight) > 0 {
		v.mergeOldest()
	}
}

// finishStreams checks every decision still in progress and reports the
// citations of evidence never recorded. cutShort says the input ended
// before the log a seal covers.
func (v *Verifier) finishStreams() {
	cutShort := false
	for _, s := range v.seals {
		cutShort = cutShort || v.complete && s.valid && s.Size >= v.next
	}
	var out []action
	for _, c := range v.shards {
		c.finishStreams(cutShort)
		out = append(out, c.out...)
		c.out = c.out[:0]
	}
	// Each shard finds these walking its tickets, and a ruling's
	// citations, in map order: reported as found, they came out in another
	// order every run and for every number of shards, and past
	// MaxFindings another choice of them was listed. In log order, then by
	// ticket and finding, they are the same every time
	// (TestVerifyReportsTheEndTheSameEveryRun).
	slices.SortStableFunc(out, func(a, b action) int {
		return cmp.Or(cmp.Compare(a.finding.Position, b.finding.Position), cmp.Compare(a.finding.Ticket, b.finding.Ticket),
			cmp.Compare(a.finding.Check, b.finding.Check), cmp.Compare(a.finding.Message, b.finding.Message), cmp.Compare(a.msg, b.msg))
	})
	v.act(out)
}
