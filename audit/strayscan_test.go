package audit_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/eventstore"
)

// classlessColumns declares the events table's stream, revision and type
// without a type: SQLite then keeps every value in the class it was given.
const classlessColumns = `position INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, stream NOT NULL,
	revision NOT NULL, type NOT NULL, data BLOB NOT NULL, UNIQUE (stream, revision)`

// readerOnly hides a log's StrayScanner: the verifier then reads its strays
// in a pass of their own (EventsOutsideLog), the reference path.
type readerOnly struct {
	audit.Log
	audit.StrayReader
}

// The SQLite log finds the rows of another storage class as it reads
// (ReadAllStrays) exactly as the query over the whole table does
// (EventsOutsideLog), and verify reports the same either way.
func TestStraysFoundWhileReadingAreTheWholeTableQuerys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := copyLedger(t)
	db := rawDB(t, path)
	rs := readRows(t, db)
	require.Greater(t, len(rs), 8)
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	// Declared without affinity, a column keeps a value of any class as
	// given; the schema text is then edited back to the ledger's.
	rebuildEvents(t, conn, classlessColumns, "")
	for _, q := range []struct {
		sql string
		pos uint64
	}{
		{`UPDATE events SET stream = CAST(stream AS BLOB) WHERE position = ?`, rs[1].pos},
		{`UPDATE events SET type = CAST(type AS BLOB) WHERE position = ?`, rs[3].pos},
		{`UPDATE events SET revision = CAST(revision AS TEXT) WHERE position = ?`, rs[4].pos},
		{`UPDATE events SET revision = CAST(revision AS REAL) WHERE position = ?`, rs[6].pos},
		{`UPDATE events SET stream = CAST(stream AS BLOB), type = CAST(type AS BLOB) WHERE position = ?`, rs[len(rs)-1].pos},
		{`UPDATE events SET position = 0 WHERE position = ?`, rs[len(rs)-2].pos},
	} {
		_, err := conn.ExecContext(ctx, q.sql, q.pos)
		require.NoError(t, err, q.sql)
	}
	for _, q := range []string{`PRAGMA writable_schema = ON`, `UPDATE sqlite_master SET sql = 'CREATE TABLE "events" (` + strictColumns + `) STRICT' WHERE name = 'events'`} {
		_, err := conn.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	require.NoError(t, conn.Close())
	require.NoError(t, db.Close())

	raw, err := sqliteaudit.OpenReadOnly(ctx, path)
	require.NoError(t, err)
	defer raw.Close()
	want, err := raw.EventsOutsideLog(ctx)
	require.NoError(t, err)
	classes := make([]string, len(want))
	for i, s := range want {
		classes[i] = s.StorageClass
	}
	assert.Equal(t, []string{"", "stream blob", "type blob", "revision text", "revision real", "stream blob"}, classes)

	got, err := raw.EventsBelowLog(ctx)
	require.NoError(t, err)
	var read []eventstore.RecordedEvent
	for after := uint64(0); ; { // in short reads, to cross their ends
		recs, strays, err := raw.ReadAllStrays(ctx, after, 3)
		require.NoError(t, err)
		if len(recs) == 0 {
			break
		}
		read = append(read, recs...)
		got = append(got, strays...)
		after = recs[len(recs)-1].Position
	}
	assert.Equal(t, want, got)
	all, err := raw.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, all, read, "ReadAll reads what ReadAllStrays reads")

	opts := audit.Options{PublicKey: sealPub(), Policies: audit.NewPolicySet(policy.Default())}
	scanned, err := audit.VerifyLog(ctx, path, raw, raw, opts)
	require.NoError(t, err)
	reference, err := audit.VerifyLog(ctx, path, readerOnly{raw, raw}, raw, opts)
	require.NoError(t, err)
	assert.Equal(t, reference, scanned)
	assert.Equal(t, 5, scanned.Counts[audit.CheckColumnMismatch])
	assert.Equal(t, 1, scanned.Counts[audit.CheckOutsideLog])
	assert.False(t, scanned.OK())
}
