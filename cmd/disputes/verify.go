package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/bundle"
)

// errVerifyFailed is returned when verification found problems: exit 1,
// after the report has been printed.
var errVerifyFailed = errors.New("verification failed")

// verifyCmd is `disputes verify`: a bundle, or a ledger named by --db or
// --store (not by their environment variables, so a bundle can be
// verified where DISPUTES_DB is set).
type verifyCmd struct {
	DB     string `name:"db" placeholder:"PATH" help:"verify this ledger file (SQLite) instead of a bundle"`
	Store  string `name:"store" placeholder:"URL" help:"verify the ledger at this event store URL instead of a bundle: sqlite:PATH, postgres://… or kurrentdb://…"`
	Policy string `name:"policy" env:"DISPUTES_POLICY" placeholder:"FILE" help:"policy JSON file (default: built-in policy)"`
	pinFlags
	trustFlags
	JSON        bool   `name:"json" help:"print the report as JSON"`
	MaxFindings int    `name:"max-findings" default:"${max_findings}" placeholder:"N" help:"list at most this many findings (-1: all); the rest are counted"`
	Bundle      string `arg:"" optional:"" placeholder:"BUNDLE|-" help:"the bundle file, - for stdin"`
}

func (c *verifyCmd) Run(ctx context.Context, e env) error {
	sf, pf, tf := storeFlags{DB: c.DB, Store: c.Store, Policy: c.Policy}, c.pinFlags, c.trustFlags
	asJSON, maxFindings := &c.JSON, &c.MaxFindings
	ledgerSet := c.DB != "" || c.Store != ""
	if ledgerSet == (c.Bundle != "") {
		return fmt.Errorf("%w: give either one BUNDLE file or the ledger (--db PATH or --store URL)", errUsage)
	}
	pub, err := pf.load()
	if err != nil {
		return err
	}
	opts := audit.Options{PublicKey: pub, KeyID: pf.KeyID, MaxFindings: *maxFindings}
	if err := tf.apply(&opts); err != nil {
		return err
	}

	var rep *audit.Report
	if c.Bundle != "" {
		rep, err = verifyBundle(e, c.Bundle, opts)
	} else {
		if opts.Policies, err = knownPolicies(&sf); err != nil {
			return err
		}
		rep, err = verifyLedger(ctx, &sf, opts)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(e.stdout)
	}
	if err != nil {
		return err
	}
	tf.remind(e.stderr, rep)
	if !rep.OK() {
		return fmt.Errorf("%w: %d finding(s)", errVerifyFailed, len(rep.Findings)+rep.Omitted)
	}
	return nil
}

func verifyBundle(e env, name string, opts audit.Options) (*audit.Report, error) {
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("open bundle: %w", err)
		}
		defer f.Close()
		r = f
	}
	return bundle.Verify(r, name, opts)
}

func verifyLedger(ctx context.Context, sf *storeFlags, opts audit.Options) (*audit.Report, error) {
	raw, err := sf.openAudit(ctx)
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	// The raw reader shows the verifier the events table as it is, gaps
	// included, where the event store would refuse to read past one.
	return audit.VerifyLog(ctx, sf.describe(), raw, raw, opts)
}
