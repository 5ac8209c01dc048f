package projections

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
)

// On SQLite the read models' rows go to the driver's connection directly
// (sql.Conn.Raw), not through database/sql: fed from Go memory by the row
// feed (feed.go) when every value can be, else bound here. A statement of
// 128 rows binds about 1,700 values, and database/sql would allocate a
// converted copy of them for every execution and check each one by
// reflection — about a tenth of a rebuild's time under the write lock and
// an eighth of what it allocates (BENCHMARKS.md, Projections). The values
// are converted as database/sql converts them
// (driver.DefaultParameterConverter: the SQLite driver declares no
// converter of its own), so the rows are the same.

// driverRows runs insert + VALUES list + suffix for the rows of cols
// values in vals, chunk rows at a time, on the driver connection of the
// SQLite write in progress, with statements prepared once per write
// (closed with it, see DB.write). ok is false when that connection cannot
// be reached that way (then nothing was written, and the caller goes
// through its transaction).
func (db *DB) driverRows(ctx context.Context, insert, suffix string, cols, chunk int, vals []any) (ok bool, err error) {
	if db.conn == nil {
		return false, nil
	}
	err = db.conn.Raw(func(dc any) error {
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errNoDriverPath
		}
		n := len(vals) / cols
		values := make([]driver.NamedValue, 0, min(n, chunk)*cols)
		for start := 0; start < n; start += chunk {
			end := min(start+chunk, n)
			st, err := db.driverStmt(ctx, prep, insert+" VALUES "+placeholders(end-start, cols)+suffix)
			if err != nil {
				return err
			}
			exec, ok := st.(driver.StmtExecContext)
			if !ok {
				if start == 0 {
					return errNoDriverPath
				}
				return fmt.Errorf("write rows %d-%d: the driver's statement cannot execute with a context", start, end)
			}
			values = values[:0]
			for i, a := range vals[start*cols : end*cols] {
				v, err := driverValue(a)
				if err != nil {
					return fmt.Errorf("write rows %d-%d: argument %d: %w", start, end, i+1, err)
				}
				values = append(values, driver.NamedValue{Ordinal: i + 1, Value: v})
			}
			if _, err := exec.ExecContext(ctx, values); err != nil {
				return fmt.Errorf("write rows %d-%d: %w", start, end, err)
			}
		}
		return nil
	})
	if errors.Is(err, errNoDriverPath) {
		return false, nil
	}
	return true, err
}

// driverStmt returns query prepared on the write's driver connection,
// once per write.
func (db *DB) driverStmt(ctx context.Context, prep driver.ConnPrepareContext, query string) (driver.Stmt, error) {
	if st, ok := db.driverStmts[query]; ok {
		return st, nil
	}
	st, err := prep.PrepareContext(ctx, db.Dialect.Q(query))
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if db.driverStmts == nil {
		db.driverStmts = map[string]driver.Stmt{}
	}
	db.driverStmts[query] = st
	return st, nil
}

// errNoDriverPath says the driver offers no way to run a prepared
// statement with a context: the rows go through database/sql instead.
var errNoDriverPath = errors.New("no driver path")

// driverValue converts v as database/sql would for a driver without a
// converter of its own; the common types skip the reflection.
func driverValue(v any) (driver.Value, error) {
	switch v.(type) {
	case nil, string, int64, bool, float64, []byte:
		return v, nil
	}
	return driver.DefaultParameterConverter.ConvertValue(v)
}
