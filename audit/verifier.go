package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"

	"github.com/disputes-ledger/disputes/audit/checkpoint"
	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// DefaultMaxFindings is how many findings a report lists by default; the
// rest are counted.
const DefaultMaxFindings = 1000

// Options configure a Verifier.
type Options struct {
	// PublicKey is the seal key the auditor trusts, obtained out of band
	// (`disputes keys` prints it and its fingerprint). When nil, the key the
	// source carries is used and the report says it was not pinned: a
	// forger who re-signs every seal would also replace that key.
	PublicKey ed25519.PublicKey
	// KeyID pins the key by fingerprint (seal.KeyID) instead: the key the
	// source carries is used only if its fingerprint is KeyID. Ignored when
	// PublicKey is set.
	KeyID string
	// Policies are policy versions known besides those the source carries.
	Policies PolicySet
	// MaxFindings caps the findings listed; 0 means DefaultMaxFindings and
	// a negative value lists all.
	MaxFindings int
	// TrustOnFirstUse accepts the key the source carries when the auditor
	// pinned none. Without it, an unpinned verification fails with
	// CheckKeyNotPinned: a forger who re-signs every seal would also
	// replace the key.
	TrustOnFirstUse bool
	// TrustedCheckpoint is the newest signed checkpoint (package
	// checkpoint) the auditor holds, received from the ledger, a witness or
	// a monitor. The source must be consistent with it: not shorter
	// (CheckRollback), with the seal it was made from (CheckSealMissing),
	// with the same root at its size (CheckFork), and signed by the seal
	// key (CheckCheckpointSignature).
	TrustedCheckpoint []byte
	// AllowUnsealed makes a source without seals a warning instead of a
	// CheckSealMissing finding. It is for checking the rulings of a log
	// that was never sealed (tests, drafts); `disputes verify` has no flag
	// for it.
	AllowUnsealed bool
	// Workers is how many goroutines check tickets (chains, policy
	// addresses, legality), each ticket always on the same one: 0 means
	// one per core (GOMAXPROCS), 1 checks every event on the goroutine that
	// applies it. The report is the same whatever the number.
	Workers int
}

// InclusionProof proves an event is leaf Position-1 of the log sealed at
// size Seal.
type InclusionProof struct {
	Seal   uint64        `json:"seal"`
	Hashes []merkle.Hash `json:"hashes"`
}

// Verifier checks a log, or part of one, event by event in position order.
// Give it the key, policies, seals and consistency proofs first, then every
// event, then call Finish. In complete mode the events must be the whole log
// from position 1 and seal roots are recomputed; otherwise every sealed event
// must come with an inclusion proof. A Verifier is not safe for concurrent
// use.
type Verifier struct {
	opts     Options
	report   Report
	complete bool

	key      ed25519.PublicKey
	policies PolicySet

	seals       []sealEntry
	consistency map[[2]uint64]consistencyEntry
	started     bool
	latest      *sealEntry // largest seal whose signature verified

	// complete mode: the tree of the events so far.
	frontier merkle.Frontier
	next     uint64 // the position expected next
	gapFrom  uint64 // first position found missing or out of order, 0 if none
	sealIdx  int    // next seal whose root is due
	goodSize uint64 // largest seal size whose root matched
	unsealed int    // events after the latest verified seal
	finished bool

	// shards check the tickets (tickets.go), each ticket in the shard
	// shardOf gives it; par runs them on their own goroutines (parallel.go).
	shards []*ticketChecks
	par    *parallel
	// unknown and mismatched are the policy versions reported missing or
	// not as the events recorded them, each reported once.
	unknown    map[string]*unknownPolicy
	mismatched map[string]*policyMismatch

	// trusted is the auditor's checkpoint once its signature verified.
	trusted          *checkpoint.Checkpoint
	trustedReached   bool // the log's root at its size was compared
	trustedNeedsSeal bool // no seal at or after its size
}

type sealEntry struct {
	seal.Seal
	line  int
	valid bool // signature verified
}

type consistencyEntry struct {
	proof []merkle.Hash
	line  int
}

type unknownPolicy struct {
	finding int // index into report.Findings, -1 if not listed
}

