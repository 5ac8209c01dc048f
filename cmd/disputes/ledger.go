package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/storeurl"
	"github.com/disputes-ledger/disputes/policy"
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

func (s *storeFlags) open(ctx context.Context) (eventstore.Store, error) {
	if s.store != "" {
		store, err := storeurl.Open(ctx, s.store)
		if err != nil {
			return nil, fmt.Errorf("open ledger %s: %w", storeurl.Redacted(s.store), err)
		}
		return store, nil
	}
	store, err := sqlite.Open(ctx, s.db, sqlite.Config{})
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", s.db, err)
	}
	return store, nil
}

// url is the store URL the flags name: --store, else the --db file.
func (s *storeFlags) url() string {
	if s.store != "" {
		return s.store
	}
	return s.db
}

// openAudit opens the existing ledger's seals and log for an auditor.
func (s *storeFlags) openAudit(ctx context.Context) (storeurl.Audit, error) {
	a, err := storeurl.OpenAudit(ctx, s.url())
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

// openExisting refuses to create a ledger where a read was meant.
func (s *storeFlags) openExisting(ctx context.Context) (eventstore.Store, error) {
	if s.store != "" {
		// Only a file can be checked for; a server store is opened as is.
		if t, err := storeurl.Parse(s.store); err == nil && t.Backend == storeurl.SQLite {
			if _, err := os.Stat(t.Path); err != nil {
				return nil, fmt.Errorf("ledger %s: %w (create one with 'disputes demo' or 'disputes exec')", t.Path, err)
			}
		}
		return s.open(ctx)
	}
	if _, err := os.Stat(s.db); err != nil {
		return nil, fmt.Errorf("ledger %s: %w (create one with 'disputes demo' or 'disputes exec')", s.db, err)
	}
	return s.open(ctx)
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
