package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/bundle"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// The tamper tests alter a real ledger file with raw SQL, as an operator
// with write access to the database could, and check that verification
// names each change: which check fails, at which position, on which ticket.

func sealPub() ed25519.PublicKey { return sealKey.Public().(ed25519.PublicKey) }

// checksOf returns the checks that have findings, sorted.
func checksOf(rep *audit.Report) []audit.Check {
	return slices.Sorted(maps.Keys(rep.Counts))
}

// requireFinding returns the finding of check at pos, failing if there is none.
func requireFinding(t *testing.T, rep *audit.Report, check audit.Check, pos uint64) audit.Finding {
	t.Helper()
	for _, f := range rep.Of(check) {
		if f.Position == pos {
			return f
		}
	}
	require.Failf(t, "finding missing", "no %s finding at position %d; findings: %+v", check, pos, rep.Findings)
	return audit.Finding{}
}

func ticketOf(r row) string { return events.TicketOf(r.env.Stream) }

// streamRows returns the rows of one ticket, in position order.
func streamRows(rs []row, stream string) []row {
	var out []row
	for _, r := range rs {
		if r.env.Stream == stream {
			out = append(out, r)
		}
	}
	return out
}

// firstOf returns the first row of type typ in a ticket whose position is
// at most maxPos and whose stream satisfies ok.
func firstOf(t *testing.T, rs []row, typ string, maxPos uint64, ok func(stream []row) bool) row {
	t.Helper()
	for _, r := range rs {
		if r.env.Type == typ && r.pos <= maxPos && (ok == nil || ok(streamRows(rs, r.env.Stream))) {
			return r
		}
	}
	require.Failf(t, "no row", "no %s event at or before position %d", typ, maxPos)
	return row{}
}

// firstSealSize returns the size of the ledger's smallest seal.
func firstSealSize(t *testing.T, db *sql.DB) uint64 {
	t.Helper()
	var size uint64
	require.NoError(t, db.QueryRow(`SELECT min(size) FROM audit_seals`).Scan(&size))
	return size
}

func TestCleanLedgerVerifies(t *testing.T) {
	t.Parallel()
	path := copyLedger(t)
	rep := verifyLedger(t, path, sealPub())
	assert.Empty(t, rep.Findings)
	assert.True(t, rep.OK())
	assert.Equal(t, 2, rep.Seals)
	assert.Equal(t, ledgerTickets, rep.Tickets)
	assert.Equal(t, rep.LastPosition, rep.SealedSize)
	assert.Empty(t, rep.Warnings)
}

func TestTamperOnePayloadByte(t *testing.T) {
	t.Parallel()
	path := copyLedger(t)
	db := rawDB(t, path)
	rs := readRows(t, db)
	target := firstOf(t, rs, events.TypeRulingRecorded, firstSealSize(t, db), nil)

	// Change one byte of the ruling's rationale; leave the stored hash.
	i := bytes.Index(target.data, []byte(`"rationale":"`)) + len(`"rationale":"`)
	data := bytes.Clone(target.data)
	data[i]++
	_, err := db.Exec(`UPDATE events SET data = ? WHERE position = ?`, data, target.pos)
	require.NoError(t, err)

	rep := verifyLedger(t, path, sealPub())
	assert.Equal(t, []audit.Check{audit.CheckEventHash}, checksOf(rep))
	f := requireFinding(t, rep, audit.CheckEventHash, target.pos)
	assert.Equal(t, ticketOf(target), f.Ticket)
	require.NotNil(t, f.Revision)
	assert.Equal(t, target.env.Revision, *f.Revision)
	assert.Contains(t, f.Message, "hash")
}

