package projections

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// The native row feed is the row feed (feed.go) as a virtual table module
// registered on the connection's SQLite handle itself rather than through
// the driver's Go module layer (modernc.org/sqlite/vtab), whose cursor
// hands each value back through a trampoline that finds the cursor in a
// locked map, copies a text value into C memory, has SQLite copy it again
// and frees the first copy: a third of the audit trail's write time, all
// of it under the write lock. Here a write's text values are copied once,
// together, into one C buffer, and each column hands SQLite a pointer into
// it that SQLite copies into the row (SQLITE_STATIC): one copy instead of
// two, no allocation and no lock per value. The rows stored are the same
// as through the Go module and through binding
// (TestRowFeedWritesWhatBindingWrites covers all three).
//
// It reaches below the driver's API — the connection's handle, read by
// reflection from the driver connection, and Go functions handed to
// SQLite as C function pointers — so every step that could find the
// driver otherwise than expected (a field missing or of another type, a
// refusal from SQLite) leaves the write to the Go module's feed instead.

// nativeFeedModuleName and nativeFeedTable are the native module and its
// table, one per connection in its temp schema (as feedTable).
const (
	nativeFeedModuleName = "disputes_row_feed_native"
	nativeFeedTable      = "temp.rm_row_feed_native"
)

// nativeFeed is one statement's rows, laid out for the cursor: per value
// its kind, and an integer (an int64, a float64's bits, or the offset of a
// text or blob in buf) and a length.
type nativeFeed struct {
	key   int64
	cols  int
	rows  int
	kinds []uint8
	nums  []int64
	lens  []int32
	buf   uintptr // C memory holding every text and blob, never nil
}

const (
	nativeNull uint8 = iota
	nativeInt
	nativeReal
	nativeText
	nativeBlob
)

// nativeSlots hold the feeds being read, at most one per write in
// progress (writes to one database are serialised; several databases may
// write at once). A cursor finds its feed by slot without a lock.
var nativeSlots struct {
	mu   sync.Mutex
	next int64
	used [64]bool
	feed [64]atomic.Pointer[nativeFeed]
}

// errNoNativeSlot is returned when every slot is taken.
var errNoNativeSlot = errors.New("no free native feed slot")

func addNativeFeed(f *nativeFeed) (int, error) {
	s := &nativeSlots
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.used {
		if !s.used[i] {
			s.used[i] = true
			s.next++
			f.key = s.next<<6 | int64(i)
			s.feed[i].Store(f)
			return i, nil
		}
	}
	return 0, errNoNativeSlot
}

func removeNativeFeed(slot int) {
	s := &nativeSlots
	s.mu.Lock()
	defer s.mu.Unlock()
	s.feed[slot].Store(nil)
	s.used[slot] = false
}

// nativeArena is the memory a database's native feeds are laid out in,
// kept from one write to the next (writes to a database are serialised):
// C memory for the texts, which a fresh allocation would have the kernel
// map and clear again for every write, and the values' layout.
type nativeArena struct {
	tls   *libc.TLS
	buf   uintptr
	size  int
	kinds []uint8
	nums  []int64
	lens  []int32
}

// close frees the arena's C memory and thread state.
func (a *nativeArena) close() {
	if a.tls == nil {
		return
	}
	if a.buf != 0 {
		libc.Xfree(a.tls, a.buf)
	}
	a.tls.Close()
	*a = nativeArena{}
}

