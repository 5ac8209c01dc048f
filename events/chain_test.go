package events_test

import (
	"encoding/hex"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
)

// lifecycle is the order of event types in the test stream.
var lifecycle = []string{
	events.TypeRefundRequested, events.TypeMerchantRejected, events.TypeInterventionRequested,
	events.TypeEvidenceRequested, events.TypeEvidenceSubmitted, events.TypeRulingRecorded,
}

// unsealed returns an envelope of the i-th lifecycle event in stream,
// ready for Link.
func unsealed(stream string, i int) events.Envelope {
	typ := lifecycle[i%len(lifecycle)]
	f := fixtures()[typ]
	at := occurredAt.Add(time.Duration(i) * time.Minute)
	return events.Envelope{
		ID: v7(at, stream+"/event"), Stream: stream, Type: typ,
		SchemaVersion: events.CurrentSchemaVersion, OccurredAt: at, Actor: f.actor,
		CommandID: v7(at, stream+"/command").String(), CorrelationID: "corr-" + stream,
		Payload: f.payload,
	}
}

// stream links a new stream of n events and returns them as a reader sees
// them: decoded from their wire bytes.
func stream(t *testing.T, name string, n int) []events.Envelope {
	t.Helper()
	envs := make([]events.Envelope, n)
	for i := range envs {
		envs[i] = unsealed(name, i)
	}
	_, wire, err := events.Link(nil, envs)
	require.NoError(t, err)
	decoded := make([]events.Envelope, n)
	for i, w := range wire {
		decoded[i], err = events.Decode(w)
		require.NoError(t, err, "event %d", i)
	}
	return decoded
}

// reseal recomputes env's hash after a test altered it, as a forger would.
func reseal(t *testing.T, env events.Envelope) events.Envelope {
	t.Helper()
	sealed, _, err := events.Seal(env)
	require.NoError(t, err)
	return sealed
}

func TestVerifyChain(t *testing.T) {
	t.Parallel()
	const name = "ticket-chain"
	intact := stream(t, name, 6)
	other := stream(t, "ticket-other", 6)

	// changed returns a copy of the stream with f applied to it.
	changed := func(f func(envs []events.Envelope) []events.Envelope) []events.Envelope {
		return f(slices.Clone(intact))
	}
	tests := []struct {
		name    string
		prev    *events.Envelope
		envs    []events.Envelope
		wantRev uint64 // revision the ChainError names
		wantStr string // stream the ChainError names; name if empty
	}{
		{name: "deleted event", envs: changed(func(e []events.Envelope) []events.Envelope { return slices.Delete(e, 2, 3) }), wantRev: 3},
		{name: "deleted first event", envs: intact[1:], wantRev: 1},
		{name: "swapped events", envs: changed(func(e []events.Envelope) []events.Envelope { e[2], e[3] = e[3], e[2]; return e }), wantRev: 3},
		{name: "duplicated event", envs: changed(func(e []events.Envelope) []events.Envelope { return slices.Insert(e, 3, e[2]) }), wantRev: 2},
		{name: "altered prev_hash", envs: changed(func(e []events.Envelope) []events.Envelope { e[3].PrevHash = e[1].Hash; return e }), wantRev: 3},
		{name: "altered prev_hash resealed", envs: changed(func(e []events.Envelope) []events.Envelope {
			e[3].PrevHash = e[1].Hash
			e[3] = reseal(t, e[3])
			return e
		}), wantRev: 3},
		{name: "altered content", envs: changed(func(e []events.Envelope) []events.Envelope {
			e[3].Actor.ID = "someone-else"
			return e
		}), wantRev: 3},
		{name: "altered content resealed breaks the next link", envs: changed(func(e []events.Envelope) []events.Envelope {
			e[3].Actor.ID = "someone-else"
			e[3] = reseal(t, e[3])
			return e
		}), wantRev: 4},
		{name: "altered last event", envs: changed(func(e []events.Envelope) []events.Envelope {
			e[5].OccurredAt = e[5].OccurredAt.Add(time.Nanosecond)
			return e
		}), wantRev: 5},
		{name: "event from another stream", envs: changed(func(e []events.Envelope) []events.Envelope { e[3] = other[3]; return e }), wantRev: 3, wantStr: "ticket-other"},
		{name: "first event from another stream", prev: &intact[1], envs: other[2:], wantRev: 2, wantStr: "ticket-other"},
		{name: "wrong first revision", envs: changed(func(e []events.Envelope) []events.Envelope {
			e[0].Revision = 1
			e[0] = reseal(t, e[0])
			return e[:1]
		}), wantRev: 1},
		{name: "first event with a prev_hash", envs: changed(func(e []events.Envelope) []events.Envelope {
			e[0].PrevHash = other[0].Hash
			e[0] = reseal(t, e[0])
			return e[:1]
		}), wantRev: 0},
		{name: "gap after prev", prev: &intact[0], envs: intact[2:], wantRev: 2},
		{name: "prev not the predecessor", prev: &other[1], envs: intact[2:], wantRev: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := events.VerifyChain(tt.prev, tt.envs)
			require.Error(t, err)
			assert.ErrorIs(t, err, events.ErrHashMismatch)
			var ce *events.ChainError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.wantRev, ce.Revision, "revision named: %v", err)
			wantStream := tt.wantStr
			if wantStream == "" {
				wantStream = name
			}
			assert.Equal(t, wantStream, ce.Stream)
			assert.NotEmpty(t, ce.Reason)
		})
	}

	t.Run("intact", func(t *testing.T) {
		t.Parallel()
		assert.NoError(t, events.VerifyChain(nil, intact))
		assert.NoError(t, events.VerifyChain(nil, intact[:1]))
		assert.NoError(t, events.VerifyChain(&intact[2], intact[3:]))
		assert.NoError(t, events.VerifyChain(&intact[4], intact[5:]))
		assert.NoError(t, events.VerifyChain(nil, nil))
		assert.NoError(t, events.VerifyChain(&intact[5], nil))
	})
}