func TestTamperDeleteEvent(t *testing.T) {
	t.Parallel()
	path := copyLedger(t)
	db := rawDB(t, path)
	rs := readRows(t, db)
	target := firstOf(t, rs, events.TypeMessagePosted, firstSealSize(t, db), nil)
	stream := streamRows(rs, target.env.Stream)
	next := stream[slices.IndexFunc(stream, func(r row) bool { return r.pos == target.pos })+1]

	_, err := db.Exec(`DELETE FROM events WHERE position = ?`, target.pos)
	require.NoError(t, err)

	rep := verifyLedger(t, path, sealPub())
	assert.Equal(t, []audit.Check{audit.CheckChain, audit.CheckLogGap, audit.CheckSealRoot}, checksOf(rep))
	assert.Contains(t, requireFinding(t, rep, audit.CheckLogGap, target.pos).Message, fmt.Sprintf("position %d is missing", target.pos))
	chain := requireFinding(t, rep, audit.CheckChain, next.pos)
	assert.Equal(t, ticketOf(target), chain.Ticket)
	assert.Contains(t, chain.Message, fmt.Sprintf("revision %d follows revision %d", next.env.Revision, target.env.Revision-1))
	assert.Equal(t, 2, rep.Counts[audit.CheckSealRoot], "both seals cover the deleted position")
}

// swapRows exchanges the rows at positions a and b.
func swapRows(t *testing.T, db *sql.DB, a, b uint64) {
	t.Helper()
	for _, q := range [][2]int64{{int64(a), -1}, {int64(b), int64(a)}, {-1, int64(b)}} {
		_, err := db.Exec(`UPDATE events SET position = ? WHERE position = ?`, q[1], q[0])
		require.NoError(t, err)
	}
}

func TestTamperSwapTwoEventsOfATicket(t *testing.T) {
	t.Parallel()
	path := copyLedger(t)
	db := rawDB(t, path)
	rs := readRows(t, db)
	// The merchant's and the buyer's evidence: consecutive revisions of one ticket.
	a := firstOf(t, rs, events.TypeEvidenceSubmitted, firstSealSize(t, db), nil)
	stream := streamRows(rs, a.env.Stream)
	b := stream[slices.IndexFunc(stream, func(r row) bool { return r.pos == a.pos })+1]
	require.Equal(t, events.TypeEvidenceSubmitted, b.env.Type)

	swapRows(t, db, a.pos, b.pos)

	rep := verifyLedger(t, path, sealPub())
	assert.Equal(t, []audit.Check{audit.CheckChain, audit.CheckSealRoot}, checksOf(rep))
	for _, pos := range []uint64{a.pos, b.pos} {
		f := requireFinding(t, rep, audit.CheckChain, pos)
		assert.Equal(t, ticketOf(a), f.Ticket)
	}
	assert.Contains(t, requireFinding(t, rep, audit.CheckChain, a.pos).Message,
		fmt.Sprintf("revision %d follows revision %d", b.env.Revision, a.env.Revision-1))
}

func TestTamperSwapEventsOfTwoTicketsCaughtBySeal(t *testing.T) {
	t.Parallel()
	path := copyLedger(t)
	db := rawDB(t, path)
	rs := readRows(t, db)
	first := firstSealSize(t, db)
	// Two neighbours from different tickets: each ticket's own order, and so
	// every chain, survives the swap; only the log's order changes.
	i := slices.IndexFunc(rs, func(r row) bool { return r.pos > 10 && rs[r.pos].env.Stream != r.env.Stream })
	a, b := rs[i], rs[i+1]
	require.Less(t, b.pos, first)

	swapRows(t, db, a.pos, b.pos)

	rep := verifyLedger(t, path, sealPub())
	assert.Equal(t, []audit.Check{audit.CheckSealRoot}, checksOf(rep))
	f := requireFinding(t, rep, audit.CheckSealRoot, first)
	assert.Equal(t, first, f.Seal)
	assert.Contains(t, f.Message, fmt.Sprintf("positions 1..%d", first))
}

func TestTamperRewriteWholeTicketCaughtBySeal(t *testing.T) {
	t.Parallel()
	path := copyLedger(t)
	db := rawDB(t, path)
	first := firstSealSize(t, db)

	// Rewrite the request's description and re-chain the whole stream with
	// fresh hashes: every event and every link is valid again.
	rehashFirstTicket(t, db, first)

	rep := verifyLedger(t, path, sealPub())
	assert.Equal(t, []audit.Check{audit.CheckSealRoot}, checksOf(rep))
	f := requireFinding(t, rep, audit.CheckSealRoot, first)
	assert.Contains(t, f.Message, "altered, removed, added or moved")
}