// feed lays out vals (cols per row, feedable) in the arena, with their
// texts and blobs copied into its C memory.
func (a *nativeArena) feed(cols int, vals []any) (*nativeFeed, error) {
	if a.tls == nil {
		a.tls = libc.NewTLS()
	}
	size := 1
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			size += len(v)
		case []byte:
			size += len(v)
		}
	}
	if size > math.MaxInt32 {
		return nil, fmt.Errorf("%d bytes of text in one write", size)
	}
	if size > a.size {
		if a.buf != 0 {
			libc.Xfree(a.tls, a.buf)
			a.buf, a.size = 0, 0
		}
		grown := max(size, 2*a.size)
		if a.buf = libc.Xmalloc(a.tls, types.Size_t(grown)); a.buf == 0 {
			return nil, errors.New("out of memory for the native row feed")
		}
		a.size = grown
	}
	n := len(vals)
	a.kinds, a.nums, a.lens = slices.Grow(a.kinds[:0], n)[:n], slices.Grow(a.nums[:0], n)[:n], slices.Grow(a.lens[:0], n)[:n]
	f := &nativeFeed{cols: cols, rows: n / cols, kinds: a.kinds, nums: a.nums, lens: a.lens, buf: a.buf}
	mem := unsafe.Slice((*byte)(cPtr(a.buf)), a.size)
	at := 0
	for i, v := range vals {
		f.nums[i], f.lens[i] = 0, 0
		switch v := v.(type) {
		case nil:
			f.kinds[i] = nativeNull
		case int64:
			f.kinds[i], f.nums[i] = nativeInt, v
		case bool:
			f.kinds[i] = nativeInt
			if v {
				f.nums[i] = 1
			}
		case float64:
			f.kinds[i], f.nums[i] = nativeReal, int64(math.Float64bits(v))
		case string:
			f.kinds[i], f.nums[i], f.lens[i] = nativeText, int64(at), int32(len(v))
			at += copy(mem[at:], v)
		case []byte:
			f.kinds[i], f.nums[i], f.lens[i] = nativeBlob, int64(at), int32(len(v))
			at += copy(mem[at:], v)
		default:
			return nil, fmt.Errorf("row feed value of type %T", v)
		}
	}
	return f, nil
}

// nativeRows runs insert + SELECT from the native feed + suffix once for
// all the rows, on dc, the driver connection of the SQLite write in
// progress. ok is false when the native feed cannot be used on this
// connection: nothing was written, and the caller writes the rows
// another way.
func (db *DB) nativeRows(ctx context.Context, dc any, prep driver.ConnPrepareContext, insert, suffix string, cols int, vals []any) (ok bool, err error) {
	handle, found := connHandle(dc)
	if !found {
		return false, nil
	}
	if db.native.tls == nil {
		db.native.tls = libc.NewTLS()
	}
	if !db.nativeReady {
		if err := createNativeFeed(ctx, db.native.tls, handle, prep); err != nil {
			return false, nil
		}
		db.nativeReady = true
	}
	st, err := db.driverStmt(ctx, prep, insert+feedSelect(nativeFeedTable, cols)+suffix)
	if err != nil {
		return true, err
	}
	exec, isExec := st.(driver.StmtExecContext)
	if !isExec {
		return false, nil
	}
	f, err := db.native.feed(cols, vals)
	if err != nil {
		return false, nil
	}
	slot, err := addNativeFeed(f)
	if err != nil {
		return false, nil
	}
	defer removeNativeFeed(slot)
	if _, err := exec.ExecContext(ctx, []driver.NamedValue{{Ordinal: 1, Value: f.key}}); err != nil {
		return true, fmt.Errorf("write %d rows: %w", f.rows, err)
	}
	db.fedNative++
	return true, nil
}

// connHandle reads the SQLite handle of a modernc.org/sqlite driver
// connection (its unexported field db, a uintptr); a connection of any
// other driver, a wrapper included, has none.
func connHandle(dc any) (uintptr, bool) {
	v := reflect.ValueOf(dc)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct || v.Elem().Type().PkgPath() != "modernc.org/sqlite" {
		return 0, false
	}
	fv := v.Elem().FieldByName("db")
	if !fv.IsValid() || fv.Kind() != reflect.Uintptr || fv.Uint() == 0 {
		return 0, false
	}
	return uintptr(fv.Uint()), true
}

// createNativeFeed creates the connection's native feed table, first
// registering the module on the connection if it lacks it.
func createNativeFeed(ctx context.Context, tls *libc.TLS, handle uintptr, prep driver.ConnPrepareContext) error {
	create := func() error { return createFeedTable(ctx, prep, nativeFeedTable, nativeFeedModuleName) }
	if create() == nil {
		return nil
	}
	if err := registerNativeFeed(tls, handle); err != nil {
		return err
	}
	return create()
}

// nativeModule is the module's C struct, made once.
var nativeModule struct {
	once sync.Once
	ptr  uintptr
}

