package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/seal"
)

// sealCmd is `disputes seal`.
type sealCmd struct {
	storeFlags
	keyFlags
	checkpointFlags
	Watch    bool          `name:"watch" help:"keep sealing on a cadence until interrupted"`
	Every    uint64        `name:"every" default:"1000" placeholder:"N" help:"with --watch: seal once this many events are unsealed (0: interval only)"`
	Interval time.Duration `name:"interval" default:"1m" help:"with --watch: seal unsealed events at least this often (0: count only)"`
	JSON     bool          `name:"json" help:"print each seal as JSON"`
}

func (c *sealCmd) Run(ctx context.Context, e env) error {
	sf, kf, cf := c.storeFlags, c.keyFlags, c.checkpointFlags
	watch, every, interval, asJSON := &c.Watch, &c.Every, &c.Interval, &c.JSON
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
	publish, closePublishers, err := cf.sealerOption(ctx)
	if err != nil {
		return err
	}
	defer closePublishers()
	sealer, err := audit.NewSealer(store, seals, key, time.Now, publish)
	if err != nil {
		return err
	}
	if !cf.published() {
		fmt.Fprintln(e.stderr, "warning: checkpoints are published nowhere: give --checkpoints DIR or --checkpoint-nats URL so that seals leave the ledger (docs/audit.md)")
	}
	show := func(s seal.Seal, made bool) error {
		cp, _ := sealer.Checkpoint()
		return printSeal(e.stdout, s, made, *asJSON, string(cp))
	}
	if !*watch {
		s, made, err := sealer.SealToHead(ctx)
		if s.Size == 0 && err == nil {
			fmt.Fprintln(e.stdout, "the ledger is empty: nothing to seal")
			return nil
		}
		if s.Size > 0 {
			err = errors.Join(err, show(s, made))
		}
		return err
	}
	cad := audit.Cadence{Events: *every, Interval: *interval}
	if err := cad.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	fmt.Fprintf(e.stderr, "sealing %s every %d events or %s, checkpoints of %s to %s; interrupt to stop\n", sf.describe(), *every, *interval, sealer.Origin(), cf.describe())
	var printErr error
	err = sealer.Run(ctx, cad, func(s seal.Seal) { printErr = errors.Join(printErr, show(s, true)) })
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return errors.Join(err, printErr)
}

// printSeal reports a seal, new or the latest already stored, and its
// signed checkpoint ("" if it could not be published).
func printSeal(w io.Writer, s seal.Seal, made, asJSON bool, checkpoint string) error {
	if asJSON {
		return json.NewEncoder(w).Encode(struct {
			New bool `json:"new"`
			seal.Seal
			Checkpoint string `json:"checkpoint,omitempty"`
		}{made, s, checkpoint})
	}
	what := "sealed"
	if !made {
		what = "already sealed"
	}
	_, err := fmt.Fprintf(w, "%s positions 1..%d\n  root       %s\n  sealed at  %s\n  key        %s\n",
		what, s.Size, s.Root, s.SealedAt.Format(time.RFC3339Nano), s.KeyID)
	if err == nil && checkpoint != "" {
		_, err = fmt.Fprintf(w, "\n%s", checkpoint)
	}
	return err
}