func TestLink(t *testing.T) {
	t.Parallel()
	const name = "ticket-link"
	t.Run("new stream", func(t *testing.T) {
		t.Parallel()
		in := []events.Envelope{unsealed(name, 0), unsealed(name, 1), unsealed(name, 2)}
		// Whatever the caller put in the chain fields is overwritten.
		in[1].Revision, in[1].PrevHash, in[1].Hash = 42, "bogus", "bogus"
		before := slices.Clone(in)

		sealed, wire, err := events.Link(nil, in)
		require.NoError(t, err)
		require.Len(t, sealed, 3)
		require.Len(t, wire, 3)
		assert.Equal(t, before, in, "Link does not modify its argument")
		for i, env := range sealed {
			assert.Equal(t, uint64(i), env.Revision)
			if i == 0 {
				assert.Empty(t, env.PrevHash)
			} else {
				assert.Equal(t, sealed[i-1].Hash, env.PrevHash)
			}
			assertHexSHA256(t, env.Hash)
			decoded, err := events.Decode(wire[i])
			require.NoError(t, err)
			assert.Equal(t, env, decoded)
		}
		assert.NoError(t, events.VerifyChain(nil, sealed))
	})
	t.Run("continuation", func(t *testing.T) {
		t.Parallel()
		head, _, err := events.Link(nil, []events.Envelope{unsealed(name, 0), unsealed(name, 1)})
		require.NoError(t, err)
		tail, _, err := events.Link(&head[1], []events.Envelope{unsealed(name, 2), unsealed(name, 3)})
		require.NoError(t, err)
		assert.Equal(t, uint64(2), tail[0].Revision)
		assert.Equal(t, uint64(3), tail[1].Revision)
		assert.Equal(t, head[1].Hash, tail[0].PrevHash)
		assert.Equal(t, tail[0].Hash, tail[1].PrevHash)
		assert.NoError(t, events.VerifyChain(&head[1], tail))
		assert.NoError(t, events.VerifyChain(nil, append(head, tail...)))
	})
	t.Run("same events, same hashes", func(t *testing.T) {
		t.Parallel()
		in := []events.Envelope{unsealed(name, 0), unsealed(name, 1)}
		a, wa, err := events.Link(nil, in)
		require.NoError(t, err)
		b, wb, err := events.Link(nil, in)
		require.NoError(t, err)
		assert.Equal(t, a, b)
		assert.Equal(t, wa, wb)
	})
	t.Run("nothing to link", func(t *testing.T) {
		t.Parallel()
		sealed, wire, err := events.Link(nil, nil)
		require.NoError(t, err)
		assert.Empty(t, sealed)
		assert.Empty(t, wire)
	})
	t.Run("a bad event fails the batch", func(t *testing.T) {
		t.Parallel()
		in := []events.Envelope{unsealed(name, 0), unsealed(name, 1)}
		in[1].Payload = nil
		sealed, wire, err := events.Link(nil, in)
		assert.ErrorIs(t, err, events.ErrMalformed)
		assert.Nil(t, sealed)
		assert.Nil(t, wire)
	})
	t.Run("another stream", func(t *testing.T) {
		t.Parallel()
		head, _, err := events.Link(nil, []events.Envelope{unsealed(name, 0)})
		require.NoError(t, err)
		_, _, err = events.Link(&head[0], []events.Envelope{unsealed("ticket-elsewhere", 1)})
		assert.ErrorIs(t, err, events.ErrMalformed, "continuing a stream with another stream's event")
		_, _, err = events.Link(nil, []events.Envelope{unsealed(name, 0), unsealed("ticket-elsewhere", 1)})
		assert.ErrorIs(t, err, events.ErrMalformed, "one batch, two streams")
	})
}

