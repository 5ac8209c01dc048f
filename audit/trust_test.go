package audit_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	tlog "github.com/disputes-ledger/disputes/audit/checkpoint"
	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// The trust tests: an auditor who pinned the key and kept a checkpoint the
// ledger published earlier catches what a consistent rewrite hides.

const testOrigin = "example.com/ledger"

// storedSeals returns the seals of the ledger file, smallest first.
func storedSeals(t *testing.T, path string) []audit.StoredSeal {
	t.Helper()
	seals, err := sqliteaudit.Open(context.Background(), path)
	require.NoError(t, err)
	defer seals.Close()
	stored, err := seals.Seals(context.Background())
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(stored), 2, "the fixture ledger has two seals")
	return stored
}

// checkpointOf is the checkpoint the ledger published with a seal.
func checkpointOf(t *testing.T, key ed25519.PrivateKey, size uint64, root merkle.Hash) []byte {
	t.Helper()
	text, err := tlog.Sign(key, tlog.Checkpoint{Origin: testOrigin, Size: size, Root: root})
	require.NoError(t, err)
	return text
}

func verifyTrusting(t *testing.T, path string, opts audit.Options) *audit.Report {
	t.Helper()
	ctx := context.Background()
	raw, err := sqliteaudit.Open(ctx, path)
	require.NoError(t, err)
	defer raw.Close()
	opts.Policies = audit.NewPolicySet(policy.Default())
	rep, err := audit.VerifyLog(ctx, path, raw, raw, opts)
	require.NoError(t, err)
	return rep
}

func TestTrustedCheckpointOfEachSealPasses(t *testing.T) {
	t.Parallel()
	path := copyLedger(t)
	for _, s := range storedSeals(t, path) {
		rep := verifyTrusting(t, path, audit.Options{PublicKey: sealPub(), TrustedCheckpoint: checkpointOf(t, sealKey, s.Size, s.Root)})
		assert.True(t, rep.OK(), "checkpoint of size %d: %+v", s.Size, rep.Findings)
		require.NotNil(t, rep.Trusted)
		assert.True(t, rep.Trusted.Verified)
		assert.Equal(t, s.Size, rep.Trusted.Size)
		assert.Equal(t, testOrigin, rep.Trusted.Origin)
	}
}

// Issue 12, finding 2: truncate the log after one seal and delete the later
// seals. Alone, the remains verify; the checkpoint the auditor holds does not
// let them.
func TestTrustedCheckpointCatchesRollback(t *testing.T) {
	t.Parallel()
	path := copyLedger(t)
	stored := storedSeals(t, path)
	first, latest := stored[0], stored[len(stored)-1]
	db := rawDB(t, path)
	_, err := db.Exec(`DELETE FROM events WHERE position > ?`, first.Size)
	require.NoError(t, err)
	_, err = db.Exec(`DELETE FROM audit_seals WHERE size > ?`, first.Size)
	require.NoError(t, err)

	rep := verifyTrusting(t, path, audit.Options{PublicKey: sealPub()})
	assert.True(t, rep.OK(), "without a checkpoint a clean rollback is invisible: %+v", rep.Findings)

	rep = verifyTrusting(t, path, audit.Options{PublicKey: sealPub(), TrustedCheckpoint: checkpointOf(t, sealKey, latest.Size, latest.Root)})
	assert.Equal(t, []audit.Check{audit.CheckRollback}, checksOf(rep))
	f := rep.Of(audit.CheckRollback)[0]
	assert.Equal(t, latest.Size, f.Seal)
	assert.Contains(t, f.Message, "rolled back")
}

// Issue 12, finding 1: delete the seals and rewrite an event consistently.
func TestDeletedSealsAndRehashedEditFail(t *testing.T) {
	t.Parallel()
	path := copyLedger(t)
	stored := storedSeals(t, path)
	db := rawDB(t, path)
	rehashFirstTicket(t, db, stored[0].Size)
	_, err := db.Exec(`DELETE FROM audit_seals`)
	require.NoError(t, err)

	rep := verifyTrusting(t, path, audit.Options{PublicKey: sealPub()})
	assert.Equal(t, []audit.Check{audit.CheckSealMissing}, checksOf(rep), "a pinned key and no seal is a FAIL")

	latest := stored[len(stored)-1]
	rep = verifyTrusting(t, path, audit.Options{PublicKey: sealPub(), TrustedCheckpoint: checkpointOf(t, sealKey, latest.Size, latest.Root)})
	assert.Equal(t, []audit.Check{audit.CheckFork, audit.CheckSealMissing}, checksOf(rep))
	assert.Contains(t, rep.Of(audit.CheckFork)[0].Message, "after you received the checkpoint")
}