func registerNativeFeed(tls *libc.TLS, handle uintptr) error {
	nativeModule.once.Do(func() {
		p := libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(sqlite3.Sqlite3_module{})))
		if p == 0 {
			return
		}
		m := (*sqlite3.Sqlite3_module)(cPtr(p))
		m.FiVersion = 1
		m.FxCreate = cFunc(nativeConnect)
		m.FxConnect = cFunc(nativeConnect)
		m.FxBestIndex = cFunc(nativeBestIndex)
		m.FxDisconnect = cFunc(nativeDisconnect)
		m.FxDestroy = cFunc(nativeDisconnect)
		m.FxOpen = cFunc(nativeOpen)
		m.FxClose = cFunc(nativeClose)
		m.FxFilter = cFunc(nativeFilter)
		m.FxNext = cFunc(nativeNext)
		m.FxEof = cFunc(nativeEof)
		m.FxColumn = cFunc(nativeColumn)
		m.FxRowid = cFunc(nativeRowid)
		nativeModule.ptr = p
	})
	if nativeModule.ptr == 0 {
		return errors.New("out of memory for the native row feed module")
	}
	name, err := libc.CString(nativeFeedModuleName)
	if err != nil {
		return err
	}
	defer libc.Xfree(tls, name)
	if rc := sqlite3.Xsqlite3_create_module_v2(tls, handle, name, nativeModule.ptr, 0, 0); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("register the native row feed: code %d", rc)
	}
	return nil
}

// cPtr is the C address p (memory of SQLite's or of the C allocator,
// never of Go's heap) as a pointer.
func cPtr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// cFunc is f as the transpiled SQLite calls a C function pointer: the
// address of the function value's code pointer, which for a top-level
// function lies in read-only data and never moves.
func cFunc[T any](f T) uintptr { return *(*uintptr)(unsafe.Pointer(&f)) }

// nativeDeclaration is the table the module declares: feedColumns columns
// and the hidden key.
var nativeDeclaration = func() string {
	cols := make([]string, 0, feedColumns+1)
	for i := range feedColumns {
		cols = append(cols, "c"+strconv.Itoa(i))
	}
	return "CREATE TABLE x (" + strings.Join(append(cols, "feed HIDDEN"), ", ") + ")"
}()

// nativeCursor is the module's cursor in C memory: SQLite's base, then
// the slot of the feed it reads and its current row.
type nativeCursor struct {
	base sqlite3.Tsqlite3_vtab_cursor
	slot int64
	key  int64
	row  int64
}

// nativeConnect declares the table, in the temp schema only (argv[1] is
// the schema's name), and makes it usable from top-level SQL only
// (SQLITE_VTAB_DIRECTONLY), as the Go module does.
func nativeConnect(tls *libc.TLS, db, _ uintptr, argc int32, argv, ppVtab, _ uintptr) int32 {
	if argc < 3 || libc.GoString(*(*uintptr)(cPtr(argv + unsafe.Sizeof(uintptr(0))))) != "temp" {
		return sqlite3.SQLITE_ERROR
	}
	decl, err := libc.CString(nativeDeclaration)
	if err != nil {
		return sqlite3.SQLITE_NOMEM
	}
	defer libc.Xfree(tls, decl)
	if rc := sqlite3.Xsqlite3_declare_vtab(tls, db, decl); rc != sqlite3.SQLITE_OK {
		return rc
	}
	if rc := sqlite3.Xsqlite3_vtab_config(tls, db, sqlite3.SQLITE_VTAB_DIRECTONLY, 0); rc != sqlite3.SQLITE_OK {
		return rc
	}
	size := int32(unsafe.Sizeof(sqlite3.Tsqlite3_vtab{}))
	p := sqlite3.Xsqlite3_malloc(tls, size)
	if p == 0 {
		return sqlite3.SQLITE_NOMEM
	}
	clear(unsafe.Slice((*byte)(cPtr(p)), size))
	*(*uintptr)(cPtr(ppVtab)) = p
	return sqlite3.SQLITE_OK
}

func nativeDisconnect(tls *libc.TLS, pVtab uintptr) int32 {
	sqlite3.Xsqlite3_free(tls, pVtab)
	return sqlite3.SQLITE_OK
}

// nativeBestIndex accepts only a plan that picks the rows by their key
// (WHERE feed = ?), as the Go module does.
func nativeBestIndex(_ *libc.TLS, _, pInfo uintptr) int32 {
	info := (*sqlite3.Sqlite3_index_info)(cPtr(pInfo))
	csize := unsafe.Sizeof(sqlite3.Tsqlite3_index_constraint{})
	usize := unsafe.Sizeof(sqlite3.Tsqlite3_index_constraint_usage{})
	for i := range uintptr(max(info.FnConstraint, 0)) {
		c := (*sqlite3.Tsqlite3_index_constraint)(cPtr(info.FaConstraint + i*csize))
		if c.Fusable != 0 && c.FiColumn == feedKeyColumn && c.Fop == sqlite3.SQLITE_INDEX_CONSTRAINT_EQ {
			u := (*sqlite3.Tsqlite3_index_constraint_usage)(cPtr(info.FaConstraintUsage + i*usize))
			u.FargvIndex, u.Fomit = 1, 1
			info.FidxNum, info.FestimatedCost, info.FestimatedRows = 1, 1, 1
			return sqlite3.SQLITE_OK
		}
	}
	return sqlite3.SQLITE_CONSTRAINT
}