func TestTamperSealResignedWithAnotherKey(t *testing.T) {
	t.Parallel()
	for _, pinned := range []bool{true, false} {
		t.Run(fmt.Sprintf("pinned=%t", pinned), func(t *testing.T) {
			t.Parallel()
			path := copyLedger(t)
			db := rawDB(t, path)
			first := firstSealSize(t, db)
			seals, err := sqliteaudit.Open(context.Background(), path)
			require.NoError(t, err)
			stored, err := seals.Seals(context.Background())
			require.NoError(t, err)
			require.NoError(t, seals.Close())

			other := testKey("forger")
			forged, err := seal.Sign(other, stored[0].Size, stored[0].Root, stored[0].SealedAt)
			require.NoError(t, err)
			_, err = db.Exec(`UPDATE audit_seals SET signature = ?, key_id = ?, public_key = ? WHERE size = ?`,
				forged.Signature, forged.KeyID, []byte(other.Public().(ed25519.PublicKey)), first)
			require.NoError(t, err)

			var pin ed25519.PublicKey
			if pinned {
				pin = sealPub()
			}
			rep := verifyLedger(t, path, pin)
			want := []audit.Check{audit.CheckSealSignature}
			if !pinned {
				want = []audit.Check{audit.CheckKeyNotPinned, audit.CheckSealSignature}
			}
			assert.Equal(t, want, checksOf(rep))
			f := rep.Of(audit.CheckSealSignature)[0]
			assert.Equal(t, first, f.Seal)
			assert.Contains(t, f.Message, seal.KeyID(other.Public().(ed25519.PublicKey)))
		})
	}
}

