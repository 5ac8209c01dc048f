package audit

import (
	"context"
	"fmt"

	"github.com/disputes-ledger/disputes/eventstore"
)

// VerifyLog verifies a live ledger: every event of log from position 1, the
// seals in seals, under the policies in opts. The public key is opts'
// pinned key or, failing that, the key stored with the latest seal. source
// names the ledger in the report. The error is for failures to read; what
// the checks find is in the report.
func VerifyLog(ctx context.Context, source string, log Log, seals SealStore, opts Options) (*Report, error) {
	v := NewVerifier(source, "all", true, opts)
	stored, err := seals.Seals(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", source, err)
	}
	if n := len(stored); n > 0 {
		v.SetPublicKey(stored[n-1].PublicKey, 0)
	}
	for _, s := range stored {
		v.AddSeal(s.Seal, 0)
	}
	err = ScanLog(ctx, log, 0, 0, func(rec eventstore.RecordedEvent) error {
		v.Event(rec.Position, rec.Data, nil, 0)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", source, err)
	}
	return v.Finish(), nil
}
