package sqlite

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config tunes a Store. The zero value is usable: every zero field takes its
// default.
type Config struct {
	// BusyTimeout is how long a connection waits for a lock held by another
	// connection to the same file (a projection writer, another process)
	// before failing with SQLITE_BUSY. Default 5s.
	BusyTimeout time.Duration

	// MaxBatch caps the number of appends grouped into one commit. Larger
	// batches amortise the fsync over more appends; the cap bounds the
	// latency a single batch adds. Default 256.
	MaxBatch int

	// MaxBatchWait is the longest the writer waits for more appends before
	// committing a batch smaller than the number of writers it knows of
	// (groupcommit's Linger). It trades a little latency under load for fuller batches; a
	// lone writer never waits. Negative disables the wait. Default 500µs.
	MaxBatchWait time.Duration

	// QueueSize is the number of appends that may wait for the writer before
	// Append blocks. Default 1024.
	QueueSize int

	// ReadConns is the size of the read connection pool. Default 4.
	ReadConns int

	// PollInterval is how often an idle subscription looks for events
	// appended by another process on the same file. Appends made through this
	// Store wake subscriptions at once and do not wait for the poll.
	// Default 1s.
	PollInterval time.Duration

	// SubscriptionBatch is the number of events a subscription reads per
	// query while catching up. Default 512.
	SubscriptionBatch int

	// Unmapped has the store's connections read the file with read calls
	// instead of through a memory map, for a process that reads the log
	// once from start to end (a rebuild): every page read through the map
	// stays resident in the process until the store closes, up to the
	// map's 256 MiB on each connection, however long ago it was read; read
	// calls keep a page in SQLite's page cache (2 MiB a connection) and
	// the kernel's. A rebuild costs no measurable CPU more without the
	// map; a bare scan of the log about a tenth more (BENCHMARKS.md).
	Unmapped bool
}

// mapSize is the most of the file each connection maps.
func (c Config) mapSize() int64 {
	if c.Unmapped {
		return 0
	}
	return mmapSize
}

func (c *Config) setDefaults() {
	if c.BusyTimeout == 0 {
		c.BusyTimeout = 5 * time.Second
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 256
	}
	if c.MaxBatchWait == 0 {
		c.MaxBatchWait = 500 * time.Microsecond
	}
	if c.QueueSize == 0 {
		c.QueueSize = 1024
	}
	if c.ReadConns == 0 {
		c.ReadConns = 4
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.SubscriptionBatch == 0 {
		c.SubscriptionBatch = 512
	}

}

// Validate reports a configuration that cannot work. Zero fields are valid:
// they mean the default.
func (c Config) Validate() error {
	var errs []error
	if c.BusyTimeout < 0 {
		errs = append(errs, errors.New("BusyTimeout must not be negative"))
	}
	if c.MaxBatch < 0 || c.QueueSize < 0 || c.ReadConns < 0 || c.SubscriptionBatch < 0 {
		errs = append(errs, errors.New("MaxBatch, QueueSize, ReadConns and SubscriptionBatch must not be negative"))
	}
	if c.PollInterval < 0 {
		errs = append(errs, errors.New("PollInterval must not be negative"))
	}
	return errors.Join(errs...)
}

// mmapSize is the most of the file each connection maps: 256 MiB.
const mmapSize = 256 << 20

// DefaultBusyTimeout is the busy timeout DSN uses.
const DefaultBusyTimeout = 5 * time.Second

// DSN returns the data source name for sql.Open("sqlite", …) that other
// components (projections) use to open their own connections to the store's
// file. It sets the pragmas the store relies on: WAL journal, synchronous
// FULL, a busy timeout of DefaultBusyTimeout, foreign keys on, memory-mapped
// reads, and BEGIN IMMEDIATE for transactions, so that a transaction that will write takes the
// write lock up front and waits for it rather than failing half-way.
func DSN(path string) string {
	return dsn(path, DefaultBusyTimeout, false, mmapSize)
}

// RebuildableDSN is DSN for tables beside the store's that can be rebuilt
// from the log (the read models): synchronous NORMAL rather than FULL — in
// WAL mode a commit is still atomic, and a power cut can only drop the last
// commits whole, which are then derived again, so the fsync per commit is
// not worth it; a 16 MiB page cache (sorts for index builds spill to a
// temporary file past it, so a rebuild's memory does not grow with the
// log); no memory map of the file (DSN's), whose resident pages would
// grow with the read models to its 256 MiB — left out of the DSN, not
// turned off after it: a mmap_size(0) after DSN's mmap_size left the
// connection mapping 256 MiB (TestRebuildableDSNMapsNothing); and a WAL checkpoint only once it holds
// 16384 pages (64 MiB) instead of SQLite's 1000: the checkpoint runs inside
// the committing write, holding the write lock, and fewer, larger ones copy
// a page rewritten several times once. The store's own connections keep
// the defaults, so a shared file is checkpointed as often as before.
func RebuildableDSN(path string) string {
	return dsn(path, DefaultBusyTimeout, false, 0) + "&_pragma=synchronous(NORMAL)&_pragma=cache_size(-16384)&_pragma=wal_autocheckpoint(16384)"
}

// writerDSN is the DSN of the store's own writer connection: DSN's, with
// temporary storage in memory. The writer's multi-row INSERT (rows.go)
// keeps the pages it changes in a statement journal, so that a collision
// undoes that statement alone; a batch changes about a page per stream it
// touches, and on disk the journal spilled to a temporary file past 64 KiB,
// which cost more than the single statement saved.
func writerDSN(path string, busy time.Duration, mmap int64) string {
	return dsn(path, busy, false, mmap) + "&_pragma=temp_store(MEMORY)"
}

// dsn builds a modernc.org/sqlite DSN that maps up to mmap bytes of the
// file (0: none). The path must not contain '?', which the driver takes as
// the start of the parameters.
func dsn(path string, busy time.Duration, readOnly bool, mmap int64) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	// Reading pages through a memory map instead of a read() per page
	// speeds up log scans by a quarter (BenchmarkReadAll). The map covers
	// the main file only; WAL frames are still read with pread.
	if mmap > 0 {
		q.Add("_pragma", fmt.Sprintf("mmap_size(%d)", mmap))
	}
	if readOnly {
		// query_only makes a read connection unable to write by accident.
		// The journal mode is a property of the file, already set to WAL by
		// the writer before any reader opens.
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

func checkPath(path string) error {
	if path == "" {
		return errors.New("empty path")
	}
	if strings.ContainsRune(path, '?') {
		return fmt.Errorf("path %q contains '?'", path)
	}
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		// An in-memory database is private to one connection, so the writer
		// and the read pool would see different databases.
		return fmt.Errorf("path %q: a file path is required", path)
	}
	return nil
}
