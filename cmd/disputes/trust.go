package main

import (
	"fmt"
	"io"
	"os"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/checkpoint"
)

// trustFlags are what an auditor brings to verify besides the key: the
// newest checkpoint they hold, or their explicit choice to trust the key
// the source carries.
type trustFlags struct {
	TrustedCheckpoint string `name:"trusted-checkpoint" placeholder:"FILE" help:"the newest signed checkpoint you hold (from the ledger's checkpoint directory, JetStream subject, GET /v1/checkpoint or a witness): the ledger must be consistent with it"`
	TrustOnFirstUse   bool   `name:"trust-on-first-use" help:"accept the seal key the source carries when none is pinned, and print its fingerprint to pin from now on (without it, no pinned key is a FAIL)"`
}

// apply reads the checkpoint into opts; a file that cannot be read or is
// not a checkpoint is a usage error, not a finding.
func (t *trustFlags) apply(opts *audit.Options) error {
	if t.TrustOnFirstUse && (opts.PublicKey != nil || opts.KeyID != "") {
		return fmt.Errorf("%w: --trust-on-first-use is for when no key is pinned; drop it or the pinned key", errUsage)
	}
	opts.TrustOnFirstUse = t.TrustOnFirstUse
	if t.TrustedCheckpoint == "" {
		return nil
	}
	text, err := os.ReadFile(t.TrustedCheckpoint)
	if err != nil {
		return fmt.Errorf("%w: read trusted checkpoint: %v", errUsage, err)
	}
	if _, err := checkpoint.Parse(text); err != nil {
		return fmt.Errorf("%w: trusted checkpoint %s: %v", errUsage, t.TrustedCheckpoint, err)
	}
	opts.TrustedCheckpoint = text
	return nil
}

// remind tells an auditor who trusted on first use what to pin.
func (t *trustFlags) remind(w io.Writer, rep *audit.Report) {
	if t.TrustOnFirstUse && !rep.KeyPinned && rep.KeyID != "" {
		fmt.Fprintf(w, "trusted on first use: seal key %s; pin it from now on with --key-id %s (after comparing it with the fingerprint the ledger's operator publishes)\n", rep.KeyID, rep.KeyID)
	}
}
