package bundle

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/domain/policy"
)

// Writer writes bundle lines. Call Flush at the end.
type Writer struct {
	w   *bufio.Writer
	buf []byte
}

// NewWriter returns a writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriterSize(w, 1<<20)} }

func (w *Writer) json(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("write bundle line: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.w.Write(b); err != nil {
		return fmt.Errorf("write bundle line: %w", err)
	}
	return nil
}

// Header writes the header line.
func (w *Writer) Header(h Header) error {
	h.Kind, h.Format = KindHeader, Format
	return w.json(h)
}

// PublicKey writes the public key line.
func (w *Writer) PublicKey(pub ed25519.PublicKey) error {
	return w.json(PublicKey{Kind: KindPublicKey, KeyID: seal.KeyID(pub), Ed25519: pub})
}

// Policy writes a policy line.
func (w *Writer) Policy(p policy.Policy) error {
	// The canonical document, so that its bytes hash to the address the
	// events record (policy_sha256) even without parsing them.
	return w.json(Policy{Kind: KindPolicy, Version: p.Version, Policy: p.Canonical()})
}

// Seal writes a seal line.
func (w *Writer) Seal(s seal.Seal) error { return w.json(Seal{Kind: KindSeal, Seal: s}) }

// Consistency writes a consistency proof line.
func (w *Writer) Consistency(from, to uint64, hashes []merkle.Hash) error {
	return w.json(Consistency{Kind: KindConsistency, From: from, To: to, Hashes: hashes})
}

// eventPrefix opens every event line; Verify's fast path reads it back.
const eventPrefix = `{"kind":"event","position":`

// Event writes an event line with its stored bytes, untouched, as the data
// member (last, so a reader can take it whole without parsing it). columns,
// when not nil, are the columns the ledger stored the event under that
// disagree with its bytes.
func (w *Writer) Event(pos uint64, data []byte, proof *audit.InclusionProof, columns *audit.Columns) error {
	b := append(w.buf[:0], eventPrefix...)
	b = strconv.AppendUint(b, pos, 10)
	for _, m := range []struct {
		name  string
		value any
		set   bool
	}{{`,"proof":`, proof, proof != nil}, {`,"columns":`, columns, columns != nil}} {
		if !m.set {
			continue
		}
		j, err := json.Marshal(m.value)
		if err != nil {
			return fmt.Errorf("write event %d: %w", pos, err)
		}
		b = append(b, m.name...)
		b = append(b, j...)
	}
	if json.Valid(data) && !bytes.ContainsAny(data, "\r\n") {
		b = append(b, `,"data":`...)
		b = append(b, data...)
	} else {
		b = append(b, `,"raw":"`...)
		b = base64.StdEncoding.AppendEncode(b, data)
		b = append(b, '"')
	}
	b = append(b, '}', '\n')
	w.buf = b
	if _, err := w.w.Write(b); err != nil {
		return fmt.Errorf("write event %d: %w", pos, err)
	}
	return nil
}

// Flush writes any buffered lines.
func (w *Writer) Flush() error {
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("flush bundle: %w", err)
	}
	return nil
}
