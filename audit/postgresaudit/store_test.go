package postgresaudit_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/postgresaudit"
	"github.com/disputes-ledger/disputes/audit/sealtest"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
	"github.com/disputes-ledger/disputes/eventstore/storetest"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

func open(t *testing.T, connString string, cfg postgresaudit.Config) *postgresaudit.Store {
	t.Helper()
	s, err := postgresaudit.Open(context.Background(), connString, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	sealtest.Run(t, func(t *testing.T) sealtest.Open {
		connString, _ := testenv.PostgresSchema(t)
		return func(t *testing.T) audit.SealStore { return open(t, connString, postgresaudit.Config{}) }
	})
}

// TestConcurrentStartUp opens many stores at once on a schema that does
// not exist yet, beside the event store opening there too: the shared
// migration lock lets exactly one create the schema and each table.
func TestConcurrentStartUp(t *testing.T) {
	ctx := context.Background()
	base, _ := testenv.PostgresSchema(t) // a schema dropped at the end; we use another
	schema := testenv.RandomName("t_")
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		_, err = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
		require.NoError(t, err)
	})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				s, err := postgres.Open(ctx, base, postgres.Config{Schema: schema})
				if err == nil {
					err = s.Close()
				}
				errs[i] = err
				return
			}
			s, err := postgresaudit.Open(ctx, base, postgresaudit.Config{Schema: schema})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "opener %d", i)
	}
	s := open(t, base, postgresaudit.Config{Schema: schema})
	priv := sealtest.Key("a")
	require.NoError(t, s.AddSeal(ctx, sealtest.Signed(t, priv, 1, "r"), priv.Public().(ed25519.PublicKey)))
}

