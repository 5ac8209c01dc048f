package audit

import (
	"fmt"
	"strings"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// ticketChecks checks the tickets of one shard: each ticket's chain, its
// policy addresses and the legality of its decisions. Every event of a
// ticket goes to the same shard, in log order, and a shard's checks depend
// on nothing outside it but the verifier's policies (fixed while events are
// checked), so shards run on their own goroutines. What they find is not
// reported at once but recorded as actions, tagged with the event that
// caused them, which the verifier carries out in log order: the report is
// the same whatever the number of shards.
type ticketChecks struct {
	policies PolicySet
	streams  map[string]*streamState
	// scratch holds the envelopes of the decision being checked, and base
	// the state of a closed ticket it is checked on (decisionBase).
	scratch []events.Envelope
	base    domain.Ticket
	// looked holds a copy of each policy version a decision was checked
	// under (lookup).
	looked map[string]*policy.Policy
	// held is the address of each policy version held, computed once, and
	// lastHeld the one asked for last (heldAddress).
	held     map[string]string
	lastHeld struct{ version, address string }
	// kept holds the strings keep has copied, each under itself.
	kept map[string]string
	// unaddressed counts events that name a version but record no address.
	unaddressed int
	// mismatched and unknown count, per policy version, the events whose
	// address is not the held document's and the events left unchecked for
	// want of the version; the verifier reports each version once.
	mismatched map[string]int
	unknown    map[string]int
	// rulings and appeals count those events.
	rulings, appeals int

	out []action // what the events checked so far found, in order
	at  int      // the index the current event's actions are tagged with

	// last is the ticket of the event checked last, under its stream: a
	// ticket's events mostly come one after another (a bundle, a log whose
	// streams were appended whole, a command's decision), and streams is
	// then looked up once per run of them rather than hashed for every event.
	lastStream string
	last       *streamState

	// spare holds the replays of tickets closed since, with their maps
	// and decision buffers, for the next tickets to open (replayFor):
	// the allocations a ticket's replay needs are then made once per
	// ticket open at a time, not once per ticket. It holds no more than
	// the most tickets open at once, which the replay held anyway.
	spare []*openTicket
}

func newTicketChecks(policies PolicySet) *ticketChecks {
	return &ticketChecks{policies: policies, streams: map[string]*streamState{}}
}

// actionKind says what the verifier does with an action.
type actionKind uint8

const (
	actFail           actionKind = iota // report finding
	actWarn                             // add warning msg
	actUnknownPolicy                    // report finding unless version was reported unknown before
	actPolicyMismatch                   // report finding unless version's document was reported before
)

// action is something a shard found, for the verifier to report in order.
type action struct {
	kind    actionKind
	at      int
	finding Finding
	msg     string
	// version, held and first describe a policy finding: the version, the
	// address of the document held, the address the event recorded.
	version, held, first string
}

func (c *ticketChecks) fail(f Finding) {
	c.out = append(c.out, action{kind: actFail, at: c.at, finding: f})
}

func (c *ticketChecks) warn(format string, args ...any) {
	c.out = append(c.out, action{kind: actWarn, at: c.at, msg: fmt.Sprintf(format, args...)})
}

// event checks a prepared event against the earlier events of its ticket.
func (c *ticketChecks) event(p *Prepared) {
	ref := p.ref
	st := c.stream(ref)
	if p.err != nil {
		c.chainLenient(st, p.pos, ref)
		return
	}
	c.chain(st, p.pos, &p.env, p.line)
	c.checkPolicyHash(st, p.pos, &p.env, p.line)
	c.legality(st, p.pos, &p.env, p.line)
}

// streamState is what the verifier remembers of one ticket, to the end of
// the verification: every ticket of the bundle has one (a million-event
// bundle some 190,000), so its fields are ordered to leave no padding
// between them.
type streamState struct {
	ticket   string
	lastRev  uint64
	lastHash linkHash
	lastPos  uint64
	// open is the replay of a ticket not closed yet, nil before its first
	// event and once the decision that closed it is checked. closed is what
	// is kept of a closed ticket: what the domain needs to refuse anything
	// that follows.
	open   *openTicket
	closed *closedTicket
	// decision holds the events of the decision in progress (one command
	// id), and policy the version of the policy the ticket's last decision
	// was checked under.
	decision []recordedEvent
	policy   string
	// citations are evidence ids a ruling cited that were not on record.
	citations map[string]citation
	seen      bool
	// damaged stops the legality checks after an event that could not be
	// read.
	damaged bool
}

// openTicket is the replay of an open ticket, folded in place (Ticket.Fold)
// up to the last event before the decision in progress: the state that
// decision is decided on. A decision's events are folded into it once the
// decision is checked, so each event is folded once; whether an event
// closes the ticket, which ends its decision at once, the domain says of
// the event alone (domain.Closes), with no state folded ahead of the check.
type openTicket struct {
	before domain.Ticket
	// decision is the buffer the stream's decisions in progress are kept
	// in, handed on with the replay when it is reused.
	decision []recordedEvent
}

// closedTicket is what is kept of a closed ticket: whose it was.
type closedTicket struct {
	id, buyer, merchant string
	resolution          domain.Resolution
}

// decisionBase returns the ticket the decision in progress was decided on,
// for reading only: the replay's own (not a copy of its 500 bytes for every
// decision), or a closed ticket's in c's scratch space, valid until the next
// call.
func (c *ticketChecks) decisionBase(st *streamState) *domain.Ticket {
	switch {
	case st.open != nil:
		return &st.open.before
	case st.closed != nil:
		t := st.closed
		c.base = domain.Ticket{ID: t.id, BuyerID: t.buyer, MerchantID: t.merchant, Status: domain.StatusClosed, Resolution: t.resolution}
	default:
		c.base = domain.Ticket{}
	}
	return &c.base
}

// replayFor gives st a replay to fold its first event into: a spare one,
// emptied, or a new one.
func (c *ticketChecks) replayFor(st *streamState) {
	n := len(c.spare)
	if n == 0 {
		st.open = new(openTicket)
		return
	}
	o := c.spare[n-1]
	c.spare[n-1] = nil
	c.spare = c.spare[:n-1]
	o.before.Reuse()
	clear(o.decision) // let go of the last ticket's events
	o.decision = o.decision[:0]
	st.open = o
}

// release keeps the replay of a ticket whose last decision is checked for
// another ticket. Nothing else holds it: the decision's events were copied
// out of its buffer (judge), and Decide keeps nothing of a ticket.
func (c *ticketChecks) release(st *streamState) {
	o := st.open
	st.open = nil
	if o == nil {
		return
	}
	o.decision = st.decision[:0]
	st.decision = nil
	c.spare = append(c.spare, o)
}

// keep returns a copy of s that is not a window on an event's bytes, one
// per distinct string for the whole shard: for the strings many tickets
// remember to the end (their merchant, their policy version), of which a
// bundle holds few.
func (c *ticketChecks) keep(s string) string {
	if k, ok := c.kept[s]; ok {
		return k
	}
	if c.kept == nil {
		c.kept = map[string]string{}
	}
	k := strings.Clone(s)
	c.kept[k] = k
	return k
}

// decided folds a checked decision's events into the state decisions are
// decided on, which then is the state after the decision; a ticket the
// decision closed keeps only whose it was, and its replay is released for
// another ticket.
func (c *ticketChecks) decided(st *streamState, rec []recordedEvent) {
	if st.open == nil {
		return // closed before this decision: what follows a close changes nothing
	}
	t := &st.open.before
	for i := range rec {
		t.Fold(rec[i].env)
	}
	if !t.Closed() {
		return
	}
	// Copies: the strings are windows on the events' decoded bytes, which a
	// closed ticket, remembered to the end, would keep alive. The ticket's
	// id is nearly always its stream's, which st holds already, and its
	// merchant one of a few the shard keeps once.
	id := st.ticket
	if t.ID != id {
		id = strings.Clone(t.ID)
	}
	st.closed = &closedTicket{id: id, buyer: strings.Clone(t.BuyerID),
		merchant: c.keep(t.MerchantID), resolution: t.Resolution}
	c.release(st)
}

type citation struct {
	pos, rev uint64
	line     int
}

func (c *ticketChecks) stream(ref eventRef) *streamState {
	if c.last != nil && ref.stream == c.lastStream {
		return c.last
	}
	st, ok := c.streams[ref.stream]
	if !ok {
		// The stream's name and ticket id are copied out of the event's
		// decoded bytes, which every ticket's entry would otherwise keep
		// alive to the end of the verification.
		stream := strings.Clone(ref.stream)
		st = &streamState{ticket: stream[len(stream)-len(ref.ticket):]}
		c.streams[stream] = st
	}
	c.lastStream, c.last = ref.stream, st
	return st
}

// chain checks the event's link to the previous event of its stream.
func (c *ticketChecks) chain(st *streamState, pos uint64, env *events.Envelope, line int) {
	var problems []string
	switch {
	case !st.seen && env.Revision != 0:
		problems = append(problems, fmt.Sprintf("the stream's first event has revision %d, not 0", env.Revision))
	case !st.seen && env.PrevHash != "":
		problems = append(problems, "the stream's first event links to a previous event")
	case st.seen:
		if env.Revision != st.lastRev+1 {
			problems = append(problems, fmt.Sprintf("revision %d follows revision %d (position %d)", env.Revision, st.lastRev, st.lastPos))
		}
		if !st.lastHash.is(env.PrevHash) {
			problems = append(problems, fmt.Sprintf("prev_hash %s is not the hash %s of the previous event (position %d)", short(env.PrevHash), short(st.lastHash.String()), st.lastPos))
		}
	}
	if len(problems) > 0 {
		rev := env.Revision
		c.fail(Finding{Check: CheckChain, Position: pos, Ticket: st.ticket, Revision: &rev, Line: line, Message: strings.Join(problems, "; ")})
	}
	st.seen, st.lastRev, st.lastPos = true, env.Revision, pos
	st.lastHash.set(env.Hash)
}

// chainLenient keeps the chain going past an event that does not verify, so
// that only that event is reported, and stops the legality checks of its
// ticket, whose replay would now be guesswork.
func (c *ticketChecks) chainLenient(st *streamState, pos uint64, ref eventRef) {
	if !st.damaged {
		c.warn("ticket %s: legality checks stop at position %d, whose event could not be read", st.ticket, pos)
	}
	st.damaged = true
	st.decision = nil // incomplete: its unreadable event may have been part of it
	st.open = nil     // no decision of this ticket is checked any more
	if ref.hasRevision {
		st.seen, st.lastRev, st.lastPos = true, ref.revision, pos
		st.lastHash.set(ref.hash)
	}
}

// linkHash is the hash of a stream's last event, which its next event must
// link to, held by value: the event's Hash is a window on its decoded
// bytes, and a string kept for every ticket to the end of the verification
// would keep every ticket's last event alive with it.
type linkHash struct {
	hex [64]byte // a hex SHA-256, or any hash no longer than one
	n   uint8
	// long is a longer hash, read leniently from an event that did not
	// decode, as a copy of its own.
	long string
}

func (h *linkHash) set(s string) {
	if len(s) <= len(h.hex) {
		h.n, h.long = uint8(copy(h.hex[:], s)), ""
		return
	}
	h.n, h.long = 0, strings.Clone(s)
}

// is reports whether the hash is s, without allocating.
func (h *linkHash) is(s string) bool {
	if h.long != "" {
		return s == h.long
	}
	return s == string(h.hex[:h.n])
}

func (h *linkHash) String() string {
	if h.long != "" {
		return h.long
	}
	return string(h.hex[:h.n])
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	if h == "" {
		return `""`
	}
	return h
}
