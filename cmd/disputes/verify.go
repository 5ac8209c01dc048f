package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/bundle"
	"github.com/disputes-ledger/disputes/cmd/internal/batchgc"
	"github.com/disputes-ledger/disputes/cmd/internal/readmodels"
	"github.com/disputes-ledger/disputes/projections"
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
	ReadModels bool `name:"read-models" help:"also rebuild the read models from the log into a scratch database and compare them with the ledger's (--projections), table by table"`
	readModelFlags
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
	if c.ReadModels && !ledgerSet {
		return fmt.Errorf("%w: --read-models verifies a ledger's read models: give --db PATH or --store URL", errUsage)
	}
	defer batchgc.SetVerify()()
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
	var checks []projections.ReadModelCheck
	if c.ReadModels {
		if checks, err = verifyReadModels(ctx, sf, c.readModelFlags); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if c.ReadModels {
			err = enc.Encode(struct {
				*audit.Report
				ReadModels []projections.ReadModelCheck `json:"read_models"`
			}{rep, checks})
		} else {
			err = enc.Encode(rep)
		}
	} else {
		err = rep.WriteText(e.stdout)
		if err == nil && c.ReadModels {
			writeReadModelChecks(e.stdout, checks)
		}
	}
	if err != nil {
		return err
	}
	tf.remind(e.stderr, rep)
	if !rep.OK() {
		return fmt.Errorf("%w: %d finding(s)", errVerifyFailed, len(rep.Findings)+rep.Omitted)
	}
	for _, ch := range checks {
		if !ch.OK() {
			return fmt.Errorf("%w: read model %s differs from its rebuild from the log", errVerifyFailed, ch.Projection)
		}
	}
	return nil
}

// verifyReadModels rebuilds the ledger's read models into a scratch SQLite
// file that is removed afterwards, and compares them with the ledger's,
// opened for reading only.
func verifyReadModels(ctx context.Context, sf storeFlags, rf readModelFlags) ([]projections.ReadModelCheck, error) {
	pol, err := sf.loadPolicy()
	if err != nil {
		return nil, err
	}
	store, err := sf.openReadOnly(ctx)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	live, err := rf.openReadOnly(ctx, sf)
	if err != nil {
		return nil, err
	}
	defer live.Close()
	dir, err := os.MkdirTemp("", "disputes-verify-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	scratch, err := readmodels.Open(ctx, readmodels.Where{Dialect: projections.SQLite, Path: filepath.Join(dir, "read-models.db")})
	if err != nil {
		return nil, err
	}
	defer scratch.Close()
	return projections.VerifyReadModels(ctx, store, live, scratch, pol)
}

// writeReadModelChecks prints the read models' comparison with their
// rebuild.
func writeReadModelChecks(w io.Writer, checks []projections.ReadModelCheck) {
	fmt.Fprintln(w, "\nRead models (rebuilt from the log and compared):")
	for _, c := range checks {
		switch {
		case c.Behind:
			fmt.Fprintf(w, "  %s: BEHIND at position %d of %d: not compared (run 'disputes project', then verify)\n", c.Projection, c.Checkpoint, c.Head)
		case c.OK():
			fmt.Fprintf(w, "  %s: ok at position %d\n", c.Projection, c.Head)
		default:
			fmt.Fprintf(w, "  %s: DIFFERS at position %d\n", c.Projection, c.Head)
			for _, d := range c.Tables {
				fmt.Fprintf(w, "    %s: %d row(s) only in the rebuild, %d only in the read model\n", d.Table, d.MissingCount, d.ExtraCount)
				for _, r := range d.Missing {
					fmt.Fprintf(w, "      rebuild:    %s\n", r)
				}
				for _, r := range d.Extra {
					fmt.Fprintf(w, "      read model: %s\n", r)
				}
			}
		}
	}
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