// A seal deleted from the middle, the log intact: the checkpoint names the
// seal it came with.
func TestTrustedCheckpointCatchesADeletedSeal(t *testing.T) {
	t.Parallel()
	path := copyLedger(t)
	stored := storedSeals(t, path)
	first := stored[0]
	_, err := rawDB(t, path).Exec(`DELETE FROM audit_seals WHERE size = ?`, first.Size)
	require.NoError(t, err)
	rep := verifyTrusting(t, path, audit.Options{PublicKey: sealPub(), TrustedCheckpoint: checkpointOf(t, sealKey, first.Size, first.Root)})
	assert.Equal(t, []audit.Check{audit.CheckSealMissing}, checksOf(rep))
	assert.Equal(t, first.Size, rep.Of(audit.CheckSealMissing)[0].Seal)
}

// The ledger shows the auditor a history whose root at a checkpoint's size
// is not the one the auditor was given: a fork, even though the ledger's
// own seals agree with its log.
func TestTrustedCheckpointCatchesFork(t *testing.T) {
	t.Parallel()
	path := copyLedger(t)
	first := storedSeals(t, path)[0]
	other := merkle.LeafHash([]byte("the history the auditor was shown"))
	rep := verifyTrusting(t, path, audit.Options{PublicKey: sealPub(), TrustedCheckpoint: checkpointOf(t, sealKey, first.Size, other)})
	assert.Equal(t, []audit.Check{audit.CheckFork}, checksOf(rep))
	assert.Equal(t, 2, rep.Counts[audit.CheckFork], "the seal and the log's own root both disagree")
}

func TestTrustedCheckpointSignedByAnotherKey(t *testing.T) {
	t.Parallel()
	path := copyLedger(t)
	first := storedSeals(t, path)[0]
	forged := checkpointOf(t, testKey("forger"), first.Size, first.Root)
	rep := verifyTrusting(t, path, audit.Options{PublicKey: sealPub(), TrustedCheckpoint: forged})
	assert.Equal(t, []audit.Check{audit.CheckCheckpointSignature}, checksOf(rep))
	require.NotNil(t, rep.Trusted)
	assert.False(t, rep.Trusted.Verified)

	rep = verifyTrusting(t, path, audit.Options{PublicKey: sealPub(), TrustedCheckpoint: []byte("not a checkpoint")})
	assert.Equal(t, []audit.Check{audit.CheckCheckpointSignature}, checksOf(rep))
}

// Issue 12, finding 3: re-sealed with a forger's key, the log passes when
// the verifier takes the key the ledger offers. Strict by default, it does
// not.
func TestForgedResealWithoutPinnedKeyFails(t *testing.T) {
	t.Parallel()
	path := copyLedger(t)
	db := rawDB(t, path)
	rehashFirstTicket(t, db, storedSeals(t, path)[0].Size)
	_, err := db.Exec(`DELETE FROM audit_seals`)
	require.NoError(t, err)
	forger := testKey("forger")
	resealWith(t, path, forger)

	rep := verifyTrusting(t, path, audit.Options{})
	assert.Equal(t, []audit.Check{audit.CheckKeyNotPinned}, checksOf(rep))
	assert.Contains(t, rep.Of(audit.CheckKeyNotPinned)[0].Message, rep.KeyID)

	rep = verifyTrusting(t, path, audit.Options{TrustOnFirstUse: true})
	assert.True(t, rep.OK(), "trust on first use is the auditor's explicit choice: it passes, and warns")
	assert.Contains(t, rep.Warnings[0], "not pinned")

	rep = verifyTrusting(t, path, audit.Options{PublicKey: sealPub()})
	assert.Contains(t, checksOf(rep), audit.CheckSealSignature)
	assert.Contains(t, checksOf(rep), audit.CheckPublicKey)
}

// rehashFirstTicket rewrites the request of the first ticket ruled under
// the first seal and re-chains its stream, so that every hash and link
// verifies again.
func rehashFirstTicket(t *testing.T, db *sql.DB, firstSeal uint64) {
	t.Helper()
	rs := readRows(t, db)
	victim := firstOf(t, rs, events.TypeRulingRecorded, firstSeal, nil)
	stream := streamRows(rs, victim.env.Stream)
	envs := make([]events.Envelope, len(stream))
	for i, r := range stream {
		envs[i] = r.env
	}
	req := envs[0].Payload.(events.RefundRequested)
	req.Description = "rewritten after the fact"
	envs[0].Payload = req
	_, wire, err := events.Link(nil, envs)
	require.NoError(t, err)
	for i, r := range stream {
		_, err := db.Exec(`UPDATE events SET data = ? WHERE position = ?`, wire[i], r.pos)
		require.NoError(t, err)
	}
}

// resealWith seals the ledger file's whole log with key.
func resealWith(t *testing.T, path string, key ed25519.PrivateKey) {
	t.Helper()
	ctx := context.Background()
	raw, err := sqliteaudit.Open(ctx, path)
	require.NoError(t, err)
	defer raw.Close()
	s, err := audit.NewSealer(raw, raw, key, steppingClock(t0.AddDate(1, 0, 0)))
	require.NoError(t, err)
	_, made, err := s.SealToHead(ctx)
	require.NoError(t, err)
	require.True(t, made)
}