// NewVerifier returns a verifier of source (a file name or a ledger path,
// for the report) whose events cover scope.
func NewVerifier(source, scope string, complete bool, opts Options) *Verifier {
	if opts.MaxFindings == 0 {
		opts.MaxFindings = DefaultMaxFindings
	}
	v := &Verifier{
		opts:        opts,
		complete:    complete,
		policies:    PolicySet{},
		consistency: map[[2]uint64]consistencyEntry{},
		next:        1,
		unknown:     map[string]*unknownPolicy{},
		mismatched:  map[string]*policyMismatch{},
		report: Report{Source: source, Scope: scope, Complete: complete, Counts: map[Check]int{},
			Findings: []Finding{}, Warnings: []string{}},
	}
	for _, p := range opts.Policies {
		v.policies[p.Version] = p
	}
	workers := opts.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	for range max(workers, 1) {
		v.shards = append(v.shards, newTicketChecks(v.policies))
	}
	if workers > 1 {
		v.par = newParallel(len(v.shards))
	}
	switch {
	case opts.PublicKey != nil:
		v.key = opts.PublicKey
		v.report.KeyID, v.report.KeyPinned = seal.KeyID(opts.PublicKey), true
	case opts.KeyID != "":
		v.report.KeyID = opts.KeyID
	}
	return v
}

// Fail records a finding the caller made (a malformed bundle line, say),
// after every finding of the events applied before it.
func (v *Verifier) Fail(f Finding) {
	v.flush()
	v.fail(f)
}

func (v *Verifier) fail(f Finding) {
	v.report.Counts[f.Check]++
	if v.opts.MaxFindings >= 0 && len(v.report.Findings) >= v.opts.MaxFindings {
		v.report.Omitted++
		return
	}
	v.report.Findings = append(v.report.Findings, f)
}

// Warn records a limit of the verification that is not a failure.
func (v *Verifier) Warn(format string, args ...any) {
	v.flush()
	v.warn(format, args...)
}

func (v *Verifier) warn(format string, args ...any) {
	v.report.Warnings = append(v.report.Warnings, fmt.Sprintf(format, args...))
}

// SetPublicKey gives the key the source carries. If the auditor pinned
// another key, that is a finding and the pinned key stays in use.
func (v *Verifier) SetPublicKey(pub ed25519.PublicKey, line int) {
	v.flush()
	if v.opts.PublicKey != nil {
		if !bytes.Equal(pub, v.opts.PublicKey) {
			v.fail(Finding{Check: CheckPublicKey, Line: line, Message: fmt.Sprintf(
				"the source carries key %s, not the pinned key %s; seals are verified with the pinned key", seal.KeyID(pub), v.report.KeyID)})
		}
		return
	}
	if v.opts.KeyID != "" {
		if got := seal.KeyID(pub); got != v.opts.KeyID {
			v.fail(Finding{Check: CheckPublicKey, Line: line, Message: fmt.Sprintf(
				"the source carries key %s, not the pinned key %s: seals cannot be verified", got, v.opts.KeyID)})
			return
		}
		v.key, v.report.KeyID, v.report.KeyPinned = pub, v.opts.KeyID, true
		return
	}
	v.key = pub
	v.report.KeyID = seal.KeyID(pub)
	v.warn("seal key not pinned: trusting the key the source carries, %s; compare it with the fingerprint `disputes keys` prints on the ledger's side, then pin it (--key-id %s)", v.report.KeyID, v.report.KeyID)
}

// AddPolicy makes a policy version known.
func (v *Verifier) AddPolicy(p policy.Policy) {
	v.flush()
	v.policies[p.Version] = p
	for _, c := range v.shards {
		c.forgetHeld(p.Version)
	}
}

// AddSeal adds a seal; its signature is checked at once.
func (v *Verifier) AddSeal(s seal.Seal, line int) {
	v.flush()
	v.seals = append(v.seals, sealEntry{Seal: s, line: line})
}

// AddConsistency adds a proof that the seal of size from is a prefix of the
// seal of size to.
func (v *Verifier) AddConsistency(from, to uint64, proof []merkle.Hash, line int) {
	v.flush()
	v.consistency[[2]uint64{from, to}] = consistencyEntry{proof: proof, line: line}
}

