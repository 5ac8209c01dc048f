package bundle

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/domain/policy"
)

// Verify reads a bundle from r and verifies it under opts; name is the
// bundle's name in the report. The error is for failures to read r; every
// problem with the bundle's content is a finding in the report.
//
// Lines are read on another goroutine, which also reads where each event
// line's event is and the stream its bytes name (audit.HintOf); the
// Verifier decodes and hashes each event on the goroutine of its own that
// checks its ticket (Options.Workers, ApplyOwned), and reports in the
// bundle's order.
func Verify(r io.Reader, name string, opts audit.Options) (*audit.Report, error) {
	stop := make(chan struct{})
	defer close(stop)
	batches := readBatches(r, stop)

	var (
		v       *audit.Verifier
		header  Header
		inEvent bool
		events  int
		line    int
	)
	fail := func(msg string, args ...any) {
		v.Fail(audit.Finding{Check: audit.CheckBundleFormat, Line: line, Message: fmt.Sprintf(msg, args...)})
	}
	for b := range batches.ordered {
		if b.err != nil {
			return nil, fmt.Errorf("read bundle %s line %d: %w", name, b.first+len(b.lines), b.err)
		}
		for i, text := range b.lines {
			line = b.first + i
			switch {
			case v != nil && b.events[i].fast:
				// First: an event line in the fast form is never blank,
				// and looking at its text again would read it into this
				// core's cache for nothing.
				e := &b.events[i]
				inEvent, events = true, events+1
				v.ApplyOwned(e.pos, e.data, line, e.hint)
			case len(bytes.TrimSpace(text)) == 0:
			case v == nil:
				var h Header
				if jerr := json.Unmarshal(text, &h); jerr != nil || h.Kind != KindHeader || h.Format != Format {
					v = audit.NewVerifier(name, "unknown", false, opts)
					fail("the first line is not a %s header", Format)
					return v.Finish(), nil
				}
				header = h
				v = audit.NewVerifier(name, h.Scope.String(), h.Complete, opts)
			case b.inline && isFastEvent(text):
				pos, data, _ := fastEvent(text)
				inEvent, events = true, events+1
				p := audit.PrepareOwned(pos, data, nil, line)
				v.Apply(&p)
			default:
				if record(v, text, line, inEvent, fail) {
					inEvent, events = true, events+1
				}
			}
		}
		batches.recycle(b)
		if afterBatch != nil {
			afterBatch()
		}
	}
	if v == nil {
		v = audit.NewVerifier(name, "unknown", false, opts)
		v.Fail(audit.Finding{Check: audit.CheckBundleFormat, Message: "the bundle is empty"})
		return v.Finish(), nil
	}
	if events != header.Events {
		fail("the header announces %d events, the bundle holds %d: it was cut short or added to", header.Events, events)
	}
	return v.Finish(), nil
}

// batch is a run of consecutive lines, checked in order.
type batch struct {
	first  int      // line number of lines[0]
	lines  [][]byte // windows on an arena, without the line end
	events []eventLine
	inline bool  // events not read: the consumer prepares each line
	err    error // a read error after the lines
}

// eventLine is what the reading goroutine read of an event line in the
// fast form (fastEvent): its position, its event's bytes and their hint.
type eventLine struct {
	fast bool // the line is an event line in the fast form
	pos  uint64
	data []byte
	hint audit.RouteHint
}

const batchLines = 512

// afterBatch, when set (tests), runs on the verifying goroutine once the
// lines of a batch are checked.
var afterBatch func()

// prepareWorkers, when negative, has the consumer prepare each event line
// itself, on its own goroutine, and hand the Verifier the prepared event;
// otherwise the Verifier decodes each on the goroutine that checks its
// ticket (ApplyOwned). Tests and benchmarks set it to compare.
var prepareWorkers = 0

// batchReader yields a bundle's lines in order, in batches.
type batchReader struct {
	ordered <-chan *batch
	free    chan []eventLine // memory handed back by the consumer
}

// recycle returns a checked batch's event slice for reuse. Its lines are
// not reused: the events are decoded in place (audit.PrepareOwned), and
// the Verifier may keep strings of theirs.
func (br batchReader) recycle(b *batch) {
	clear(b.events) // keeps no window on the lines
	select {
	case br.free <- b.events[:0]:
	default:
	}
}

