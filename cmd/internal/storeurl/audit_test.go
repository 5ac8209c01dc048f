package storeurl_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit/kurrentaudit"
	"github.com/disputes-ledger/disputes/audit/postgresaudit"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/eventstore/kurrentdb/kurrenttest"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// TestOpenSealsPicksTheEventsBackend: each URL's seal store is the one that
// lives with its events.
func TestOpenSealsPicksTheEventsBackend(t *testing.T) {
	ctx := context.Background()
	srv, err := kurrenttest.Start(kurrenttest.Options{})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	pgURL, _ := testenv.PostgresSchema(t)
	ledger := filepath.Join(t.TempDir(), "l.db")
	require.NoError(t, sqlite.Init(ctx, ledger))
	for _, tc := range []struct {
		raw  string
		want any
	}{
		{"sqlite:" + ledger, &sqliteaudit.Store{}},
		{pgURL, &postgresaudit.Store{}},
		{"kurrentdb://" + srv.Addr() + "?tls=false", &kurrentaudit.Store{}},
	} {
		s, err := storeurl.OpenSeals(ctx, tc.raw)
		require.NoError(t, err, tc.raw)
		assert.IsType(t, tc.want, s)
		require.NoError(t, s.Close())
	}
	_, err = storeurl.OpenSeals(ctx, "redis://x")
	assert.ErrorIs(t, err, storeurl.ErrUnknownScheme)
	_, err = storeurl.OpenAudit(ctx, "redis://x")
	assert.ErrorIs(t, err, storeurl.ErrUnknownScheme)
}

// TestOpenAuditNeedsALedger: an auditor's open creates nothing where there
// is no ledger.
func TestOpenAuditNeedsALedger(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "none.db")
	_, err := storeurl.OpenAudit(ctx, missing)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.NoFileExists(t, missing)

	pgURL, _ := testenv.PostgresSchema(t)
	_, err = storeurl.OpenSeals(ctx, missing)
	assert.ErrorIs(t, err, os.ErrNotExist, "a seal store is never the first thing in a file")
	assert.NoFileExists(t, missing)

	pgURL, _ = testenv.PostgresSchema(t)
	_, err = storeurl.OpenAudit(ctx, pgURL)
	assert.ErrorIs(t, err, postgresaudit.ErrNoLedger)
	_, err = storeurl.OpenReadOnly(ctx, pgURL)
	assert.ErrorIs(t, err, postgres.ErrNotLedger)
	_, err = storeurl.OpenReadOnly(ctx, missing)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.NoFileExists(t, missing)
}
