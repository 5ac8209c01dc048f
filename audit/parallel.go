package audit

// parallelBatch is how many events are handed to the shards at a time, and
// parallelDepth how many such batches may be in flight before Apply waits
// for the oldest: enough slack that a shard held up by a GC pause or the
// scheduler does not stall the others.
const (
	parallelBatch = 512
	parallelDepth = 8
)

// parallel runs a Verifier's ticket shards on their own goroutines. Apply
// collects events into a batch; a full batch goes to one goroutine per
// shard, each checking, in order, the batch's events of its tickets; the
// Verifier then applies the batch's log checks and carries out the shards'
// actions event by event, in log order, exactly as one goroutine would
// have (flush). Every other call on the Verifier flushes first.
type parallel struct {
	pending  []Prepared
	inflight []*shardBatch // oldest first
	// last is, per shard, the done channel of its newest run: a shard's
	// run of the next batch waits for it, so one shard's tickets are only
	// ever touched by one goroutine at a time, in order.
	last []chan struct{}
	// free holds the event slices of merged batches, for reuse.
	free [][]Prepared
}

// shardBatch is a batch of events in the shards' hands.
type shardBatch struct {
	events []Prepared
	shard  []int      // the shard of each event, -1 for none
	out    [][]action // per shard, what it found
	done   []chan struct{}
}

func newParallel(shards int) *parallel {
	return &parallel{last: make([]chan struct{}, shards)}
}

// add queues p, handing a full batch to the shards.
func (par *parallel) add(v *Verifier, p *Prepared) {
	if par.pending == nil {
		if n := len(par.free); n > 0 {
			par.pending, par.free = par.free[n-1], par.free[:n-1]
		} else {
			par.pending = make([]Prepared, 0, parallelBatch)
		}
	}
	par.pending = append(par.pending, *p)
	if len(par.pending) < parallelBatch {
		return
	}
	par.dispatch(v)
	if len(par.inflight) > parallelDepth {
		v.mergeOldest()
	}
}

// dispatch hands the pending events to one goroutine per shard.
func (par *parallel) dispatch(v *Verifier) {
	if len(par.pending) == 0 {
		return
	}
	n := len(v.shards)
	b := &shardBatch{events: par.pending, shard: make([]int, len(par.pending)),
		out: make([][]action, n), done: make([]chan struct{}, n)}
	par.pending = nil
	// Each ticket's events go to the shard its stream's key picks; the key
	// was computed where the event was prepared, so this goroutine does not
	// read the event's bytes.
	for i := range b.events {
		ref := &b.events[i].ref
		if ref.stream == "" {
			b.shard[i] = -1
			continue
		}
		b.shard[i] = int(ref.key % uint64(n))
	}
	for s, c := range v.shards {
		prev, done := par.last[s], make(chan struct{})
		b.done[s], par.last[s] = done, done
		go func() {
			defer close(done)
			if prev != nil {
				<-prev
			}
			for i := range b.events {
				if b.shard[i] == s {
					c.at = i
					c.event(&b.events[i])
				}
			}
			b.out[s], c.out = c.out, nil
		}()
	}
	par.inflight = append(par.inflight, b)
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
	par.free = append(par.free, b.events[:0])
}

// flush reports every event applied so far. Without shards of their own
// goroutines, Apply has already.
func (v *Verifier) flush() {
	if v.par == nil {
		return
	}
	v.par.dispatch(v)
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
	for _, c := range v.shards {
		c.finishStreams(cutShort)
		v.act(c.out)
		c.out = c.out[:0]
	}
}