// start checks the seals and their consistency, once, before the first event.
func (v *Verifier) start() {
	if v.started {
		return
	}
	v.started = true
	slices.SortStableFunc(v.seals, func(a, b sealEntry) int {
		switch {
		case a.Size < b.Size:
			return -1
		case a.Size > b.Size:
			return 1
		}
		return 0
	})
	v.report.Seals = len(v.seals)
	for i := range v.seals {
		s := &v.seals[i]
		if v.key == nil {
			v.fail(Finding{Check: CheckSealSignature, Seal: s.Size, Line: s.line, Message: fmt.Sprintf("seal of size %d: no public key to verify it with", s.Size)})
			continue
		}
		if err := s.Verify(v.key); err != nil {
			v.fail(Finding{Check: CheckSealSignature, Seal: s.Size, Line: s.line, Message: fmt.Sprintf("seal of size %d sealed at %s: %v", s.Size, s.SealedAt.Format("2006-01-02T15:04:05Z07:00"), err)})
			continue
		}
		s.valid = true
		v.latest = s
		v.report.SealedSize = s.Size
	}
	v.checkConsistency()
	v.checkTrust()
	if len(v.seals) == 0 && v.opts.AllowUnsealed {
		v.warn("no seals: chains and rulings are checked, but nothing proves the log was not rewritten whole")
	}
}

// checkConsistency checks that consecutive valid seals agree: equal sizes
// must have equal roots, and each proof given must verify. Without the whole
// log, a proof is required between every two consecutive seals.
func (v *Verifier) checkConsistency() {
	var prev *sealEntry
	for i := range v.seals {
		s := &v.seals[i]
		if !s.valid {
			continue
		}
		if prev != nil {
			switch {
			case prev.Size == s.Size && prev.Root != s.Root:
				v.fail(Finding{Check: CheckSealConsistency, Seal: s.Size, Line: s.line, Message: fmt.Sprintf(
					"two seals of size %d sign different roots %s and %s: the log was forked", s.Size, prev.Root, s.Root)})
			case prev.Size < s.Size:
				v.checkProof(prev, s)
			}
		}
		prev = s
	}
}

func (v *Verifier) checkProof(from, to *sealEntry) {
	c, ok := v.consistency[[2]uint64{from.Size, to.Size}]
	if !ok {
		if !v.complete {
			v.fail(Finding{Check: CheckSealConsistency, Seal: to.Size, Line: to.line, Message: fmt.Sprintf(
				"no consistency proof from the seal of size %d to the seal of size %d", from.Size, to.Size)})
		}
		return
	}
	if err := merkle.VerifyConsistency(from.Size, to.Size, from.Root, to.Root, c.proof); err != nil {
		v.fail(Finding{Check: CheckSealConsistency, Seal: to.Size, Line: c.line, Message: fmt.Sprintf(
			"the proof given does not show the seal of size %d extends the seal of size %d (the seals fork, or the log the proof was computed from is not the log that was sealed): %v", to.Size, from.Size, err)})
	}
}

// Event checks the event at global position pos, whose stored bytes are
// data. proof is its inclusion proof, needed only in partial mode.
func (v *Verifier) Event(pos uint64, data []byte, proof *InclusionProof, line int) {
	p := Prepare(pos, data, proof, line)
	v.Apply(&p)
}

// Prepared is an event decoded, its hash checked and its leaf computed: the
// part of checking an event that depends on nothing else, done by Prepare
// (safe for concurrent use, so callers may spread it over cores) before
// Apply checks it against everything before it.
type Prepared struct {
	pos   uint64
	line  int
	proof *InclusionProof
	env   events.Envelope
	err   error // from events.Decode
	ref   eventRef
	leaf  merkle.Hash
	// leafErr is set when data has no readable hash member; leaf is then a
	// stand-in that cannot match any sealed leaf.
	leafErr error
	// columnsErr is set when the ledger's columns disagree with the bytes.
	columnsErr error
}

// Prepare decodes and hashes the event at pos. It keeps no reference to
// data after it returns.
func Prepare(pos uint64, data []byte, proof *InclusionProof, line int) Prepared {
	return prepare(pos, data, proof, line, events.Decode)
}

// PrepareOwned is Prepare for a caller that hands data over: the event is
// decoded in place (events.DecodeOwned), so the Prepared, and what the
// Verifier keeps of it (a ticket's replay, the report's names), may refer
// to data, which nobody may modify afterwards. It saves copying every
// event's bytes once more, which decoding them otherwise does.
func PrepareOwned(pos uint64, data []byte, proof *InclusionProof, line int) Prepared {
	return prepare(pos, data, proof, line, events.DecodeOwned)
}

func prepare(pos uint64, data []byte, proof *InclusionProof, line int, decode func([]byte) (events.Envelope, error)) Prepared {
	p := Prepared{pos: pos, line: line, proof: proof}
	p.env, p.err = decode(data)
	if p.err != nil {
		p.ref = lenientRef(data)
		p.ref.key = streamKey(p.ref.stream)
		if p.leaf, p.leafErr = LeafOf(data); p.leafErr != nil {
			p.leaf = merkle.LeafHash(data)
		}
		return p
	}
	p.ref = eventRef{stream: p.env.Stream, ticket: events.TicketOf(p.env.Stream), revision: p.env.Revision, hasRevision: true, hash: p.env.Hash,
		key: streamKey(p.env.Stream)}
	p.leaf, p.leafErr = LeafHash(p.env.Hash)
	return p
}

