package events

import (
	"fmt"
	"unsafe"
)

// Seal computes env's hash over its canonical encoding (which includes
// PrevHash, chaining it to its predecessor) and returns the sealed envelope
// with its wire bytes. OccurredAt is normalised to UTC. Seal refuses (with
// ErrMalformed) text that is not valid UTF-8, which could not be read back
// as sealed.
func Seal(env Envelope) (Envelope, []byte, error) {
	env.OccurredAt = env.OccurredAt.UTC()
	body, err := encodeBody(env)
	if err != nil {
		return Envelope{}, nil, err
	}
	env.Hash = hashBody(body)
	return env, appendHash(body, env.Hash), nil
}

// Encode returns the canonical wire bytes of a sealed envelope. It refuses an
// envelope whose Hash does not match its content.
func Encode(env Envelope) ([]byte, error) {
	body, err := encodeBody(env)
	if err != nil {
		return nil, err
	}
	if want := hashBody(body); env.Hash != want {
		return nil, &ChainError{Stream: env.Stream, Revision: env.Revision, Reason: fmt.Sprintf("stored hash %q, content hashes to %q", env.Hash, want)}
	}
	return appendHash(body, env.Hash), nil
}

// Decode parses wire bytes strictly: the bytes must be exactly the canonical
// encoding of a known event type at a readable schema version, with no
// unknown fields and a hash that matches the content. It does not check the
// link to the previous event; see VerifyChain.
//
// Bytes that are not the canonical encoding of an envelope are refused with
// ErrMalformed (or *UnknownTypeError, *VersionError); canonical bytes whose
// hash does not match are refused with a *ChainError (ErrHashMismatch).
//
// The envelope's strings share one copy of data, made by Decode: an
// envelope that is kept keeps that copy.
func Decode(data []byte) (Envelope, error) {
	// The canonical reader accepts the common case without encoding/json;
	// anything it does not accept is decided, and explained, by the strict
	// path.
	if env, ok := decodeCanonical(data, string(data)); ok {
		return env, nil
	}
	return decodeStrict(data)
}

// DecodeOwned is Decode for a caller that hands data over: the envelope's
// strings are read from data itself rather than from a copy, so data must
// never be modified afterwards, by anyone (that would change strings Go
// takes as immutable). It suits bytes just read for this one purpose — a
// store's fresh copy of a row — and saves copying every event once more.
func DecodeOwned(data []byte) (Envelope, error) {
	if env, ok := decodeCanonical(data, unsafe.String(unsafe.SliceData(data), len(data))); ok {
		return env, nil
	}
	return decodeStrict(data)
}

// VerifyChain checks that envs are consecutive events of one stream, each
// linked to its predecessor's hash and each hash matching its content. The
// first event must have revision 0 and an empty PrevHash unless prev (the
// event before envs[0]) is given.
func VerifyChain(prev *Envelope, envs []Envelope) error {
	if err := VerifyLinks(prev, envs); err != nil {
		return err
	}
	for _, env := range envs {
		if _, err := Encode(env); err != nil {
			return fmt.Errorf("verify chain: %w", err)
		}
	}
	return nil
}

// VerifyLinks checks only the links of a chain (stream, consecutive
// revisions, prev_hash), for envelopes whose own hashes Decode has already
// checked against their bytes: it saves re-encoding every event on load.
func VerifyLinks(prev *Envelope, envs []Envelope) error {
	for i, env := range envs {
		wantRev, wantPrev, stream := uint64(0), "", env.Stream
		switch {
		case i > 0:
			wantRev, wantPrev, stream = envs[i-1].Revision+1, envs[i-1].Hash, envs[i-1].Stream
		case prev != nil:
			wantRev, wantPrev, stream = prev.Revision+1, prev.Hash, prev.Stream
		}
		if env.Stream != stream {
			return &ChainError{Stream: env.Stream, Revision: env.Revision, Reason: fmt.Sprintf("belongs to stream %s, expected %s", env.Stream, stream)}
		}
		if env.Revision != wantRev {
			return &ChainError{Stream: env.Stream, Revision: env.Revision, Reason: fmt.Sprintf("revision %d where %d was expected", env.Revision, wantRev)}
		}
		if env.PrevHash != wantPrev {
			return &ChainError{Stream: env.Stream, Revision: env.Revision, Reason: fmt.Sprintf("prev_hash %q does not match predecessor's hash %q", env.PrevHash, wantPrev)}
		}
	}
	return nil
}

// Link seals envs as the continuation of a stream whose last recorded event
// is last (nil for a new stream): it assigns consecutive revisions and chains
// each hash to its predecessor. It returns the sealed envelopes and their wire bytes.
// Every envelope must belong to last's stream (or, for a new stream, to the
// first envelope's); a chain across streams is refused with ErrMalformed.
func Link(last *Envelope, envs []Envelope) ([]Envelope, [][]byte, error) {
	rev, prevHash := uint64(0), ""
	var stream string
	switch {
	case last != nil:
		rev, prevHash, stream = last.Revision+1, last.Hash, last.Stream
	case len(envs) > 0:
		stream = envs[0].Stream
	}
	sealed := make([]Envelope, len(envs))
	wire := make([][]byte, len(envs))
	for i, env := range envs {
		env.Revision, env.PrevHash = rev+uint64(i), prevHash
		if env.Stream != stream {
			return nil, nil, fmt.Errorf("link %s revision %d: %w: event of stream %s", stream, env.Revision, ErrMalformed, env.Stream)
		}
		s, data, err := Seal(env)
		if err != nil {
			return nil, nil, err
		}
		sealed[i], wire[i], prevHash = s, data, s.Hash
	}
	return sealed, wire, nil
}
