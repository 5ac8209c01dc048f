package sqliteaudit

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// queryRows runs query with args on one of the pool's connections, through
// the driver (sql.Conn.Raw) rather than database/sql, and calls fn with
// each row's values as the driver hands them over. database/sql would take
// its locks and convert every value again on each row, and a blob scanned
// into a []byte would be copied once more; the SQLite driver
// (modernc.org/sqlite) already makes a fresh copy of every text and blob
// for each row, so a value fn keeps is its own: reading later rows, or
// closing them, never touches it (TestRowsKeepNoBufferOfTheDrivers).
// row is reused from one call of fn to the next.
func (s *Store) queryRows(ctx context.Context, query string, args []driver.NamedValue, fn func(row []driver.Value) error) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	return conn.Raw(func(dc any) (err error) {
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("driver connection %T cannot prepare with a context", dc)
		}
		st, err := prep.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, st.Close()) }()
		q, ok := st.(driver.StmtQueryContext)
		if !ok {
			return fmt.Errorf("driver statement %T cannot query with a context", st)
		}
		rows, err := q.QueryContext(ctx, args)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, rows.Close()) }()
		row := make([]driver.Value, len(rows.Columns()))
		for {
			if err := rows.Next(row); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			if err := fn(row); err != nil {
				return err
			}
		}
	})
}

// bytesOf is a column's value as database/sql scans it into sql.RawBytes:
// a blob's bytes (the driver's copy, handed over), any other class's text.
// Unlike RawBytes, the result stays valid after the next row is read.
func bytesOf(v driver.Value) []byte {
	switch v := v.(type) {
	case []byte:
		return v
	case string:
		return []byte(v)
	case nil:
		return nil
	case int64:
		return strconv.AppendInt(nil, v, 10)
	case float64:
		return strconv.AppendFloat(nil, v, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(nil, v)
	case time.Time:
		return v.AppendFormat(nil, time.RFC3339Nano)
	}
	return []byte(fmt.Sprint(v))
}