// Apply checks a prepared event. Events must be applied in position order.
// With Options.Workers above 1 the event's ticket checks run on another
// goroutine, and what they find is reported, in order, before anything
// else the Verifier is told or asked next. Apply copies *p once, where
// the checks read it, so the caller may reuse *p when Apply returns (a
// Prepared is some 400 bytes: copied by value on every call on its way to
// a shard's batch, it was copied three or four times per event).
func (v *Verifier) Apply(p *Prepared) {
	v.start()
	if v.par != nil {
		v.par.add(v, p)
		return
	}
	c := v.shards[0]
	v.applyLog(p)
	if p.ref.stream != "" {
		c.event(p)
	}
	v.act(c.out)
	c.out = c.out[:0]
}

// RouteHint names the ticket shard an event handed over undecoded is most
// likely checked on (ApplyOwned): a hash of the stream its row or its bytes
// name. It is never trusted: each event is checked on the shard of the
// stream it decodes to, and a wrong hint only makes its shard read it from
// another core.
type RouteHint uint64

// StreamHint is the hint of an event whose row names stream.
func StreamHint(stream string) RouteHint { return RouteHint(streamKey(stream)) }

// HintOf is the hint of an event's stored bytes: the stream they name, as
// written (the first "stream" member's text up to its closing quote; 0 when
// there is none), read without decoding them.
func HintOf(data []byte) RouteHint {
	const member = `"stream":"`
	i := bytes.Index(data[:min(len(data), 128)], []byte(member))
	if i < 0 {
		return 0
	}
	rest := data[i+len(member):]
	end := bytes.IndexByte(rest[:min(len(rest), 256)], '"')
	if end < 0 {
		return 0
	}
	return RouteHint(maphash.Bytes(streamSeed, rest[:end]))
}

// ApplyOwned is Apply(PrepareOwned(pos, data, nil, line)) with the event
// decoded on the goroutine that checks its ticket, which hint names most of
// the time, rather than on the caller's: the same checks, the same report,
// and the event's bytes and its decoded envelope read on the core that
// wrote them. data is handed over as to PrepareOwned: nobody may modify it
// afterwards.
func (v *Verifier) ApplyOwned(pos uint64, data []byte, line int, hint RouteHint) {
	v.applyRaw(rawEvent{pos: pos, data: data, line: line}, hint)
}

// applyRecord is ApplyOwned for a ledger's row, whose columns are checked
// (PrepareRecord). rec is not changed, and kept until it is checked.
func (v *Verifier) applyRecord(rec *eventstore.RecordedEvent, hint RouteHint) {
	v.applyRaw(rawEvent{pos: rec.Position, data: rec.Data, rec: rec}, hint)
}

func (v *Verifier) applyRaw(r rawEvent, hint RouteHint) {
	v.start()
	if v.par != nil {
		v.par.addRaw(v, r, hint)
		return
	}
	var p Prepared
	if r.rec != nil {
		p = PrepareRecord(*r.rec)
	} else {
		p = PrepareOwned(r.pos, r.data, nil, r.line)
	}
	v.Apply(&p)
}

// applyLog checks what a prepared event says about the log as a whole:
// that it verifies, its columns, its position, the tree and the seals.
func (v *Verifier) applyLog(p *Prepared) {
	v.report.Events++
	v.report.LastPosition = max(v.report.LastPosition, p.pos)
	pos, line, ref := p.pos, p.line, p.ref
	if p.err != nil {
		v.fail(Finding{Check: CheckEventHash, Position: pos, Ticket: ref.ticket, Revision: ref.revisionPtr(), Line: line,
			Message: fmt.Sprintf("event does not verify: %v", p.err)})
	}
	if ce := corruptColumns(p.columnsErr); ce != nil {
		v.fail(Finding{Check: CheckColumnMismatch, Position: pos, Ticket: ref.ticket, Revision: ref.revisionPtr(), Line: line,
			Message: fmt.Sprintf("the ledger stores this event under columns its signed bytes contradict (%s), so the application reads it as something it is not", ce.Reason)})
	}
	if v.complete {
		v.logEvent(p)
	} else {
		v.provenEvent(p)
	}
}