func assertHexSHA256(t *testing.T, h string) {
	t.Helper()
	b, err := hex.DecodeString(h)
	assert.NoError(t, err, "hash %q is hex", h)
	assert.Len(t, b, 32, "hash %q is a SHA-256", h)
	assert.Equal(t, hex.EncodeToString(b), h, "hash is lower-case hex")
}

func TestSeal(t *testing.T) {
	t.Parallel()
	const name = "ticket-seal"
	t.Run("occurred_at normalised to UTC", func(t *testing.T) {
		t.Parallel()
		env := unsealed(name, 0)
		shanghai := time.FixedZone("CST", 8*60*60)
		env.OccurredAt = occurredAt.In(shanghai)
		sealed, wire, err := events.Seal(env)
		require.NoError(t, err)
		assert.Equal(t, time.UTC, sealed.OccurredAt.Location())
		assert.True(t, sealed.OccurredAt.Equal(occurredAt))
		assert.Contains(t, string(wire), `"occurred_at":"2026-03-14T09:26:53.589793238Z"`)

		utc := unsealed(name, 0)
		_, utcWire, err := events.Seal(utc)
		require.NoError(t, err)
		assert.Equal(t, string(utcWire), string(wire), "the zone does not change the bytes")
	})
	t.Run("text that needs escaping round-trips", func(t *testing.T) {
		t.Parallel()
		env := unsealed(name, 0)
		p := env.Payload.(events.RefundRequested)
		// A genuine U+FFFD and a literal backslash-u-fffd are valid text.
		p.Description = "\ufffd and \\ufffd, \u2028, \x7f, \x00, \b\f\n\r\t, <&>, \"q\", 🙂"
		env.Payload = p
		env.Actor.ID = p.Description
		sealed, wire, err := events.Seal(env)
		require.NoError(t, err)
		assert.Equal(t, string(referenceEncode(t, sealed)), string(wire))
		decoded, err := events.Decode(wire)
		require.NoError(t, err)
		assert.Equal(t, sealed, decoded)
	})
	t.Run("clock reading round-trips", func(t *testing.T) {
		t.Parallel()
		env := unsealed(name, 0)
		env.OccurredAt = time.Now() // carries a monotonic reading
		sealed, wire, err := events.Seal(env)
		require.NoError(t, err)
		decoded, err := events.Decode(wire)
		require.NoError(t, err)
		assert.Equal(t, sealed, decoded)
	})
	t.Run("deterministic and idempotent", func(t *testing.T) {
		t.Parallel()
		env := unsealed(name, 0)
		env.Hash = "left over"
		sealed, wire, err := events.Seal(env)
		require.NoError(t, err)
		assertHexSHA256(t, sealed.Hash)
		again, wireAgain, err := events.Seal(sealed)
		require.NoError(t, err)
		assert.Equal(t, sealed, again)
		assert.Equal(t, wire, wireAgain)
		encoded, err := events.Encode(sealed)
		require.NoError(t, err)
		assert.Equal(t, wire, encoded)
	})
	t.Run("every field is covered by the hash", func(t *testing.T) {
		t.Parallel()
		base, _, err := events.Seal(unsealed(name, 1))
		require.NoError(t, err)
		other := fixtures()[events.TypeMerchantAgreed]
		changes := map[string]func(e *events.Envelope){
			"id":             func(e *events.Envelope) { e.ID = v7(occurredAt, "another id") },
			"stream":         func(e *events.Envelope) { e.Stream += "x" },
			"revision":       func(e *events.Envelope) { e.Revision++ },
			"type":           func(e *events.Envelope) { e.Type, e.Payload = events.TypeMerchantAgreed, other.payload },
			"occurred_at":    func(e *events.Envelope) { e.OccurredAt = e.OccurredAt.Add(time.Nanosecond) },
			"actor role":     func(e *events.Envelope) { e.Actor.Role = events.RoleAgent },
			"actor id":       func(e *events.Envelope) { e.Actor.ID += "x" },
			"command_id":     func(e *events.Envelope) { e.CommandID += "x" },
			"correlation_id": func(e *events.Envelope) { e.CorrelationID += "x" },
			"prev_hash":      func(e *events.Envelope) { e.PrevHash = "00" },
			"payload": func(e *events.Envelope) {
				p := e.Payload.(events.MerchantRejected)
				p.Reason += "!"
				e.Payload = p
			},
		}
		for field, change := range changes {
			env := base
			change(&env)
			_, err := events.Encode(env)
			assert.ErrorIs(t, err, events.ErrHashMismatch, "changing %s without resealing", field)
			resealed, _, err := events.Seal(env)
			require.NoError(t, err, field)
			assert.NotEqual(t, base.Hash, resealed.Hash, "hash covers %s", field)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name   string
			change func(e *events.Envelope)
			is     error
		}{
			{"no payload", func(e *events.Envelope) { e.Payload = nil }, events.ErrMalformed},
			{"type does not match payload", func(e *events.Envelope) { e.Type = events.TypeOfferMade }, events.ErrMalformed},
			{"unknown type", func(e *events.Envelope) { e.Type = "refund.requested.v2" }, events.ErrMalformed},
			{"year beyond RFC 3339", func(e *events.Envelope) { e.OccurredAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, nil},
			{"invalid UTF-8 in an envelope field", func(e *events.Envelope) { e.Actor.ID = "buyer-\xff" }, events.ErrMalformed},
			{"invalid UTF-8 in the payload", func(e *events.Envelope) {
				p := e.Payload.(events.RefundRequested)
				p.Description = "half a rune \xe5\xa5"
				e.Payload = p
			}, events.ErrMalformed},
		}
		for _, tt := range tests {
			env := unsealed(name, 0)
			tt.change(&env)
			_, wire, err := events.Seal(env)
			assert.Error(t, err, tt.name)
			assert.Nil(t, wire, tt.name)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is, tt.name)
			}
			_, err = events.Encode(env)
			assert.Error(t, err, "Encode: %s", tt.name)
		}
		for _, v := range []int{0, events.CurrentSchemaVersion + 1} {
			env := unsealed(name, 0)
			env.SchemaVersion = v
			_, _, err := events.Seal(env)
			var verr *events.VersionError
			require.ErrorAs(t, err, &verr, "schema version %d", v)
			assert.Equal(t, v, verr.Version)
		}
	})
}

func TestEncode(t *testing.T) {
	t.Parallel()
	sealed, wire, err := events.Seal(unsealed("ticket-encode", 0))
	require.NoError(t, err)

	got, err := events.Encode(sealed)
	require.NoError(t, err)
	assert.Equal(t, wire, got)

	shifted := sealed
	shifted.OccurredAt = sealed.OccurredAt.In(time.FixedZone("", -5*60*60))
	got, err = events.Encode(shifted)
	require.NoError(t, err, "the same instant in another zone is the same event")
	assert.Equal(t, wire, got)

	for name, hash := range map[string]string{
		"empty":      "",
		"other":      "0000000000000000000000000000000000000000000000000000000000000000",
		"upper case": upper(sealed.Hash),
	} {
		env := sealed
		env.Hash = hash
		got, err := events.Encode(env)
		assert.Nil(t, got, name)
		assert.ErrorIs(t, err, events.ErrHashMismatch, name)
		var ce *events.ChainError
		if assert.True(t, errors.As(err, &ce), name) {
			assert.Equal(t, sealed.Stream, ce.Stream)
			assert.Equal(t, sealed.Revision, ce.Revision)
		}
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
