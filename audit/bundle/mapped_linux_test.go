package bundle_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/bundle"
	"github.com/disputes-ledger/disputes/domain/policy"
)

// verifyMapped verifies the bundle b as a file, through the mapping, and
// reports what Verify returned; after with the mapped file's path (nil:
// none) runs once it is mapped. The hook is package-wide: its callers do
// not run in parallel.
func verifyMapped(t *testing.T, b []byte, after func(path string)) (*audit.Report, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bundle.jsonl")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	// Times long past: any write after is seen, however coarse the clock.
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(path, old, old))
	mapped := 0
	defer bundle.SetAfterMap(func() {
		mapped++
		if after != nil {
			after(path)
		}
	})()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rep, err := bundle.Verify(f, "test.jsonl", audit.Options{PublicKey: pub()})
	require.Equal(t, 1, mapped, "the file was mapped")
	return rep, err
}

// A bundle verified from its mapped file is reported exactly as the same
// bundle read, tampering included; the report, read here, is read after
// the file was unmapped, so none of it is a window on the mapping.
func TestMappedBundleReportsAsRead(t *testing.T) {
	l := newLedger(t, 120, policy.Default(), false)
	all, _ := l.export(t, bundle.Scope{Kind: bundle.ScopeAll})
	require.Greater(t, bytes.Count(all.Bytes(), []byte("\n")), 512, "lines in two batches or more: pages are dropped between them")
	for name, b := range map[string][]byte{
		"untouched": all.Bytes(),
		"payload byte changed": edit(all.Bytes(), func(ls [][]byte) [][]byte {
			i := eventLine(t, ls, 5)
			ls[i] = bytes.Replace(ls[i], []byte(`"actor":{"role":"`), []byte(`"actor":{"role":"x`), 1)
			return ls
		}),
		"event line dropped": edit(all.Bytes(), func(ls [][]byte) [][]byte {
			i := eventLine(t, ls, 7)
			return append(ls[:i], ls[i+1:]...)
		}),
		"command ids changed": edit(all.Bytes(), func(ls [][]byte) [][]byte {
			for n := 3; n < 40; n += 4 {
				i := eventLine(t, ls, n)
				ls[i] = bytes.Replace(ls[i], []byte(`"command_id":"`), []byte(`"command_id":"x`), 1)
			}
			return ls
		}),
		"stray record after the events": append(bytes.Clone(all.Bytes()), `{"kind":"nope"}`+"\n"...),
		"no final line end":             bytes.TrimSuffix(all.Bytes(), []byte("\n")),
	} {
		t.Run(name, func(t *testing.T) {
			read := verify(t, b, pub())
			mapped, err := verifyMapped(t, b, nil)
			require.NoError(t, err)
			assert.Equal(t, read, mapped)
			assert.Equal(t, name == "untouched" || name == "no final line end", mapped.OK(), "%v", mapped.Findings)

			// Pages dropped right behind the lines verified fault back in
			// as they were, wherever the checks read them again.
			page := os.Getpagesize()
			defer bundle.SetRelease(page, page)()
			dropped, err := verifyMapped(t, b, nil)
			require.NoError(t, err)
			assert.Equal(t, read, dropped)
		})
	}
}

// A mapped bundle file cut short while it is verified is an error, not a
// crash of the process (the lost pages fault), and one changed in place is
// an error too: its checks may have read other bytes than its hashes.
func TestMappedBundleChangedWhileVerifiedIsAnError(t *testing.T) {
	l := newLedger(t, 14, policy.Default(), false)
	all, _ := l.export(t, bundle.Scope{Kind: bundle.ScopeAll})
	b := all.Bytes()
	require.Greater(t, len(b), 3*os.Getpagesize(), "long enough to lose whole pages")
	for name, change := range map[string]func(path string){
		"cut short":      func(path string) { require.NoError(t, os.Truncate(path, int64(len(b)/3))) },
		"cut to nothing": func(path string) { require.NoError(t, os.Truncate(path, 0)) },
		"a byte changed": func(path string) {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.WriteAt([]byte("x"), int64(len(b)/2))
			require.NoError(t, err)
			require.NoError(t, f.Close())
		},
	} {
		t.Run(name, func(t *testing.T) {
			rep, err := verifyMapped(t, b, change)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "changed while it was verified")
			assert.Nil(t, rep)
		})
	}
}