// corruptColumns returns the CorruptError in err, if any. Most events
// have none: the target errors.As needs is then not allocated for them.
func corruptColumns(err error) *eventstore.CorruptError {
	if err == nil {
		return nil
	}
	var ce *eventstore.CorruptError
	if !errors.As(err, &ce) {
		return nil
	}
	return ce
}

// act carries out what the ticket checks found, in order.
func (v *Verifier) act(out []action) {
	for i := range out {
		a := &out[i]
		switch a.kind {
		case actFail:
			v.fail(a.finding)
		case actWarn:
			v.report.Warnings = append(v.report.Warnings, a.msg)
		case actUnknownPolicy:
			if _, seen := v.unknown[a.version]; seen {
				continue
			}
			u := &unknownPolicy{finding: -1}
			v.unknown[a.version] = u
			if v.opts.MaxFindings < 0 || len(v.report.Findings) < v.opts.MaxFindings {
				u.finding = len(v.report.Findings)
			}
			v.fail(a.finding)
		case actPolicyMismatch:
			v.policyMismatchFound(*a)
		}
	}
}

// logEvent adds the event to the recomputed tree and checks every seal the
// log has now reached.
func (v *Verifier) logEvent(p *Prepared) {
	pos, ref, line := p.pos, p.ref, p.line
	switch {
	case pos > v.next:
		v.fail(Finding{Check: CheckLogGap, Position: v.next, Line: line, Message: gapMessage(v.next, pos-1)})
		if v.gapFrom == 0 {
			v.gapFrom = v.next
		}
	case pos < v.next:
		v.fail(Finding{Check: CheckLogOrder, Position: pos, Ticket: ref.ticket, Revision: ref.revisionPtr(), Line: line,
			Message: fmt.Sprintf("position %d comes after position %d", pos, v.next-1)})
		if v.gapFrom == 0 {
			v.gapFrom = pos
		}
	}
	v.next = max(v.next, pos+1)
	v.frontier.Append(p.leaf)
	v.trustedRoot(pos)
	if v.latest == nil || pos > v.latest.Size {
		v.unsealed++
	}
	for v.sealIdx < len(v.seals) && v.seals[v.sealIdx].Size <= pos {
		v.checkRoot(&v.seals[v.sealIdx], pos)
		v.sealIdx++
	}
}

func gapMessage(from, to uint64) string {
	if from == to {
		return fmt.Sprintf("position %d is missing from the log", from)
	}
	return fmt.Sprintf("positions %d..%d are missing from the log", from, to)
}

// checkRoot compares a seal's root with the recomputed root of the log's
// first s.Size events. pos is the position just read.
func (v *Verifier) checkRoot(s *sealEntry, pos uint64) {
	if !s.valid {
		return
	}
	if v.gapFrom != 0 && v.gapFrom <= s.Size {
		v.fail(Finding{Check: CheckSealRoot, Position: s.Size, Seal: s.Size, Line: s.line, Message: fmt.Sprintf(
			"the log under the seal of size %d is not intact from position %d on, so its signed root %s cannot be recomputed", s.Size, v.gapFrom, s.Root)})
		return
	}
	if v.frontier.Size() != s.Size || pos != s.Size {
		v.fail(Finding{Check: CheckSealRoot, Position: s.Size, Seal: s.Size, Line: s.line, Message: fmt.Sprintf(
			"the seal of size %d covers position %d, which is not in the log", s.Size, s.Size)})
		return
	}
	if root := v.frontier.Root(); root != s.Root {
		v.fail(Finding{Check: CheckSealRoot, Position: s.Size, Seal: s.Size, Line: s.line, Message: fmt.Sprintf(
			"the log's positions 1..%d have root %s, the seal signed %s: an event in positions %d..%d was altered, removed, added or moved",
			s.Size, root, s.Root, v.goodSize+1, s.Size)})
		return
	}
	v.goodSize = s.Size
}

