package audit_test

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/disputes-ledger/disputes/audit"
)

// A memory fault on a shard's goroutine — a mapped bundle file cut short
// under the events decoded from it (audit/bundle) — is raised again on the
// goroutine calling the Verifier, which can recover it, rather than
// crashing the process.
func TestAShardsFaultIsRaisedOnTheCallersGoroutine(t *testing.T) {
	t.Parallel()
	m := memoryLog(t, 20)
	var all []byte
	for _, r := range m.Records {
		all = append(all, r.Data...)
	}
	path := filepath.Join(t.TempDir(), "events")
	require.NoError(t, os.WriteFile(path, all, 0o600))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	data, err := unix.Mmap(int(f.Fd()), 0, len(all), unix.PROT_READ, unix.MAP_SHARED)
	require.NoError(t, err)
	defer unix.Munmap(data) //nolint:errcheck // the test is over

	var prepared []audit.Prepared
	off := 0
	for _, r := range m.Records {
		p := audit.PrepareOwned(r.Position, data[off:off+len(r.Data)], nil, 0)
		prepared = append(prepared, p)
		off += len(r.Data)
	}
	require.Less(t, len(prepared), 512, "one batch, checked by the shards before the caller reads an event")
	require.NoError(t, f.Truncate(0)) // every page of the mapping is gone

	v := audit.NewVerifier("mapped", "all", true, audit.Options{Workers: 2, TrustOnFirstUse: true})
	raised := func() (r any) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() { r = recover() }()
		for _, p := range prepared {
			v.Apply(p)
		}
		v.Finish()
		return nil
	}()
	fault, ok := raised.(interface{ Addr() uintptr })
	require.True(t, ok, "want a memory fault, got %v", raised)
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	require.True(t, lo <= fault.Addr() && fault.Addr() < lo+uintptr(len(data)), "the fault is in the mapping")
}
