package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/bundle"
)

// errVerifyFailed is returned when verification found problems: exit 1,
// after the report has been printed.
var errVerifyFailed = errors.New("verification failed")

func runVerify(ctx context.Context, e env) error {
	fs := newFlags(e, "verify", "verify (--public-key FILE | --key-id ID | --trust-on-first-use) [--trusted-checkpoint FILE] [--json] (BUNDLE | - | --db PATH | --store URL)")
	var sf storeFlags
	sf.register(fs)
	var pf pinFlags
	pf.register(fs)
	var tf trustFlags
	tf.register(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	maxFindings := fs.Int("max-findings", audit.DefaultMaxFindings, "list at most this many findings (-1: all); the rest are counted")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	ledgerSet := false
	fs.Visit(func(f *flag.Flag) { ledgerSet = ledgerSet || f.Name == "db" || f.Name == "store" })
	if fs.NArg() > 1 || (fs.NArg() == 1) == ledgerSet {
		return fmt.Errorf("%w: give either one BUNDLE file or the ledger (--db PATH or --store URL)", errUsage)
	}
	pub, err := pf.load()
	if err != nil {
		return err
	}
	opts := audit.Options{PublicKey: pub, KeyID: pf.keyID, MaxFindings: *maxFindings}
	if err := tf.apply(&opts); err != nil {
		return err
	}

	var rep *audit.Report
	if fs.NArg() == 1 {
		rep, err = verifyBundle(e, fs.Arg(0), opts)
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
