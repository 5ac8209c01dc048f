package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
)

// maxRowsPerInsert caps the rows of one multi-row INSERT, and so the number
// of statements rowInserts keeps (one per row count).
const maxRowsPerInsert = 64

// rowColumns is the number of values each row binds.
const rowColumns = 6

// rowInserts runs the writer's multi-row INSERTs: one statement writes the
// events of every append in a run of the batch whose revision is already
// known to follow its stream's head (batch.go). They run on the driver's
// connection, under the batch's transaction, without database/sql's
// per-argument conversions. A statement for each row count is prepared the
// first time a batch needs it and kept until close.
//
// Only the writer goroutine uses it.
type rowInserts struct {
	conn  *sql.Conn // the writer's one connection, as the transactions use it
	stmts [maxRowsPerInsert + 1]driver.Stmt
	args  []driver.NamedValue // reused from one statement to the next
}

// insertRowsQuery is the INSERT of n rows.
func insertRowsQuery(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (position, id, stream, revision, type, data) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?,?,?,?)`)
	}
	return b.String()
}

// add binds one row's values for the next exec.
func (ri *rowInserts) add(position int64, id []byte, stream string, revision int64, typ string, data []byte) {
	for _, v := range [rowColumns]driver.Value{position, id, stream, revision, typ, data} {
		ri.args = append(ri.args, driver.NamedValue{Ordinal: len(ri.args) + 1, Value: v})
	}
}

// exec inserts the rows added since the last exec in one statement. A
// constraint failure undoes the whole statement (and only it): SQLite
// aborts a statement atomically and keeps the transaction.
func (ri *rowInserts) exec(ctx context.Context) error {
	n := len(ri.args) / rowColumns
	defer func() {
		clear(ri.args) // drop references to the batch's bytes
		ri.args = ri.args[:0]
	}()
	if n == 0 {
		return nil
	}
	if n > maxRowsPerInsert || len(ri.args) != n*rowColumns {
		return fmt.Errorf("insert %d values: not %d rows of at most %d", len(ri.args), rowColumns, maxRowsPerInsert)
	}
	return ri.conn.Raw(func(dc any) error {
		st := ri.stmts[n]
		if st == nil {
			prep, ok := dc.(driver.ConnPrepareContext)
			if !ok {
				return fmt.Errorf("driver connection %T cannot prepare with a context", dc)
			}
			var err error
			if st, err = prep.PrepareContext(ctx, insertRowsQuery(n)); err != nil {
				return fmt.Errorf("prepare insert of %d rows: %w", n, err)
			}
			ri.stmts[n] = st
		}
		ex, ok := st.(driver.StmtExecContext)
		if !ok {
			return fmt.Errorf("driver statement %T cannot execute with a context", st)
		}
		_, err := ex.ExecContext(ctx, ri.args)
		return err
	})
}

// close finalises the prepared statements; the connection stays open.
func (ri *rowInserts) close() error {
	if ri.conn == nil {
		return nil
	}
	var errs []error
	err := ri.conn.Raw(func(any) error {
		for i, st := range ri.stmts {
			if st != nil {
				errs = append(errs, st.Close())
				ri.stmts[i] = nil
			}
		}
		return nil
	})
	return errors.Join(append(errs, err)...)
}