func nativeOpen(tls *libc.TLS, _, ppCursor uintptr) int32 {
	size := int32(unsafe.Sizeof(nativeCursor{}))
	p := sqlite3.Xsqlite3_malloc(tls, size)
	if p == 0 {
		return sqlite3.SQLITE_NOMEM
	}
	clear(unsafe.Slice((*byte)(cPtr(p)), size))
	(*nativeCursor)(cPtr(p)).slot = -1
	*(*uintptr)(cPtr(ppCursor)) = p
	return sqlite3.SQLITE_OK
}

func nativeClose(tls *libc.TLS, pCursor uintptr) int32 {
	sqlite3.Xsqlite3_free(tls, pCursor)
	return sqlite3.SQLITE_OK
}

// nativeFilter starts the cursor on the feed registered under the key the
// statement binds.
func nativeFilter(tls *libc.TLS, pCursor uintptr, idxNum int32, _ uintptr, argc int32, argv uintptr) int32 {
	c := (*nativeCursor)(cPtr(pCursor))
	c.slot, c.row = -1, 0
	if idxNum != 1 || argc != 1 {
		return sqlite3.SQLITE_ERROR
	}
	key := sqlite3.Xsqlite3_value_int64(tls, *(*uintptr)(cPtr(argv)))
	slot := key & 63
	f := nativeSlots.feed[slot].Load()
	if key <= 0 || f == nil || f.key != key {
		return sqlite3.SQLITE_ERROR
	}
	c.slot, c.key = slot, key
	return sqlite3.SQLITE_OK
}

// feedOf returns the cursor's feed, nil once it is gone.
func (c *nativeCursor) feedOf() *nativeFeed {
	if c.slot < 0 {
		return nil
	}
	f := nativeSlots.feed[c.slot].Load()
	if f == nil || f.key != c.key {
		return nil
	}
	return f
}

func nativeNext(_ *libc.TLS, pCursor uintptr) int32 {
	(*nativeCursor)(cPtr(pCursor)).row++
	return sqlite3.SQLITE_OK
}

func nativeEof(_ *libc.TLS, pCursor uintptr) int32 {
	c := (*nativeCursor)(cPtr(pCursor))
	if f := c.feedOf(); f != nil && c.row < int64(f.rows) {
		return 0
	}
	return 1
}

// nativeColumn hands SQLite the value of column i of the current row; a
// text or blob as a pointer into the feed's C buffer, which outlives the
// statement (SQLITE_STATIC: SQLite copies it into the row it builds).
func nativeColumn(tls *libc.TLS, pCursor, ctx uintptr, i int32) int32 {
	c := (*nativeCursor)(cPtr(pCursor))
	f := c.feedOf()
	if f == nil || i < 0 || int(i) >= f.cols || c.row >= int64(f.rows) {
		if i == feedKeyColumn && f != nil {
			sqlite3.Xsqlite3_result_int64(tls, ctx, f.key)
			return sqlite3.SQLITE_OK
		}
		sqlite3.Xsqlite3_result_null(tls, ctx)
		return sqlite3.SQLITE_OK
	}
	k := int(c.row)*f.cols + int(i)
	switch f.kinds[k] {
	case nativeInt:
		sqlite3.Xsqlite3_result_int64(tls, ctx, f.nums[k])
	case nativeReal:
		sqlite3.Xsqlite3_result_double(tls, ctx, math.Float64frombits(uint64(f.nums[k])))
	case nativeText:
		sqlite3.Xsqlite3_result_text(tls, ctx, f.buf+uintptr(f.nums[k]), f.lens[k], 0)
	case nativeBlob:
		sqlite3.Xsqlite3_result_blob(tls, ctx, f.buf+uintptr(f.nums[k]), f.lens[k], 0)
	default:
		sqlite3.Xsqlite3_result_null(tls, ctx)
	}
	return sqlite3.SQLITE_OK
}

func nativeRowid(_ *libc.TLS, pCursor, pRowid uintptr) int32 {
	*(*int64)(cPtr(pRowid)) = (*nativeCursor)(cPtr(pCursor)).row
	return sqlite3.SQLITE_OK
}
