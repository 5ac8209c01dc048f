package globallog

import (
	"context"
	"math"
	"sync"

	"github.com/disputes-ledger/disputes/eventstore"
)

// Pager reads the global log in pages aligned to multiples of its page size
// and decodes each page once for every subscriber that shares it: the read
// models rebuilt side by side read the same pages, so the log is scanned and
// decoded once, not once per read model. It reads ahead in the background, so
// decoding overlaps the consumers' work.
//
// Subscribers read through a Cursor. A cursor may run at most keep-1 pages
// ahead of the slowest open cursor; then it waits. Without that, a fast
// consumer would race ahead, the pages would be evicted before the slow one
// got to them, and it would read and decode them again on its own — twice
// the work exactly when the machine is busiest.
//
// Only full pages are cached; the page at the head of the log is read afresh
// each time, since it is still growing. A Pager is safe for concurrent use.
type Pager struct {
	store eventstore.Store
	size  uint64
	keep  int

	ctx    context.Context // bounds prefetches; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	pages   map[uint64]*chunk // by page index: positions index*size+1 … (index+1)*size
	cursors map[*Cursor]struct{}
	moved   chan struct{} // closed and replaced whenever a cursor moves or closes
}

// Cursor is one reader's place in a Pager.
type Cursor struct {
	p   *Pager
	idx uint64 // the page it reads
}

// Cursor returns a new cursor; Close it when it stops reading, or the other
// cursors will wait for it.
func (p *Pager) Cursor() *Cursor {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := &Cursor{p: p, idx: math.MaxUint64}
	p.cursors[c] = struct{}{}
	return c
}

// Close releases the cursor.
func (c *Cursor) Close() {
	p := c.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.cursors[c]; ok {
		delete(p.cursors, c)
		p.notify()
	}
}

// Read returns the decoded events after position after, up to the end of the
// page that contains after+1, and whether that page was full (more events
// may follow at once); a short page is the head of the log.
func (c *Cursor) Read(ctx context.Context, after uint64) ([]Event, bool, error) {
	sp, full, err := c.p.read(ctx, c, after)
	return sp.events, full, err
}

// notify wakes the cursors waiting for the slowest to move. Called with mu held.
func (p *Pager) notify() {
	close(p.moved)
	p.moved = make(chan struct{})
}

// slowest returns the page index of the slowest cursor. Called with mu held.
func (p *Pager) slowest() uint64 {
	low := uint64(math.MaxUint64)
	for c := range p.cursors {
		low = min(low, c.idx)
	}
	return low
}

// chunk is one page being read or read.
type chunk struct {
	done   chan struct{} // closed when events and err are set
	events []Event
	err    error

	// joined holds every event's bytes followed by '\n', built once and
	// shared: the payload of any run of the page's events is a slice of it.
	joinOnce sync.Once
	joined   []byte
	offsets  []int // offsets[i] is where event i starts; offsets[len(events)] = len(joined)
}

// payload returns the JSON Lines payload of events[i:j], or nil if an event
// of the page cannot be framed.
func (c *chunk) payload(i, j int) []byte {
	c.joinOnce.Do(func() {
		n := 0
		for _, ev := range c.events {
			if !framable(ev.Record.Data) {
				return
			}
			n += len(ev.Record.Data) + 1
		}
		c.joined, c.offsets = make([]byte, 0, n), make([]int, 0, len(c.events)+1)
		for _, ev := range c.events {
			c.offsets = append(c.offsets, len(c.joined))
			c.joined = append(append(c.joined, ev.Record.Data...), '\n')
		}
		c.offsets = append(c.offsets, len(c.joined))
	})
	if c.joined == nil {
		return nil
	}
	return c.joined[c.offsets[i] : c.offsets[j]-1 : c.offsets[j]-1]
}

// span is a run of a page's events as Read returns it.
type span struct {
	events []Event
	c      *chunk
	base   int // index of events[0] in c.events
}

// payload returns the JSON Lines payload of events[i:j].
func (s span) payload(i, j int) []byte {
	if p := s.c.payload(s.base+i, s.base+j); p != nil {
		return p
	}
	return payloadOf(Page{Events: s.events[i:j]})
}

// Default pager sizes.
const (
	DefaultPagerSize = 1024
	DefaultPagerKeep = 8
)

