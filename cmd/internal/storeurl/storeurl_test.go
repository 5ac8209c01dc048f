package storeurl_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/kurrentdb"
	"github.com/disputes-ledger/disputes/eventstore/kurrentdb/kurrenttest"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		raw     string
		want    storeurl.Target
		wantErr error
	}{
		{"disputes.db", storeurl.Target{Backend: storeurl.SQLite, Path: "disputes.db"}, nil},
		{"./data/ledger.db", storeurl.Target{Backend: storeurl.SQLite, Path: "./data/ledger.db"}, nil},
		{"/var/lib/a:b.db", storeurl.Target{Backend: storeurl.SQLite, Path: "/var/lib/a:b.db"}, nil},
		{`C:\ledger.db`, storeurl.Target{Backend: storeurl.SQLite, Path: `C:\ledger.db`}, nil},
		{"sqlite:ledger.db", storeurl.Target{Backend: storeurl.SQLite, Path: "ledger.db"}, nil},
		{"sqlite:/tmp/ledger.db", storeurl.Target{Backend: storeurl.SQLite, Path: "/tmp/ledger.db"}, nil},
		{"sqlite:///tmp/ledger.db", storeurl.Target{Backend: storeurl.SQLite, Path: "/tmp/ledger.db"}, nil},
		{"SQLite:ledger.db", storeurl.Target{Backend: storeurl.SQLite, Path: "ledger.db"}, nil},
		{"postgres://u@db:5432/ledger?search_path=s", storeurl.Target{Backend: storeurl.Postgres, URL: "postgres://u@db:5432/ledger?search_path=s"}, nil},
		{"postgresql://localhost/ledger", storeurl.Target{Backend: storeurl.Postgres, URL: "postgresql://localhost/ledger"}, nil},
		{"kurrentdb://localhost:2113?tls=false", storeurl.Target{Backend: storeurl.KurrentDB, URL: "kurrentdb://localhost:2113?tls=false"}, nil},
		{"esdb://localhost:2113", storeurl.Target{Backend: storeurl.KurrentDB, URL: "esdb://localhost:2113"}, nil},
		{"mysql://localhost/ledger", storeurl.Target{}, storeurl.ErrUnknownScheme},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := storeurl.Parse(tc.raw)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	for _, bad := range []string{"", "sqlite:", "sqlite://"} {
		_, err := storeurl.Parse(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestRedacted(t *testing.T) {
	assert.Equal(t, "postgres://u:xxxxx@h/db", storeurl.Redacted("postgres://u:secret@h/db"))
	assert.Equal(t, "postgres://u@h/db", storeurl.Redacted("postgres://u@h/db"))
	assert.Equal(t, "ledger.db", storeurl.Redacted("ledger.db"))
	for _, raw := range []string{"postgres://u@h/db?password=secret&search_path=s", "postgres://u:secret@h/db?password=secret"} {
		got := storeurl.Redacted(raw)
		assert.NotContains(t, got, "secret", raw)
		assert.Contains(t, got, "xxxxx", raw)
	}
	_, err := storeurl.Parse("mysql://u:secret@h/db")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret")
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	roundTrip := func(t *testing.T, s eventstore.Store) {
		t.Helper()
		_, err := s.Append(ctx, "ticket-1", eventstore.NoStream(), []eventstore.EventData{{ID: [16]byte{1}, Type: "t", Data: []byte("{}")}})
		require.NoError(t, err)
		got, err := s.ReadAll(ctx, 0, 0)
		require.NoError(t, err)
		assert.Len(t, got, 1)
	}

	t.Run("sqlite", func(t *testing.T) {
		for _, raw := range []string{filepath.Join(t.TempDir(), "bare.db"), "sqlite:" + filepath.Join(t.TempDir(), "scheme.db")} {
			s, err := storeurl.Open(ctx, raw)
			require.NoError(t, err)
			assert.IsType(t, &sqlite.Store{}, s)
			roundTrip(t, s)
			require.NoError(t, s.Close())
		}
	})
	t.Run("postgres", func(t *testing.T) {
		connString, schema := testenv.PostgresSchema(t)
		s, err := storeurl.Open(ctx, connString)
		require.NoError(t, err)
		defer s.Close()
		require.IsType(t, &postgres.Store{}, s)
		assert.Equal(t, schema, s.(*postgres.Store).Schema(), "search_path in the URL chooses the schema")
		roundTrip(t, s)
	})
	t.Run("kurrentdb", func(t *testing.T) {
		srv, err := kurrenttest.Start(kurrenttest.Options{})
		require.NoError(t, err)
		defer srv.Close()
		s, err := storeurl.Open(ctx, srv.URL())
		require.NoError(t, err)
		defer s.Close()
		require.IsType(t, &kurrentdb.Store{}, s)
		roundTrip(t, s)
	})
	t.Run("unknown scheme", func(t *testing.T) {
		_, err := storeurl.Open(ctx, "redis://localhost")
		assert.ErrorIs(t, err, storeurl.ErrUnknownScheme)
	})
}