// TestReadOnlyCreatesNothing: a read-only store refuses a schema without a
// ledger, reads a ledger without seal tables as no seals, creates nothing
// and refuses to add.
func TestReadOnlyCreatesNothing(t *testing.T) {
	ctx := context.Background()
	connString, schema := testenv.PostgresSchema(t)
	conn, err := pgx.Connect(ctx, connString)
	require.NoError(t, err)
	defer conn.Close(ctx)
	tables := func() []string {
		rows, err := conn.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`, schema)
		require.NoError(t, err)
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return names
	}
	_, err = postgresaudit.Open(ctx, connString, postgresaudit.Config{ReadOnly: true})
	require.ErrorIs(t, err, postgresaudit.ErrNoLedger)
	assert.Empty(t, tables(), "no ledger: nothing created")

	events, err := postgres.Open(ctx, connString, postgres.Config{})
	require.NoError(t, err)
	require.NoError(t, events.Close())
	before := tables()
	ro := open(t, connString, postgresaudit.Config{ReadOnly: true})
	got, err := ro.Seals(ctx)
	require.NoError(t, err)
	assert.Empty(t, got)
	_, ok, err := ro.LatestSeal(ctx)
	require.NoError(t, err)
	assert.False(t, ok)
	priv := sealtest.Key("a")
	sl := sealtest.Signed(t, priv, 3, "r")
	assert.ErrorIs(t, ro.AddSeal(ctx, sl, priv.Public().(ed25519.PublicKey)), postgresaudit.ErrReadOnly)
	assert.Equal(t, before, tables(), "a read-only open creates no table")

	rw := open(t, connString, postgresaudit.Config{})
	require.NoError(t, rw.AddSeal(ctx, sl, priv.Public().(ed25519.PublicKey)))
	ro = open(t, connString, postgresaudit.Config{ReadOnly: true})
	got, err = ro.Seals(ctx)
	require.NoError(t, err)
	require.Len(t, got, 1, "a read-only store sees the seals a writer stored")
	assert.Equal(t, sl, got[0].Seal)

	_, err = conn.Exec(ctx, `INSERT INTO audit_migrations (version, name) VALUES (99, 'from the future')`)
	require.NoError(t, err)
	_, err = postgresaudit.Open(ctx, connString, postgresaudit.Config{ReadOnly: true})
	assert.ErrorIs(t, err, postgresaudit.ErrSchemaTooNew)
	_, err = postgresaudit.Open(ctx, connString, postgresaudit.Config{})
	assert.ErrorIs(t, err, postgresaudit.ErrSchemaTooNew)
}

// TestReadAllShowsGaps reads the event store's table as it is: a deleted
// row is a gap the verifier reports, not an error that hides the rest.
func TestReadAllShowsGaps(t *testing.T) {
	ctx := context.Background()
	connString, _ := testenv.PostgresSchema(t)
	store, err := postgres.Open(ctx, connString, postgres.Config{})
	require.NoError(t, err)
	defer store.Close()
	var ids []uuid.UUID
	for i := range 5 {
		e := eventstore.EventData{ID: uuid.New(), Type: "t", Revision: uint64(i), Data: fmt.Appendf(nil, `{"i":%d}`, i)}
		ids = append(ids, e.ID)
		_, err := store.Append(ctx, "s", eventstore.Any(), []eventstore.EventData{e})
		require.NoError(t, err)
	}
	_, err = store.Pool().Exec(ctx, `DELETE FROM eventstore_events WHERE position = 3`)
	require.NoError(t, err)

	raw := open(t, connString, postgresaudit.Config{ReadOnly: true})
	all, err := raw.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	var positions []uint64
	for _, e := range all {
		positions = append(positions, e.Position)
	}
	assert.Equal(t, []uint64{1, 2, 4, 5}, positions)
	page, err := raw.ReadAll(ctx, 2, 1)
	require.NoError(t, err)
	require.Len(t, page, 1)
	assert.Equal(t, uint64(4), page[0].Position)
	assert.Equal(t, ids[3], page[0].ID)
	assert.Equal(t, `{"i":3}`, string(page[0].Data))
}

// TestReadAllShowsEditedColumns reads the columns as stored, edits
// included, where the event store refuses the row: the verifier compares
// them with the signed bytes and reports each disagreement.
func TestReadAllShowsEditedColumns(t *testing.T) {
	ctx := context.Background()
	connString, _ := testenv.PostgresSchema(t)
	store, err := postgres.Open(ctx, connString, postgres.Config{})
	require.NoError(t, err)
	defer store.Close()
	id := uuid.Must(uuid.NewV7())
	_, err = store.Append(ctx, "ticket-a", eventstore.NoStream(), []eventstore.EventData{{
		ID: id, Type: "refund.requested", Data: storetest.HeaderData(id, "ticket-a", 0, "refund.requested")}})
	require.NoError(t, err)
	_, err = store.Pool().Exec(ctx, `UPDATE eventstore_events SET stream = 'ticket-hidden', revision = 7, type = 'x' WHERE position = 1`)
	require.NoError(t, err)

	_, err = store.ReadAll(ctx, 0, 0)
	require.ErrorIs(t, err, eventstore.ErrCorrupt)
	raw := open(t, connString, postgresaudit.Config{ReadOnly: true})
	all, err := raw.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, "ticket-hidden", all[0].Stream)
	assert.Equal(t, uint64(7), all[0].Revision)
	assert.Equal(t, "x", all[0].Type)
	assert.Equal(t, id, all[0].ID)
	assert.ErrorIs(t, eventstore.CheckColumns(&all[0]), eventstore.ErrCorrupt)
}

// TestEventsOutsideLog: with the table's CHECK (position > 0) dropped, an
// operator can park an event at position 0 or below, where ReadAll (and so
// every seal) never reaches it; the audit reader names each such row for
// the verifier (audit.CheckOutsideLog).
func TestEventsOutsideLog(t *testing.T) {
	ctx := context.Background()
	connString, _ := testenv.PostgresSchema(t)
	store, err := postgres.Open(ctx, connString, postgres.Config{})
	require.NoError(t, err)
	defer store.Close()
	for i := range 3 {
		e := eventstore.EventData{ID: uuid.New(), Type: "t", Revision: uint64(i), Data: fmt.Appendf(nil, `{"i":%d}`, i)}
		_, err := store.Append(ctx, "s", eventstore.Any(), []eventstore.EventData{e})
		require.NoError(t, err)
	}
	raw := open(t, connString, postgresaudit.Config{ReadOnly: true})
	none, err := raw.EventsOutsideLog(ctx)
	require.NoError(t, err)
	assert.Empty(t, none, "an untouched table has none")

	_, err = store.Pool().Exec(ctx, `DO $$ DECLARE c text; BEGIN
		FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'eventstore_events'::regclass AND contype = 'c' LOOP
			EXECUTE format('ALTER TABLE eventstore_events DROP CONSTRAINT %I', c);
		END LOOP; END $$`)
	require.NoError(t, err)
	_, err = store.Pool().Exec(ctx, `UPDATE eventstore_events SET position = -4 WHERE position = 3`)
	require.NoError(t, err)

	strays, err := raw.EventsOutsideLog(ctx)
	require.NoError(t, err)
	assert.Equal(t, []audit.StrayEvent{{Position: -4, Stream: "s", Revision: 2}}, strays)

	// With the key dropped too, a row at no position at all (NULL) is
	// outside the log as well: "position <= 0" alone never matched it
	// (session 7's review).
	_, err = store.Pool().Exec(ctx, `ALTER TABLE eventstore_events DROP CONSTRAINT eventstore_events_pkey`)
	require.NoError(t, err)
	_, err = store.Pool().Exec(ctx, `ALTER TABLE eventstore_events ALTER COLUMN position DROP NOT NULL`)
	require.NoError(t, err)
	_, err = store.Pool().Exec(ctx, `UPDATE eventstore_events SET position = NULL WHERE position = 2`)
	require.NoError(t, err)
	strays, err = raw.EventsOutsideLog(ctx)
	require.NoError(t, err)
	assert.Equal(t, []audit.StrayEvent{{Position: -4, Stream: "s", Revision: 2}, {Position: 0, NoPosition: true, Stream: "s", Revision: 1}}, strays)
}
