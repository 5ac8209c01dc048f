package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/seal"
)

func runSeal(ctx context.Context, e env) error {
	fs := newFlags(e, "seal", "seal [--db PATH | --store URL] [--key FILE] [--watch [--every N] [--interval D]] [--json]")
	var sf storeFlags
	sf.register(fs)
	var kf keyFlags
	kf.register(fs)
	watch := fs.Bool("watch", false, "keep sealing on a cadence until interrupted")
	every := fs.Uint64("every", 1000, "with --watch: seal once this many events are unsealed (0: interval only)")
	interval := fs.Duration("interval", time.Minute, "with --watch: seal unsealed events at least this often (0: count only)")
	asJSON := fs.Bool("json", false, "print each seal as JSON")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	key, err := kf.load()
	if err != nil {
		return err
	}
	store, err := sf.openExisting(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	seals, err := sf.openSeals(ctx)
	if err != nil {
		return err
	}
	defer seals.Close()
	sealer, err := audit.NewSealer(store, seals, key, time.Now)
	if err != nil {
		return err
	}
	show := func(s seal.Seal, made bool) error { return printSeal(e.stdout, s, made, *asJSON) }
	if !*watch {
		s, made, err := sealer.SealToHead(ctx)
		if err != nil {
			return err
		}
		if s.Size == 0 {
			fmt.Fprintln(e.stdout, "the ledger is empty: nothing to seal")
			return nil
		}
		return show(s, made)
	}
	cad := audit.Cadence{Events: *every, Interval: *interval}
	if err := cad.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	fmt.Fprintf(e.stderr, "sealing %s every %d events or %s; interrupt to stop\n", sf.describe(), *every, *interval)
	var printErr error
	err = sealer.Run(ctx, cad, func(s seal.Seal) { printErr = errors.Join(printErr, show(s, true)) })
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return errors.Join(err, printErr)
}

// printSeal reports a seal, new or the latest already stored.
func printSeal(w io.Writer, s seal.Seal, made, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(struct {
			New bool `json:"new"`
			seal.Seal
		}{made, s})
	}
	what := "sealed"
	if !made {
		what = "already sealed"
	}
	_, err := fmt.Fprintf(w, "%s positions 1..%d\n  root       %s\n  sealed at  %s\n  key        %s\n",
		what, s.Size, s.Root, s.SealedAt.Format(time.RFC3339Nano), s.KeyID)
	return err
}
