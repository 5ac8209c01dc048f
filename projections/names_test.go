package projections_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/projections"
)

// TestNamesAreTheDefaultReadModels: Names, which the lag metrics, the
// console and `disputes project` report checkpoints by, names every read
// model that projections.Default keeps, and no other (the open deadlines
// were left out of it: their lag went unreported while the scheduler read
// them).
func TestNamesAreTheDefaultReadModels(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	var kept []string
	for _, p := range projections.Default(l.db, l.pol) {
		kept = append(kept, p.Name())
	}
	assert.ElementsMatch(t, kept, projections.Names())
}
