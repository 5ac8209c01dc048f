package audit_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/internal/fixture"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// ledgerTickets is the size of the real ledger the tamper tests use: five
// of each flow kind, about 270 events.
const ledgerTickets = 35

// sealKey signs the test ledger's seals.
var sealKey = testKey("ledger seal key")

// prefixLog shows only the first max positions of a log, to seal part-way.
type prefixLog struct {
	audit.Log
	max uint64
}

func (p prefixLog) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	recs, err := p.Log.ReadAll(ctx, after, limit)
	for i, r := range recs {
		if r.Position > p.max {
			return recs[:i], err
		}
	}
	return recs, err
}

// templateLedger builds, once, a real ledger file through the command
// handler, sealed at about half its length and at its head.
var templateLedger = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "audit-template-*")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "ledger.db")
	ctx := context.Background()
	store, err := sqlite.Open(ctx, path, sqlite.Config{})
	if err != nil {
		return "", err
	}
	h := commands.NewHandler(store, commands.WithClientTime())
	if err := fixture.Run(ctx, fixture.FlowsEvery(t0, ledgerTickets, 2*time.Hour), fixture.Handler{H: h}); err != nil {
		return "", err
	}
	seals, err := sqliteaudit.Open(ctx, path)
	if err != nil {
		return "", err
	}
	recs, err := store.ReadAll(ctx, 0, 0)
	if err != nil {
		return "", err
	}
	for _, upTo := range []uint64{uint64(len(recs)) * 2 / 3, uint64(len(recs))} {
		s, err := audit.NewSealer(prefixLog{store, upTo}, seals, sealKey, steppingClock(t0.AddDate(0, 1, 0)))
		if err != nil {
			return "", err
		}
		if _, _, err := s.SealToHead(ctx); err != nil {
			return "", err
		}
	}
	if err := seals.Close(); err != nil {
		return "", err
	}
	if err := store.Close(); err != nil {
		return "", err
	}
	return path, checkpoint(path)
})

// checkpoint folds the WAL into the main file, so that copying the file
// copies the whole ledger.
func checkpoint(path string) error {
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// copyLedger gives a test its own copy of the template ledger.
func copyLedger(t *testing.T) string {
	t.Helper()
	src, err := templateLedger()
	require.NoError(t, err)
	dst := filepath.Join(t.TempDir(), "ledger.db")
	in, err := os.Open(src)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.Create(dst)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
	return dst
}

// rawDB opens the ledger file for tampering behind the store's back.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// row is one stored event, decoded.
type row struct {
	pos  uint64
	data []byte
	env  events.Envelope
}

// readRows returns every event of the ledger file, decoded.
func readRows(t *testing.T, db *sql.DB) []row {
	t.Helper()
	rows, err := db.Query(`SELECT position, data FROM events ORDER BY position`)
	require.NoError(t, err)
	defer rows.Close()
	var out []row
	for rows.Next() {
		var r row
		require.NoError(t, rows.Scan(&r.pos, &r.data))
		r.env, err = events.Decode(r.data)
		require.NoError(t, err)
		out = append(out, r)
	}
	require.NoError(t, rows.Err())
	return out
}

// verifyLedger runs the live-ledger verification on the file, reading the
// events table directly, with the seal key pinned (unless nil).
func verifyLedger(t *testing.T, path string, pinned ed25519.PublicKey) *audit.Report {
	t.Helper()
	ctx := context.Background()
	raw, err := sqliteaudit.Open(ctx, path)
	require.NoError(t, err)
	defer raw.Close()
	rep, err := audit.VerifyLog(ctx, path, raw, raw, audit.Options{PublicKey: pinned, Policies: audit.NewPolicySet(policy.Default())})
	require.NoError(t, err)
	return rep
}

// cancelLog fails like a store whose context ended part-way.
type cancelLog struct {
	audit.Log
	cancel func()
	after  uint64
}

func (c cancelLog) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	if after >= c.after {
		c.cancel()
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return c.Log.ReadAll(ctx, after, min(limit, int(c.after-after)))
}

func TestVerifyLogStopsWithItsContext(t *testing.T) {
	t.Parallel()
	m := memoryLog(t, 600) // more than one read's worth of events
	require.Greater(t, len(m.Records), 4096)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := audit.VerifyLog(ctx, "memory", cancelLog{Log: m, cancel: cancel, after: 4096}, &fixture.Seals{}, audit.Options{})
	require.ErrorIs(t, err, context.Canceled)
}
