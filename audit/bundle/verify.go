package bundle

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/policy"
	"github.com/disputes-ledger/disputes/seal"
)

// Verify reads a bundle from r and verifies it under opts; name is the
// bundle's name in the report. The error is for failures to read r; every
// problem with the bundle's content is a finding in the report.
func Verify(r io.Reader, name string, opts audit.Options) (*audit.Report, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	line := 0
	var (
		v       *audit.Verifier
		header  Header
		inEvent bool
		events  int
		long    []byte
	)
	fail := func(msg string, args ...any) {
		v.Fail(audit.Finding{Check: audit.CheckBundleFormat, Line: line, Message: fmt.Sprintf(msg, args...)})
	}
	for {
		text, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it whole.
			long = append(long[:0], text...)
			for errors.Is(err, bufio.ErrBufferFull) {
				text, err = br.ReadSlice('\n')
				long = append(long, text...)
			}
			text = long
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read bundle %s line %d: %w", name, line+1, err)
		}
		if len(bytes.TrimSpace(text)) > 0 {
			line++
			text = bytes.TrimRight(text, "\r\n")
			if v == nil {
				var h Header
				if jerr := json.Unmarshal(text, &h); jerr != nil || h.Kind != KindHeader || h.Format != Format {
					v = audit.NewVerifier(name, "unknown", false, opts)
					fail("the first line is not a %s header", Format)
					return v.Finish(), nil
				}
				header = h
				v = audit.NewVerifier(name, h.Scope.String(), h.Complete, opts)
			} else if pos, data, ok := fastEvent(text); ok {
				inEvent, events = true, events+1
				v.Event(pos, data, nil, line)
			} else {
				kind, isEvent := record(v, text, line, inEvent, fail)
				if isEvent {
					inEvent, events = true, events+1
				}
				_ = kind
			}
		}
		if errors.Is(err, io.EOF) {
			break
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

// record handles one non-fast line. It reports whether the line was an event.
func record(v *audit.Verifier, text []byte, line int, inEvent bool, fail func(string, ...any)) (string, bool) {
	var probe struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(text, &probe); err != nil {
		fail("not a JSON record: %v", err)
		return "", false
	}
	if probe.Kind != KindEvent && inEvent {
		fail("a %s record after the first event is not used: keys, policies, seals and proofs come before the events", probe.Kind)
		return probe.Kind, false
	}
	switch probe.Kind {
	case KindHeader:
		fail("a second header")
	case KindPublicKey:
		var k PublicKey
		if err := strict(text, &k); err != nil || len(k.Ed25519) != ed25519.PublicKeySize {
			fail("malformed public key record: %v", orSize(err, len(k.Ed25519)))
			return probe.Kind, false
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
			return probe.Kind, false
		}
		pol, err := policy.Parse(p.Policy)
		if err != nil {
			fail("policy %s does not parse: %v", p.Version, err)
			return probe.Kind, false
		}
		if pol.Version != p.Version {
			fail("policy record %s holds policy version %s", p.Version, pol.Version)
			return probe.Kind, false
		}
		v.AddPolicy(pol)
	case KindSeal:
		var s Seal
		if err := strict(text, &s); err != nil {
			fail("malformed seal record: %v", err)
			return probe.Kind, false
		}
		v.AddSeal(s.Seal, line)
	case KindConsistency:
		var c Consistency
		if err := strict(text, &c); err != nil {
			fail("malformed consistency record: %v", err)
			return probe.Kind, false
		}
		v.AddConsistency(c.From, c.To, c.Hashes, line)
	case KindEvent:
		var e Event
		if err := strict(text, &e); err != nil {
			fail("malformed event record: %v", err)
			return probe.Kind, true
		}
		data := []byte(e.Data)
		if e.Raw != nil {
			data = e.Raw
		}
		v.Event(e.Position, data, e.Proof, line)
		return probe.Kind, true
	default:
		fail("unknown record kind %q", probe.Kind)
	}
	return probe.Kind, false
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