// readBatches reads r on its own goroutine. Closing stop ends the reading early.
func readBatches(r io.Reader, stop <-chan struct{}) batchReader {
	inline := prepareWorkers < 0
	// Slack of 16 batches (8,000 lines) keeps a stage that a GC pause held
	// up from stalling the others: with 2 it ran 30% slower.
	ordered := make(chan *batch, 16)
	free := make(chan []eventLine, 32)
	go func() {
		defer close(ordered)
		lines := lineReader{r: r}
		next := 1
		for {
			b := &batch{first: next, lines: make([][]byte, 0, batchLines), inline: inline}
			select {
			case b.events = <-free:
			default:
			}
			for len(b.lines) < batchLines {
				line, ok, err := lines.next()
				if !ok {
					b.err = err
					break
				}
				b.lines = append(b.lines, line)
			}
			if cap(b.events) < len(b.lines) {
				b.events = make([]eventLine, len(b.lines))
			}
			b.events = b.events[:len(b.lines)]
			if !inline && b.err == nil {
				// Here, where the line was just read: the consumer then
				// reads none of an event line's bytes, and the Verifier's
				// shard decoding it reads them only there.
				for i, text := range b.lines {
					if pos, data, ok := fastEvent(text); ok {
						b.events[i] = eventLine{fast: true, pos: pos, data: data, hint: audit.HintOf(data)}
					}
				}
			}
			last := len(b.lines) < batchLines || b.err != nil
			select {
			case ordered <- b:
			case <-stop:
				return
			}
			if b.err != nil {
				return
			}
			next += len(b.lines)
			if last {
				return
			}
		}
	}()
	return batchReader{ordered: ordered, free: free}
}

// fastEvent reads an event line in the form Writer writes without a proof,
// `{"kind":"event","position":N,"data":{…}}`, without parsing the data
// (events.Decode does, strictly). Any other form takes the general path.
func fastEvent(text []byte) (uint64, []byte, bool) {
	if !bytes.HasPrefix(text, []byte(eventPrefix)) || text[len(text)-1] != '}' {
		return 0, nil, false
	}
	rest := text[len(eventPrefix):]
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	const dataKey = `,"data":{`
	if end == 0 || !bytes.HasPrefix(rest[end:], []byte(dataKey)) {
		return 0, nil, false
	}
	pos, err := strconv.ParseUint(string(rest[:end]), 10, 64)
	if err != nil {
		return 0, nil, false
	}
	return pos, rest[end+len(dataKey)-1 : len(rest)-1], true
}

func isFastEvent(text []byte) bool {
	_, _, ok := fastEvent(text)
	return ok
}

// record handles one non-fast line. It reports whether the line was an event.
func record(v *audit.Verifier, text []byte, line int, inEvent bool, fail func(string, ...any)) bool {
	var probe struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(text, &probe); err != nil {
		fail("not a JSON record: %v", err)
		return false
	}
	if probe.Kind != KindEvent && inEvent {
		fail("a %s record after the first event is not used: keys, policies, seals and proofs come before the events", probe.Kind)
		return false
	}
	switch probe.Kind {
	case KindHeader:
		fail("a second header")
	case KindPublicKey:
		var k PublicKey
		if err := strict(text, &k); err != nil || len(k.Ed25519) != ed25519.PublicKeySize {
			fail("malformed public key record: %v", orSize(err, len(k.Ed25519)))
			return false
		}
		pub := ed25519.PublicKey(k.Ed25519)
		if seal.KeyID(pub) != k.KeyID {
			fail("public key record names key %s but holds key %s", k.KeyID, seal.KeyID(pub))
		}
		v.SetPublicKey(pub, line)
	case KindPolicy:
		var p Policy
		if err := strict(text, &p); err != nil {
			fail("malformed policy record: %v", err)
			return false
		}
		pol, err := policy.Parse(p.Policy)
		if err != nil {
			fail("policy %s does not parse: %v", p.Version, err)
			return false
		}
		if pol.Version != p.Version {
			fail("policy record %s holds policy version %s", p.Version, pol.Version)
			return false
		}
		v.AddPolicy(pol)
	case KindSeal:
		var s Seal
		if err := strict(text, &s); err != nil {
			fail("malformed seal record: %v", err)
			return false
		}
		v.AddSeal(s.Seal, line)
	case KindConsistency:
		var c Consistency
		if err := strict(text, &c); err != nil {
			fail("malformed consistency record: %v", err)
			return false
		}
		v.AddConsistency(c.From, c.To, c.Hashes, line)
	case KindEvent:
		var e Event
		if err := strict(text, &e); err != nil {
			fail("malformed event record: %v", err)
			return true
		}
		data := []byte(e.Data)
		if e.Raw != nil {
			data = e.Raw
		}
		p := audit.Prepare(e.Position, data, e.Proof, line)
		if e.Columns != nil {
			p.CheckColumns(data, *e.Columns)
		}
		v.Apply(&p)
		return true
	default:
		fail("unknown record kind %q", probe.Kind)
	}
	return false
}

// strict decodes one record, refusing unknown members.
func strict(text []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func orSize(err error, n int) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("key has %d bytes, want %d", n, ed25519.PublicKeySize)
}
