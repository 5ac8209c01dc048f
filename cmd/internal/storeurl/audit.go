package storeurl

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/kurrentaudit"
	"github.com/disputes-ledger/disputes/audit/postgresaudit"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/kurrentdb"
)

// SealStore is a ledger's seal store, closed by the caller.
type SealStore interface {
	audit.SealStore
	io.Closer
}

// Audit is what an auditor reads of a ledger: its seals, and its log as
// stored (the SQL backends show gaps rather than refuse them), closed by
// the caller.
type Audit interface {
	audit.SealStore
	audit.Log
	io.Closer
}

// OpenSeals opens the seal store that lives with the event store raw names
// — the SQLite file's audit tables, tables in the PostgreSQL schema, or the
// KurrentDB seal stream — creating its tables if needed. Sealers use it.
func OpenSeals(ctx context.Context, raw string) (SealStore, error) {
	t, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	switch t.Backend {
	case SQLite:
		return sqliteaudit.Open(ctx, t.Path)
	case Postgres:
		return postgresaudit.Open(ctx, t.URL, postgresaudit.Config{})
	case KurrentDB:
		s, err := kurrentaudit.Open(ctx, t.URL, kurrentaudit.Config{})
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", Redacted(raw), err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("store URL %s: backend %q: %w", Redacted(raw), t.Backend, ErrUnknownScheme)
}

// OpenAudit opens the seals and the log of the existing ledger raw names,
// for verify, export and prove, read-only: nothing is created or migrated,
// and a SQLite file keeps every byte.
func OpenAudit(ctx context.Context, raw string) (Audit, error) {
	t, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	switch t.Backend {
	case SQLite:
		return sqliteaudit.OpenReadOnly(ctx, t.Path)
	case Postgres:
		return postgresaudit.Open(ctx, t.URL, postgresaudit.Config{ReadOnly: true})
	case KurrentDB:
		// The event store's own log: KurrentDB has no table to read around it.
		events, err := kurrentdb.Open(ctx, t.URL, kurrentdb.Config{})
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", Redacted(raw), err)
		}
		seals, err := kurrentaudit.Open(ctx, t.URL, kurrentaudit.Config{})
		if err != nil {
			return nil, errors.Join(fmt.Errorf("open %s: %w", Redacted(raw), err), events.Close())
		}
		return kurrentAudit{Store: seals, events: events}, nil
	}
	return nil, fmt.Errorf("store URL %s: backend %q: %w", Redacted(raw), t.Backend, ErrUnknownScheme)
}

// kurrentAudit is a KurrentDB ledger's seal stream and log.
type kurrentAudit struct {
	*kurrentaudit.Store
	events *kurrentdb.Store
}

func (a kurrentAudit) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	return a.events.ReadAll(ctx, after, limit)
}

func (a kurrentAudit) Close() error { return errors.Join(a.Store.Close(), a.events.Close()) }
