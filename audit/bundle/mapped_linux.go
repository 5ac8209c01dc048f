package bundle

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/disputes-ledger/disputes/audit"
)

// afterMap, when set (tests), runs once a bundle file is mapped, before
// any of it is read.
var afterMap func()

// verifyFile verifies the bundle f holds, from its current offset, by
// mapping the file into memory when it is a regular file on a local
// filesystem: its lines are then windows on the page cache, read with no
// copy and no memory of the heap's (reading it copied every byte into
// fresh heap blocks, a tenth of the verification's CPU with the page
// faults and the garbage collection they cost). It reports false, having
// read nothing, for any other file, which Verify then reads.
//
// A mapped file's bytes are the file's as it is now, not as it was read:
// if it changes while it is verified, checks could see other bytes than
// those an event's hash was checked on, so the file's size, modification
// and change times are compared before and after, and a change is an
// error; a file cut short makes reading the lost pages fault, which the
// goroutines that read them recover (debug.SetPanicOnFault) into the same
// error instead of a crash. After such an error the mapping is left in
// place: goroutines checking its events may still be reading it.
// Filesystems another machine serves (NFS, FUSE, …) are never mapped:
// their pages could come back changed with no time on the file changing.
func verifyFile(f *os.File, name string, opts audit.Options) (rep *audit.Report, mapped bool, err error) {
	data, start, before, ok := mapFile(f)
	if !ok {
		return nil, false, nil
	}
	reg := region{lo: uintptr(unsafe.Pointer(unsafe.SliceData(data))), hi: uintptr(unsafe.Pointer(unsafe.SliceData(data))) + uintptr(len(data))}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if !reg.holds(r) {
				panic(r)
			}
			rep, err = nil, fmt.Errorf("read bundle %s: %w", name, errChanged)
		}
	}()
	if afterMap != nil {
		afterMap()
	}
	rep, err = verifyLines(lineReader{block: data[start:len(data):len(data)], err: io.EOF}, reg, dropBehind(data), name, opts)
	if err != nil {
		return nil, true, err
	}
	if !sameFile(f, before) {
		return nil, true, fmt.Errorf("read bundle %s: %w", name, errChanged)
	}
	// Nothing but the report outlives the mapping.
	detach(rep)
	if err := unix.Munmap(data); err != nil {
		return nil, true, fmt.Errorf("unmap bundle %s: %w", name, err)
	}
	return rep, true, nil
}

// The pages of a mapped bundle well behind the lines verified are handed
// back to the kernel every releaseStep bytes, releaseLag behind: the
// process's resident memory then holds a window of the file, not all of it.
// Tests make them small.
var (
	releaseLag  = 16 << 20
	releaseStep = 4 << 20
)

// dropBehind returns what unmaps the pages of data more than releaseLag
// before a line verified (MADV_DONTNEED). The checks may still read an
// event's bytes there — an open ticket's strings are windows on them — and
// then fault the page back in from the page cache, unchanged (sameFile
// catches a file changed meanwhile): dropping a page never changes what is
// read, only what stays resident.
func dropBehind(data []byte) func(line []byte) {
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	page := os.Getpagesize()
	released := 0
	return func(line []byte) {
		at := int(uintptr(unsafe.Pointer(unsafe.SliceData(line))) - lo)
		upTo := (at - releaseLag) / page * page
		if at > len(data) || upTo-released < releaseStep {
			return
		}
		_ = unix.Madvise(data[released:upTo], unix.MADV_DONTNEED) // only advice: the pages stay readable
		released = upTo
	}
}

// mapFile maps f, read only, when it is a regular file on a local
// filesystem with bytes after its offset, start.
func mapFile(f *os.File) (data []byte, start int64, before unix.Stat_t, ok bool) {
	conn, err := f.SyscallConn()
	if err != nil {
		return nil, 0, before, false
	}
	start, err = f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, 0, before, false
	}
	cerr := conn.Control(func(fd uintptr) {
		var fs unix.Statfs_t
		if unix.Fstat(int(fd), &before) != nil || before.Mode&unix.S_IFMT != unix.S_IFREG ||
			before.Size <= start || int64(int(before.Size)) != before.Size ||
			unix.Fstatfs(int(fd), &fs) != nil || !localFilesystem(fs.Type) {
			return
		}
		m, err := unix.Mmap(int(fd), 0, int(before.Size), unix.PROT_READ, unix.MAP_SHARED)
		if err != nil {
			return
		}
		_ = unix.Madvise(m, unix.MADV_SEQUENTIAL) // only advice: more read-ahead
		data, ok = m, true
	})
	return data, start, before, cerr == nil && ok
}

// localFilesystem reports whether a filesystem of type t (statfs) keeps a
// file's pages on this machine, changed only by writes that change its
// times.
func localFilesystem(t int64) bool {
	switch uint32(t) {
	case unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC, unix.BTRFS_SUPER_MAGIC, unix.F2FS_SUPER_MAGIC,
		unix.TMPFS_MAGIC, unix.RAMFS_MAGIC, unix.OVERLAYFS_SUPER_MAGIC:
		return true
	}
	return false
}

// sameFile reports whether f still has the size, modification and change
// times it had before.
func sameFile(f *os.File, before unix.Stat_t) bool {
	conn, err := f.SyscallConn()
	if err != nil {
		return false
	}
	var now unix.Stat_t
	same := false
	cerr := conn.Control(func(fd uintptr) {
		same = unix.Fstat(int(fd), &now) == nil && now.Size == before.Size &&
			now.Mtim == before.Mtim && now.Ctim == before.Ctim && now.Ino == before.Ino
	})
	return cerr == nil && same
}