func TestTamperRulingCitesEvidenceRecordedAfterIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := copyLedger(t)
	db := rawDB(t, path)
	rs := readRows(t, db)
	// A ticket whose ruling is its last event (the appeal window is open).
	ruling := firstOf(t, rs, events.TypeRulingRecorded, ^uint64(0), func(s []row) bool {
		return s[len(s)-1].env.Type == events.TypeRulingRecorded
	})
	stream := streamRows(rs, ruling.env.Stream)
	prev := stream[len(stream)-2].env

	// Behind the domain's back: the ruling now cites "ev-forged", and an
	// evidence event with that id is appended after it, both correctly chained.
	payload := ruling.env.Payload.(events.RulingRecorded)
	payload.Evidence = []string{"ev-forged"}
	ruling.env.Payload = payload
	sealed, wire, err := events.Link(&prev, []events.Envelope{ruling.env})
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE events SET data = ? WHERE position = ?`, wire[0], ruling.pos)
	require.NoError(t, err)
	forged := events.Envelope{ID: uuid.Must(uuid.NewV7()), Stream: ruling.env.Stream, Type: events.TypeEvidenceSubmitted,
		SchemaVersion: events.CurrentSchemaVersion, OccurredAt: ruling.env.OccurredAt.Add(time.Hour),
		Actor: events.Actor{Role: events.RoleMerchant, ID: "forger"}, CommandID: "forged", CorrelationID: "forged",
		Payload: events.EvidenceSubmitted{Party: events.RoleMerchant, Items: []events.EvidenceItem{{ID: "ev-forged", Kind: "photo",
			Description: "made up", SHA256: fmt.Sprintf("%064d", 0), URI: "s3://x"}}}}
	fs, fwire, err := events.Link(&sealed[0], []events.Envelope{forged})
	require.NoError(t, err)
	last := rs[len(rs)-1].pos
	_, err = db.Exec(`INSERT INTO events (position, id, stream, revision, type, data) VALUES (?, ?, ?, ?, ?, ?)`,
		last+1, fs[0].ID[:], fs[0].Stream, fs[0].Revision, fs[0].Type, fwire[0])
	require.NoError(t, err)

	// The operator then seals afresh, so the seals agree with the altered
	// log: only the replay of the ruling can catch it.
	_, err = db.Exec(`DELETE FROM audit_seals`)
	require.NoError(t, err)
	store, err := sqlite.Open(ctx, path, sqlite.Config{})
	require.NoError(t, err)
	seals, err := sqliteaudit.Open(ctx, path)
	require.NoError(t, err)
	s, err := audit.NewSealer(store, seals, sealKey, steppingClock(t0.AddDate(0, 2, 0)))
	require.NoError(t, err)
	_, _, err = s.SealToHead(ctx)
	require.NoError(t, err)
	require.NoError(t, seals.Close())
	require.NoError(t, store.Close())

	rep := verifyLedger(t, path, sealPub())
	assert.Equal(t, []audit.Check{audit.CheckEvidenceState, audit.CheckRulingEvidence}, checksOf(rep))
	f := requireFinding(t, rep, audit.CheckRulingEvidence, ruling.pos)
	assert.Equal(t, ticketOf(ruling), f.Ticket)
	assert.Contains(t, f.Message, `"ev-forged"`)
	assert.Contains(t, f.Message, fmt.Sprintf("recorded only after the ruling, at position %d", last+1))
	assert.Equal(t, ticketOf(ruling), requireFinding(t, rep, audit.CheckEvidenceState, last+1).Ticket)
}

// TestTamperIndexColumns edits only a column the application reads beside
// an event's bytes (the example: a ruling moved to another ticket
// as its first event). The bytes and every seal still verify; the column
// must not: verify, a bundle exported from the ledger, and the store's own
// reads all refuse it.
func TestTamperIndexColumns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		column string
		set    string
		value  func(r row) any
	}{
		{"stream", "stream = ?, revision = 0", func(row) any { return "ticket-hidden" }},
		{"revision", "revision = ?", func(r row) any { return r.env.Revision + 50 }},
		{"type", "type = ?", func(row) any { return events.TypeTicketWithdrawn }},
		{"id", "id = ?", func(row) any { id := uuid.Must(uuid.NewV7()); return id[:] }},
	} {
		t.Run(tc.column, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := copyLedger(t)
			db := rawDB(t, path)
			target := firstOf(t, readRows(t, db), events.TypeRulingRecorded, firstSealSize(t, db), nil)
			_, err := db.Exec(`UPDATE events SET `+tc.set+` WHERE position = ?`, tc.value(target), target.pos)
			require.NoError(t, err)

			rep := verifyLedger(t, path, sealPub())
			assert.Equal(t, []audit.Check{audit.CheckColumnMismatch}, checksOf(rep))
			f := requireFinding(t, rep, audit.CheckColumnMismatch, target.pos)
			assert.Equal(t, ticketOf(target), f.Ticket, "the finding names the ticket the signed bytes belong to")
			assert.Contains(t, f.Message, tc.column+" column")

			raw, err := sqliteaudit.Open(ctx, path)
			require.NoError(t, err)
			defer raw.Close()
			var b bytes.Buffer
			_, err = bundle.Export(ctx, &b, bundle.Source{Log: raw, Seals: raw, Policies: audit.NewPolicySet(policy.Default())},
				bundle.Scope{Kind: bundle.ScopeAll}, t0.AddDate(0, 3, 0))
			require.NoError(t, err)
			brep, err := bundle.Verify(&b, "tampered.jsonl", audit.Options{PublicKey: sealPub()})
			require.NoError(t, err)
			assert.Equal(t, []audit.Check{audit.CheckColumnMismatch}, checksOf(brep))
			requireFinding(t, brep, audit.CheckColumnMismatch, target.pos)

			store, err := sqlite.Open(ctx, path, sqlite.Config{})
			require.NoError(t, err)
			defer store.Close()
			_, err = store.ReadAll(ctx, 0, 0)
			assert.ErrorIs(t, err, eventstore.ErrCorrupt, "the application's reads refuse the row too")
		})
	}
}

// TestTamperPolicyDocument gives the verifier of a live ledger a policy
// document edited after the fact under the version the events name: the
// events' recorded SHA-256 says it is not the policy they were decided
// under.
func TestTamperPolicyDocument(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := copyLedger(t)
	edited := policy.Default()
	edited.CompensationMultiple = 3
	raw, err := sqliteaudit.Open(ctx, path)
	require.NoError(t, err)
	defer raw.Close()
	rep, err := audit.VerifyLog(ctx, path, raw, raw, audit.Options{PublicKey: sealPub(), Policies: audit.NewPolicySet(edited)})
	require.NoError(t, err)
	require.True(t, rep.Has(audit.CheckPolicyHash), "%+v", rep.Findings)
	assert.Equal(t, 1, rep.Counts[audit.CheckPolicyHash])
	assert.Contains(t, rep.Of(audit.CheckPolicyHash)[0].Message, policy.Default().SHA256())
	assert.True(t, verifyLedger(t, path, sealPub()).OK(), "the policy the events were decided under passes")
}
