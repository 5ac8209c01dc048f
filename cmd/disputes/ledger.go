package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/eventstore"
)

// storeFlags are the flags that choose the ledger and its policy.
type storeFlags struct {
	db         string
	store      string // event-store URL; when set, overrides db
	policyFile string
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	def := os.Getenv("DISPUTES_DB")
	if def == "" {
		def = "disputes.db"
	}
	fs.StringVar(&s.db, "db", def, "ledger file (SQLite); env DISPUTES_DB")
	fs.StringVar(&s.store, "store", os.Getenv("DISPUTES_STORE"), "event store URL: sqlite:PATH, a path, postgres://… or kurrentdb://…; overrides --db; env DISPUTES_STORE")
	fs.StringVar(&s.policyFile, "policy", os.Getenv("DISPUTES_POLICY"), "policy JSON file (default: built-in policy); env DISPUTES_POLICY")
}

// open opens the ledger to write to it, creating it where there is no file
// (exec, serve, demo); an existing file that is not a ledger is refused.
func (s *storeFlags) open(ctx context.Context) (eventstore.Store, error) {
	store, err := storeurl.Open(ctx, s.url())
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", s.describe(), err)
	}
	return store, nil
}

// url is the store URL the flags name: --store, else the --db file.
func (s *storeFlags) url() string {
	if s.store != "" {
		return s.store
	}
	return "sqlite:" + s.db // a --db path is a path, whatever colons it holds
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
	if s.store != "" {
		return storeurl.Redacted(s.store)
	}
	return s.db
}

// createHint tells a user without a ledger how to make one.
const createHint = "create one with 'disputes init', 'disputes demo' or 'disputes exec'"

// openExisting opens the existing ledger to write to it (seal, project,
// rebuild, forward): a SQLite file must exist and be a ledger.
func (s *storeFlags) openExisting(ctx context.Context) (eventstore.Store, error) {
	if t, err := storeurl.Parse(s.url()); err == nil && t.Backend == storeurl.SQLite {
		if _, err := os.Stat(t.Path); err != nil {
			return nil, fmt.Errorf("ledger %s: %w (%s)", t.Path, err, createHint)
		}
	}
	return s.open(ctx)
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
	if s.policyFile == "" {
		return policy.Default(), nil
	}
	data, err := os.ReadFile(s.policyFile)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("read policy: %w", err)
	}
	p, err := policy.Parse(data)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("policy %s: %w", s.policyFile, err)
	}
	return p, nil
}