// provenEvent checks an event of a partial bundle against its inclusion proof.
func (v *Verifier) provenEvent(p *Prepared) {
	pos, proof, ref, line := p.pos, p.proof, p.ref, p.line
	if pos < v.next {
		v.fail(Finding{Check: CheckLogOrder, Position: pos, Ticket: ref.ticket, Revision: ref.revisionPtr(), Line: line,
			Message: fmt.Sprintf("position %d comes after position %d", pos, v.next-1)})
	}
	v.next = max(v.next, pos+1)
	if proof == nil {
		if v.latest != nil && pos <= v.latest.Size {
			v.fail(Finding{Check: CheckInclusion, Position: pos, Ticket: ref.ticket, Revision: ref.revisionPtr(), Line: line,
				Message: fmt.Sprintf("no inclusion proof, though the seal of size %d covers position %d", v.latest.Size, pos)})
		} else {
			v.unsealed++
		}
		return
	}
	fail := func(msg string) {
		v.fail(Finding{Check: CheckInclusion, Position: pos, Ticket: ref.ticket, Revision: ref.revisionPtr(), Seal: proof.Seal, Line: line, Message: msg})
	}
	var s *sealEntry
	for i := range v.seals {
		if v.seals[i].Size == proof.Seal && v.seals[i].valid {
			s = &v.seals[i]
		}
	}
	if s == nil {
		fail(fmt.Sprintf("proof against a seal of size %d, which the source does not carry with a valid signature", proof.Seal))
		return
	}
	if pos == 0 {
		fail("position 0 is not a log position")
		return
	}
	if p.leafErr != nil {
		fail(fmt.Sprintf("no leaf to prove: %v", p.leafErr))
		return
	}
	if err := merkle.VerifyInclusion(p.leaf, pos-1, s.Size, proof.Hashes, s.Root); err != nil {
		fail(fmt.Sprintf("event is not at position %d of the log sealed at size %d: %v", pos, s.Size, err))
	}
}

// eventRef is where an event claims to be, read strictly or, for an event
// that does not verify, leniently.
type eventRef struct {
	stream, ticket string
	revision       uint64
	hasRevision    bool
	hash           string
	// key is the stream's hash (streamKey), computed where the event is
	// prepared, whose core has just read its bytes: the verifier picks
	// the event's shard by it without reading them again.
	key uint64
}

// streamSeed seeds streamKey for the process.
var streamSeed = maphash.MakeSeed()

// streamKey hashes a stream name, for picking its shard.
func streamKey(stream string) uint64 { return maphash.String(streamSeed, stream) }

func (r eventRef) revisionPtr() *uint64 {
	if !r.hasRevision {
		return nil
	}
	rev := r.revision
	return &rev
}

// lenientRef reads stream, revision and hash from bytes that failed strict
// decoding, to name the ticket in the finding and keep the chain going.
func lenientRef(data []byte) eventRef {
	var probe struct {
		Stream   string  `json:"stream"`
		Revision *uint64 `json:"revision"`
		Hash     string  `json:"hash"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return eventRef{}
	}
	r := eventRef{stream: probe.Stream, ticket: events.TicketOf(probe.Stream), hash: probe.Hash}
	if probe.Revision != nil {
		r.revision, r.hasRevision = *probe.Revision, true
	}
	return r
}

// Finish completes the checks that need the whole input and returns the
// report. Call it once.
func (v *Verifier) Finish() *Report {
	v.start()
	v.flush()
	if v.finished {
		return &v.report
	}
	v.finished = true
	if v.complete {
		for ; v.sealIdx < len(v.seals); v.sealIdx++ {
			s := &v.seals[v.sealIdx]
			if s.valid {
				v.fail(Finding{Check: CheckSealRoot, Position: s.Size, Seal: s.Size, Line: s.line, Message: fmt.Sprintf(
					"the seal of size %d covers positions 1..%d, but the log ends at position %d: events were removed or withheld", s.Size, s.Size, v.next-1)})
			}
		}
	}
	v.finishStreams()
	v.finishPolicyHashes()
	for ver, u := range v.unknown {
		if u.finding < 0 {
			continue
		}
		n := 0
		for _, c := range v.shards {
			n += c.unknown[ver]
		}
		v.report.Findings[u.finding].Message = fmt.Sprintf(
			"policy version %q is not known to the verifier: the deadlines and terms of %d event(s) could not be checked", ver, n)
	}
	if v.unsealed > 0 {
		if v.latest == nil {
			v.warn("%d event(s) are not covered by any verified seal", v.unsealed)
		} else {
			v.warn("%d event(s) after position %d are not covered by the latest seal: their chains are checked, but no seal protects them yet", v.unsealed, v.latest.Size)
		}
	}
	v.finishTrust()
	for _, c := range v.shards {
		v.report.Tickets += len(c.streams)
		v.report.Rulings += c.rulings
		v.report.Appeals += c.appeals
	}
	v.report.Policies = v.policies.Versions()
	v.report.sortFindings()
	return &v.report
}
