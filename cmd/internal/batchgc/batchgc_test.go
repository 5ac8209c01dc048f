package batchgc_test

import (
	"runtime"
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

func TestSetVerifyAndRestore(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(3 << 30))
	restore := batchgc.SetVerify()
	assert.Equal(t, batchgc.VerifyPercent, gcPercent())
	assert.Equal(t, int64(3<<30), debug.SetMemoryLimit(-1), "a verification sets no memory limit: its budget is a target's")
	restore()
	assert.Equal(t, 150, gcPercent())
	runtime.GC()
	assert.Equal(t, 150, gcPercent(), "a collection after restore tunes nothing")
}

func TestGOMEMLIMITWins(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "2GiB")
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(2 << 30))
	restore := batchgc.SetVerify()
	assert.Equal(t, batchgc.VerifyPercent, gcPercent())
	assert.Equal(t, int64(2<<30), debug.SetMemoryLimit(-1), "GOMEMLIMIT is the operator's choice")
	restore()
	assert.Equal(t, 150, gcPercent())
}

func TestGOGCWins(t *testing.T) {
	t.Setenv("GOGC", "150")
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	for _, set := range []func() func(){batchgc.Set, batchgc.SetVerify} {
		restore := set()
		assert.Equal(t, 150, gcPercent(), "GOGC is the operator's choice")
		runtime.GC()
		assert.Equal(t, 150, gcPercent(), "and no collection tunes it")
		restore()
		assert.Equal(t, 150, gcPercent())
	}
}
