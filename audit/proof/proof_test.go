package proof_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/internal/fixture"
	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/audit/proof"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

var t0 = time.Date(2026, 11, 2, 1, 30, 0, 0, time.UTC)

func key(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(label))
	return ed25519.NewKeyFromSeed(seed[:])
}

var sealKey = key("proof seal key")

func pub() ed25519.PublicKey { return sealKey.Public().(ed25519.PublicKey) }

// sealed returns a log of 14 tickets sealed at half and at all but its last
// three events.
func sealed(t *testing.T) (*fixture.Memory, *fixture.Seals) {
	t.Helper()
	m := fixture.NewMemory(policy.Default())
	require.NoError(t, fixture.Run(context.Background(), fixture.Flows(t0, 14), m))
	seals := &fixture.Seals{}
	for _, n := range []int{len(m.Records) / 2, len(m.Records) - 3} {
		s, err := audit.NewSealer(&fixture.Memory{Records: m.Records[:n]}, seals, sealKey, func() time.Time { return t0.AddDate(0, 0, n) })
		require.NoError(t, err)
		_, _, err = s.SealToHead(context.Background())
		require.NoError(t, err)
	}
	return m, seals
}

func firstRuling(t *testing.T, m *fixture.Memory) (uuid.UUID, uint64) {
	t.Helper()
	for _, r := range m.Records {
		if r.Type == events.TypeRulingRecorded {
			return r.ID, r.Position
		}
	}
	t.Fatal("no ruling")
	return uuid.Nil, 0
}

func TestInclusionProofOfARuling(t *testing.T) {
	t.Parallel()
	m, seals := sealed(t)
	id, pos := firstRuling(t, m)
	p, err := proof.ProveEvent(context.Background(), m, seals, id, 0)
	require.NoError(t, err)
	assert.Equal(t, pos, p.Position)
	assert.Equal(t, uint64(len(m.Records)-3), p.Seal.Size)

	// The document survives a round trip through JSON, even pretty-printed.
	doc, err := json.MarshalIndent(p, "", "  ")
	require.NoError(t, err)
	got, err := proof.Verify(doc, pub())
	require.NoError(t, err)
	assert.True(t, got.KeyPinned)
	assert.Equal(t, pos, got.Position)
	assert.Equal(t, id, got.Event.ID)
	assert.Equal(t, events.TypeRulingRecorded, got.Event.Type)

	// Against the older seal too.
	old, err := proof.ProveEvent(context.Background(), m, seals, id, uint64(len(m.Records)/2))
	if pos <= uint64(len(m.Records)/2) {
		require.NoError(t, err)
		_, err = old.Verify(pub())
		assert.NoError(t, err)
	} else {
		assert.ErrorIs(t, err, proof.ErrNotSealed)
	}
}

func TestInclusionProofRejectsTampering(t *testing.T) {
	t.Parallel()
	m, seals := sealed(t)
	id, _ := firstRuling(t, m)
	good, err := proof.ProveEvent(context.Background(), m, seals, id, 0)
	require.NoError(t, err)
	tests := []struct {
		name   string
		mutate func(p *proof.Inclusion)
		pin    ed25519.PublicKey
		want   error
	}{
		{"event byte changed", func(p *proof.Inclusion) {
			p.Event = append(json.RawMessage(nil), p.Event...)
			p.Event[60] ^= 1
		}, pub(), nil},
		{"another event claimed", func(p *proof.Inclusion) { p.Event = m.Records[0].Data }, pub(), merkle.ErrInvalidProof},
		{"position moved", func(p *proof.Inclusion) { p.Position++ }, pub(), merkle.ErrInvalidProof},
		{"proof hash changed", func(p *proof.Inclusion) {
			p.Hashes = append([]merkle.Hash(nil), p.Hashes...)
			p.Hashes[0][0] ^= 1
		}, pub(), merkle.ErrInvalidProof},
		{"seal root changed", func(p *proof.Inclusion) { p.Seal.Root[0] ^= 1 }, pub(), seal.ErrBadSignature},
		{"seal re-signed by another key", func(p *proof.Inclusion) {
			s, err := seal.Sign(key("forger"), p.Seal.Size, p.Seal.Root, p.Seal.SealedAt)
			require.NoError(t, err)
			p.Seal = s
		}, pub(), seal.ErrKeyMismatch},
		{"wrong format", func(p *proof.Inclusion) { p.Format = "x" }, pub(), nil},
		{"document key malformed", func(p *proof.Inclusion) { p.PublicKey.Ed25519 = p.PublicKey.Ed25519[:3] }, nil, seal.ErrInvalidKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := good
			p.Seal.Signature = append([]byte(nil), good.Seal.Signature...)
			tc.mutate(&p)
			_, err := p.Verify(tc.pin)
			assert.ErrorIs(t, err, proof.ErrInvalid)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
			}
		})
	}
}

func TestProveEventErrors(t *testing.T) {
	t.Parallel()
	m, seals := sealed(t)
	_, err := proof.ProveEvent(context.Background(), m, seals, m.Records[len(m.Records)-1].ID, 0)
	assert.ErrorIs(t, err, proof.ErrNotSealed, "the last events are after the latest seal")
	_, err = proof.ProveEvent(context.Background(), m, seals, uuid.New(), 0)
	assert.ErrorIs(t, err, proof.ErrEventNotFound)
	_, err = proof.ProveEvent(context.Background(), m, &fixture.Seals{}, m.Records[0].ID, 0)
	assert.ErrorIs(t, err, proof.ErrNotSealed)
	_, err = proof.ProveEvent(context.Background(), m, seals, m.Records[0].ID, 7)
	assert.ErrorIs(t, err, proof.ErrNotSealed)
}

func TestConsistencyProof(t *testing.T) {
	t.Parallel()
	m, seals := sealed(t)
	half := uint64(len(m.Records) / 2)
	p, err := proof.ProveConsistency(context.Background(), m, seals, half, 0)
	require.NoError(t, err)
	doc, err := json.Marshal(p)
	require.NoError(t, err)
	got, err := proof.Verify(doc, pub())
	require.NoError(t, err)
	assert.Equal(t, half, got.Old.Size)
	assert.Equal(t, uint64(len(m.Records)-3), got.New.Size)

	forked := p
	forked.Old.Root[3] ^= 1
	forked.Old, err = seal.Sign(sealKey, forked.Old.Size, forked.Old.Root, forked.Old.SealedAt)
	require.NoError(t, err)
	_, err = forked.Verify(pub())
	assert.ErrorIs(t, err, merkle.ErrInvalidProof, "a validly signed seal that the log never had")

	_, err = proof.ProveConsistency(context.Background(), m, seals, 5, 0)
	assert.ErrorIs(t, err, proof.ErrNotSealed)
	_, err = proof.Verify([]byte(`{"format":"nope"}`), pub())
	assert.ErrorIs(t, err, proof.ErrInvalid)
}
