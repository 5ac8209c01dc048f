package postgres_test

import (
	"context"
	"testing"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
	"github.com/disputes-ledger/disputes/eventstore/storetest"
	"github.com/disputes-ledger/disputes/internal/testenv"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// openStore opens a store in a fresh schema of the test database and closes
// it when the test ends (before the schema is dropped).
func openStore(tb testing.TB, cfg postgres.Config) (*postgres.Store, string) {
	tb.Helper()
	connString, _ := testenv.PostgresSchema(tb)
	s, err := postgres.Open(context.Background(), connString, cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, s.Close()) })
	return s, connString
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		s, _ := openStore(t, postgres.Config{})
		return s
	})
}

// TestCorruption edits the events table behind the store, as an operator
// with write access to the database could: every read must refuse the
// edited row.
func TestCorruption(t *testing.T) {
	var connString string // the current subtest's schema: subtests run one at a time
	storetest.RunCorruption(t, func(t *testing.T) eventstore.Store {
		var s *postgres.Store
		s, connString = openStore(t, postgres.Config{})
		return s
	}, func(t *testing.T, ev eventstore.RecordedEvent, column storetest.Column) string {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, connString)
		require.NoError(t, err)
		defer conn.Close(ctx)
		value := storetest.TamperedValue(ev, column)
		if rev, ok := value.(uint64); ok {
			value = int64(rev)
		}
		_, err = conn.Exec(ctx, `UPDATE eventstore_events SET `+string(column)+` = $1 WHERE position = $2`, value, int64(ev.Position))
		require.NoError(t, err)
		if column == storetest.ColumnStream {
			return value.(string)
		}
		return ev.Stream
	})
}
