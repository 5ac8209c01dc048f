package bundle_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/bundle"
	"github.com/disputes-ledger/disputes/domain/policy"
)

// changeBuyers changes, in b[:end], the first digit of every buyer id:
// the tickets opened there get other buyers than their later events'.
func changeBuyers(b []byte, end int) (changed int) {
	for _, key := range [][]byte{[]byte(`"buyer_id":"b-`), []byte(`"role":"buyer","id":"b-`)} {
		for at := 0; ; {
			i := bytes.Index(b[at:end], key)
			if i < 0 {
				break
			}
			d := at + i + len(key)
			b[d] = '0' + (b[d]-'0'+1)%10
			changed++
			at = d
		}
	}
	return changed
}

// A writer that mapped the bundle file before verify began changes its
// bytes without moving its size or times (a write through a shared
// mapping whose pages are dirty already marks nothing). verify must not
// check other bytes than those it hashed: here the buyers of the tickets
// the first lines open are changed once those lines are hashed and
// checked, and their later events are still checked against the buyers
// as hashed — the report is the one of the bytes as they were, or an error.
//
// Reading gives verify its own copy of each line, so this holds; verify
// once mapped the file instead (session 7, withdrawn), and then judged the
// later events against the changed buyers with no error: the test keeps
// any such path honest.
func TestAWritersMappingNeverChangesWhatVerifyChecks(t *testing.T) {
	l := newLedger(t, 120, policy.Default(), false)
	all, _ := l.export(t, bundle.Scope{Kind: bundle.ScopeAll})
	b := all.Bytes()
	want := verify(t, b, pub())
	require.True(t, want.OK(), "%v", want.Findings)
	firstBatch := 0 // the bytes of the first 512 lines
	for range 512 {
		firstBatch += bytes.IndexByte(b[firstBatch:], '\n') + 1
	}
	require.Less(t, firstBatch, len(b), "lines in two batches or more")

	path := filepath.Join(t.TempDir(), "bundle.jsonl")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	w, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	m, err := unix.Mmap(int(w.Fd()), 0, len(b), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	require.NoError(t, err)
	defer func() { require.NoError(t, unix.Munmap(m)) }()
	require.NoError(t, w.Close()) // the mapping alone is the writer
	copy(m, b)                    // every page dirty before verify looks at the file
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(path, old, old))

	changed := 0
	defer bundle.SetAfterBatch(func() {
		if changed == 0 {
			changed = changeBuyers(m, firstBatch)
		}
	})()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var before unix.Stat_t
	require.NoError(t, unix.Fstat(int(f.Fd()), &before))
	rep, err := bundle.Verify(f, "test.jsonl", audit.Options{PublicKey: pub()})
	require.NotZero(t, changed, "buyers changed")
	var after unix.Stat_t
	require.NoError(t, unix.Fstat(int(f.Fd()), &after))
	require.Equal(t, before.Mtim, after.Mtim, "the writes moved no time of the file")
	require.Equal(t, before.Ctim, after.Ctim, "the writes moved no time of the file")
	if err != nil {
		assert.ErrorContains(t, err, "changed while it was verified")
		return
	}
	rep.Source = want.Source
	assert.Equal(t, want, rep, "verify checked bytes other than those it hashed")
}
