package batchgc_test

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/cmd/internal/batchgc"
)

// gcPercent returns the collector's target, leaving it as it is.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestSetAndRestore(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	restore := batchgc.Set()
	assert.Equal(t, batchgc.Percent, gcPercent())
	restore()
	assert.Equal(t, 150, gcPercent())
}

func TestSetBundleAndRestore(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	restore := batchgc.SetBundle()
	assert.Equal(t, batchgc.BundlePercent, gcPercent())
	restore()
	assert.Equal(t, 150, gcPercent())
}

func TestGOGCWins(t *testing.T) {
	t.Setenv("GOGC", "150")
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	restore := batchgc.Set()
	assert.Equal(t, 150, gcPercent(), "GOGC is the operator's choice")
	restore()
	assert.Equal(t, 150, gcPercent())
}