// NewPager returns a pager over store reading size events per page (default
// DefaultPagerSize) and keeping up to keep pages (default DefaultPagerKeep,
// at least 3), which is also how far apart its cursors may drift.
func NewPager(store eventstore.Store, size, keep int) *Pager {
	if size <= 0 {
		size = DefaultPagerSize
	}
	if keep <= 0 {
		keep = DefaultPagerKeep
	}
	keep = max(keep, 3)
	ctx, cancel := context.WithCancel(context.Background())
	return &Pager{store: store, size: uint64(size), keep: keep, ctx: ctx, cancel: cancel,
		pages: map[uint64]*chunk{}, cursors: map[*Cursor]struct{}{}, moved: make(chan struct{})}
}

// Close stops background reads. Cursors keep working without read-ahead.
func (p *Pager) Close() {
	p.cancel()
	p.wg.Wait()
}

func (p *Pager) read(ctx context.Context, cur *Cursor, after uint64) (span, bool, error) {
	idx := after / p.size
	if err := p.advance(ctx, cur, idx); err != nil {
		return span{}, false, err
	}
	c, err := p.get(ctx, idx)
	if err != nil {
		return span{}, false, err
	}
	full := uint64(len(c.events)) == p.size
	if full {
		p.prefetch(idx + 1)
		p.prefetch(idx + 2)
	}
	skip := after - idx*p.size
	if skip >= uint64(len(c.events)) {
		return span{c: c}, full, nil
	}
	return span{events: c.events[skip:], c: c, base: int(skip)}, full, nil
}

// advance moves cur to page idx, first waiting while that is keep-1 or more
// pages ahead of the slowest cursor.
func (p *Pager) advance(ctx context.Context, cur *Cursor, idx uint64) error {
	for {
		p.mu.Lock()
		if cur.idx != idx {
			cur.idx = idx
			p.notify()
			p.evictBehind()
		}
		if low := p.slowest(); idx < low+uint64(p.keep)-1 {
			p.mu.Unlock()
			return nil
		}
		moved := p.moved
		p.mu.Unlock()
		select {
		case <-moved:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// get returns page idx, reading it unless it is cached or being read.
func (p *Pager) get(ctx context.Context, idx uint64) (*chunk, error) {
	p.mu.Lock()
	c, ok := p.pages[idx]
	if !ok {
		c = &chunk{done: make(chan struct{})}
		p.pages[idx] = c
	}
	p.mu.Unlock()
	if !ok {
		p.load(ctx, idx, c)
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c.err != nil {
		return nil, c.err
	}
	return c, nil
}

func (p *Pager) prefetch(idx uint64) {
	p.mu.Lock()
	if _, ok := p.pages[idx]; ok || p.ctx.Err() != nil || idx >= p.slowest()+uint64(p.keep) {
		p.mu.Unlock()
		return
	}
	c := &chunk{done: make(chan struct{})}
	p.pages[idx] = c
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		p.load(p.ctx, idx, c)
	}()
}

// load reads and decodes page idx into c. Failed and short pages are not
// kept: the next reader asks the store again.
func (p *Pager) load(ctx context.Context, idx uint64, c *chunk) {
	recs, err := p.store.ReadAll(ctx, idx*p.size, int(p.size))
	if err == nil {
		c.events = make([]Event, len(recs))
		for i, rec := range recs {
			c.events[i] = decode(rec)
		}
	}
	c.err = err
	p.mu.Lock()
	if err != nil || uint64(len(c.events)) < p.size {
		delete(p.pages, idx)
	} else {
		p.evict()
	}
	p.mu.Unlock()
	close(c.done)
}

// evict drops the oldest finished pages beyond keep. Called with mu held.
func (p *Pager) evict() {
	p.evictBehind()
	for len(p.pages) > p.keep {
		var oldest uint64
		found := false
		for idx, c := range p.pages {
			select {
			case <-c.done:
			default:
				continue // being read
			}
			if !found || idx < oldest {
				oldest, found = idx, true
			}
		}
		if !found {
			return
		}
		delete(p.pages, oldest)
	}
}

// evictBehind drops the finished pages every open cursor has passed.
// Called with mu held.
func (p *Pager) evictBehind() {
	if len(p.cursors) == 0 {
		return
	}
	low := p.slowest()
	for idx, c := range p.pages {
		if idx >= low {
			continue
		}
		select {
		case <-c.done:
			delete(p.pages, idx)
		default:
		}
	}
}
