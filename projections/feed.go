package projections

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // the driver registerFeedEarly installs the module on
	"modernc.org/sqlite/vtab"
)

// On SQLite a write's rows reach their table through a virtual table that
// reads them from Go memory: one INSERT … SELECT … FROM temp.rm_row_feed
// per table and write, instead of a multi-row INSERT per 128 rows whose
// every value is bound. The driver (modernc.org/sqlite) opens each
// connection SQLITE_OPEN_FULLMUTEX, so every bind takes the connection's
// mutex, a text value is copied into C memory, and after each execution
// every text parameter is bound again to NULL (the mutex again) and freed:
// about half of the audit trail's write time. A value handed out by the
// virtual table's cursor is copied once and takes no mutex
// (BENCHMARKS.md, Projections).
//
// The rows go in as database/sql would bind them: the cursor hands out
// only the values whose storage is the same either way (feedable), and a
// write holding any other value goes through driverRows.

// feedModuleName is the virtual table module's name on the driver.
const feedModuleName = "disputes_row_feed"

// feedTable is the virtual table, one per connection in its temp schema:
// nothing of it reaches the database file.
const feedTable = "temp.rm_row_feed"

// feedColumns is the most columns a fed row has (rm_ticket_status has 37).
const feedColumns = 48

// feeds are the rows being fed, by key: the cursor of a statement finds
// its rows by the key the statement binds (WHERE feed = ?), so one
// process-wide module serves every database and connection.
var feeds = feedRegistry{m: map[int64]*feed{}}

type feedRegistry struct {
	mu   sync.Mutex
	next int64
	m    map[int64]*feed
}

func (r *feedRegistry) add(f *feed) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	r.m[r.next] = f
	return r.next
}

func (r *feedRegistry) remove(key int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, key)
}

func (r *feedRegistry) get(key int64) *feed {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[key]
}

// feed is one statement's rows: cols values per row, flat.
type feed struct {
	cols int
	vals []any
}

// The module goes on the engine's driver ("sqlite", the one every SQLite
// database of the binary is opened with) as the package is initialised,
// before any connection can open: the driver reads its modules without a
// lock as each connection opens, so a registration made later — serve's
// projector opening its read models while the API's requests open the
// ledger's connections — would race on that map, which the runtime may end
// the process for (TestFeedModuleIsOnTheDriverAtInit).
func init() { registerFeedEarly() }

func registerFeedEarly() {
	db, err := sql.Open("sqlite", "") // opens no connection
	if err != nil {
		return // registerFeed tries again with the database it is given
	}
	registerFeed(db)
	_ = db.Close()
}

// registerFeed installs the module on db's driver, once per driver; a
// connection the pool opened earlier lacks it, and its writes bind their
// rows (driverRows). A driver that cannot take modules is left without.
func registerFeed(db *sql.DB) {
	d := db.Driver()
	feedDrivers.Lock()
	defer feedDrivers.Unlock()
	if _, done := feedDrivers.m[d]; done {
		return
	}
	feedDrivers.m[d] = vtab.RegisterModule(db, feedModuleName, rowFeedModule{})
}

var feedDrivers = struct {
	sync.Mutex
	m map[driver.Driver]error
}{m: map[driver.Driver]error{}}

// feedable reports whether every value is stored the same through the
// virtual table as bound as a parameter: nil, int64, float64, bool and
// string are; a []byte is only stored alike when it is not nil, a
// time.Time not at all (the cursor hands it out as Unix seconds, a bind
// as text), and other types are converted by database/sql first.
func feedable(vals []any) bool {
	for _, v := range vals {
		switch v := v.(type) {
		case nil, int64, float64, bool, string:
		case []byte:
			if v == nil {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// feedSelect returns the SELECT that reads cols columns of the feed table
// (feedTable, or the native module's nativeFeedTable).
func feedSelect(table string, cols int) string {
	var b strings.Builder
	b.WriteString(" SELECT ")
	for i := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("c" + strconv.Itoa(i))
	}
	b.WriteString(" FROM " + table + " WHERE feed = ?")
	return b.String()
}

// feedRows runs insert + the feed's SELECT + suffix once for all the rows
// of cols values in vals, on the driver connection of the SQLite write in
// progress. ok is false when the rows cannot go that way (outside a SQLite
// write, a connection without the module, a value not feedable): then
// nothing was written.
func (db *DB) feedRows(ctx context.Context, insert, suffix string, cols int, vals []any) (ok bool, err error) {
	if db.conn == nil || db.noFeed || db.bindRows || cols > feedColumns || !feedable(vals) {
		return false, nil
	}
	err = db.conn.Raw(func(dc any) error {
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errNoDriverPath
		}
		if !db.noNative && !db.goFeed {
			done, err := db.nativeRows(ctx, dc, prep, insert, suffix, cols, vals)
			if done {
				if err == nil {
					db.fed++
				}
				return err
			}
			db.noNative = true
		}
		if !db.feedReady {
			if err := db.createFeed(ctx, prep); err != nil {
				return errNoDriverPath
			}
			db.feedReady = true
		}
		query := insert + feedSelect(feedTable, cols) + suffix
		st, err := db.driverStmt(ctx, prep, query)
		if err != nil {
			return err
		}
		exec, ok := st.(driver.StmtExecContext)
		if !ok {
			return errNoDriverPath
		}
		key := feeds.add(&feed{cols: cols, vals: vals})
		defer feeds.remove(key)
		if _, err := exec.ExecContext(ctx, []driver.NamedValue{{Ordinal: 1, Value: key}}); err != nil {
			return fmt.Errorf("write %d rows: %w", len(vals)/cols, err)
		}
		db.fed++
		return nil
	})
	if errors.Is(err, errNoDriverPath) {
		db.noFeed = true
		return false, nil
	}
	return true, err
}

// createFeed creates the connection's feed table if it has none yet. A
// connection opened before the module was registered refuses (no such
// module).
func (db *DB) createFeed(ctx context.Context, prep driver.ConnPrepareContext) error {
	return createFeedTable(ctx, prep, feedTable, feedModuleName)
}

// createFeedTable creates table, a virtual table of module, on the
// connection if it has none yet (the Go feed's and the native one's).
func createFeedTable(ctx context.Context, prep driver.ConnPrepareContext, table, module string) error {
	st, err := prep.PrepareContext(ctx, `CREATE VIRTUAL TABLE IF NOT EXISTS `+table+` USING `+module)
	if err != nil {
		return err
	}
	exec, ok := st.(driver.StmtExecContext)
	if !ok {
		return errors.Join(errNoDriverPath, st.Close())
	}
	_, err = exec.ExecContext(ctx, nil)
	return errors.Join(err, st.Close())
}
