package bench

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// TestCachedLedgerIsGeneratedOnce: runs sharing a cache directory wait for
// one another's generation instead of writing the same file at once, and a
// complete ledger is reused.
func TestCachedLedgerIsGeneratedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	var (
		logs  [3]bytes.Buffer
		paths [3]string
		errs  [3]error
		wg    sync.WaitGroup
	)
	for i := range 2 {
		wg.Go(func() {
			r := newRunner(Options{Events: 300, CacheDir: dir, Log: &logs[i]}, nil)
			defer r.close()
			paths[i], errs[i] = r.streamsWhole(ctx)
		})
	}
	wg.Wait()
	r := newRunner(Options{Events: 300, CacheDir: dir, Log: &logs[2]}, nil)
	defer r.close()
	paths[2], errs[2] = r.streamsWhole(ctx)
	generated := 0
	for i := range 3 {
		require.NoError(t, errs[i])
		assert.Equal(t, paths[0], paths[i])
		generated += strings.Count(logs[i].String(), "generated")
	}
	assert.Equal(t, 1, generated, "one generation for three runs")

	store, err := sqlite.OpenReadOnly(ctx, paths[0], sqlite.Config{})
	require.NoError(t, err)
	defer store.Close()
	head, err := follow.Head(ctx, store)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, head, uint64(300))
	assert.Less(t, head, uint64(300+60), "it stops at the ticket that reaches the size")
}
