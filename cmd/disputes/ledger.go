package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/eventstore"
)

// storeFlags are the flags that choose the ledger and its policy.
type storeFlags struct {
	DB     string `name:"db" default:"disputes.db" env:"DISPUTES_DB" placeholder:"PATH" help:"ledger file (SQLite)"`
	Store  string `name:"store" env:"DISPUTES_STORE" placeholder:"URL" help:"event store URL, overrides --db: sqlite:PATH (or a bare path), postgres://USER@HOST/DB?search_path=SCHEMA, or kurrentdb://HOST:2113?tls=false"`
	Policy string `name:"policy" env:"DISPUTES_POLICY" placeholder:"FILE" help:"policy JSON file (default: built-in policy)"`
}

// open opens the ledger to write to it, creating it where there is no file
// (exec, serve, demo); an existing file that is not a ledger is refused.
func (s *storeFlags) open(ctx context.Context) (eventstore.Store, error) {
	return s.openWith(ctx, storeurl.Options{})
}

func (s *storeFlags) openWith(ctx context.Context, opts storeurl.Options) (eventstore.Store, error) {
	store, err := storeurl.OpenWith(ctx, s.url(), opts)
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", s.describe(), err)
	}
	return store, nil
}

// url is the store URL the flags name: --store, else the --db file.
func (s *storeFlags) url() string {
	if s.Store != "" {
		return s.Store
	}
	return "sqlite:" + s.DB // a --db path is a path, whatever colons it holds
}

// openAudit opens the existing ledger's seals and log for an auditor,
// read-only.
func (s *storeFlags) openAudit(ctx context.Context) (storeurl.Audit, error) {
	a, err := storeurl.OpenAudit(ctx, s.url())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("ledger %s: %w (%s)", s.describe(), err, createHint)
	}
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", s.describe(), err)
	}
	return a, nil
}

// openSeals opens the seal store that lives with the ledger, for sealing.
func (s *storeFlags) openSeals(ctx context.Context) (storeurl.SealStore, error) {
	seals, err := storeurl.OpenSeals(ctx, s.url())
	if err != nil {
		return nil, fmt.Errorf("open seals of %s: %w", s.describe(), err)
	}
	return seals, nil
}

// describe names the ledger for people: the store URL without its password,
// or the SQLite file.
func (s *storeFlags) describe() string {
	if s.Store != "" {
		return storeurl.Redacted(s.Store)
	}
	return s.DB
}

// createHint tells a user without a ledger how to make one.
const createHint = "create one with 'disputes init', 'disputes demo' or 'disputes exec'"

// openExisting opens the existing ledger to write to it (seal, project,
// rebuild, forward): a SQLite file must exist and be a ledger.
func (s *storeFlags) openExisting(ctx context.Context) (eventstore.Store, error) {
	return s.openExistingWith(ctx, storeurl.Options{})
}

func (s *storeFlags) openExistingWith(ctx context.Context, opts storeurl.Options) (eventstore.Store, error) {
	if t, err := storeurl.Parse(s.url()); err == nil && t.Backend == storeurl.SQLite {
		if _, err := os.Stat(t.Path); err != nil {
			return nil, fmt.Errorf("ledger %s: %w (%s)", t.Path, err, createHint)
		}
	}
	return s.openWith(ctx, opts)
}

// openReadOnly opens the existing ledger for a command that only reads
// (show, history, query): nothing is created or migrated, and a SQLite
// file keeps every byte.
func (s *storeFlags) openReadOnly(ctx context.Context) (eventstore.Store, error) {
	store, err := storeurl.OpenReadOnly(ctx, s.url())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("ledger %s: %w (%s)", s.describe(), err, createHint)
	}
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", s.describe(), err)
	}
	return store, nil
}

func (s *storeFlags) loadPolicy() (policy.Policy, error) {
	if s.Policy == "" {
		return policy.Default(), nil
	}
	data, err := os.ReadFile(s.Policy)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("read policy: %w", err)
	}
	p, err := policy.Parse(data)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("policy %s: %w", s.Policy, err)
	}
	return p, nil
}
