package projections

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// rows are the values of the rows a projection writes with its next
// commit, cols per row, flat. A projection builds them before the write
// transaction begins (as it folds, or in prepare): every projection of a
// read-model database shares its one write lock, a rebuild spends most of
// its time waiting for it, and what can be done without it — ordering the
// rows, deriving and formatting their values — is done on the projection's
// own goroutine, side by side with the others' writes.
type rows struct {
	cols int
	vals []any
}

// add appends one row, whose values row appends to the slice it is given.
func (r *rows) add(row func(args []any) []any) {
	n := len(r.vals)
	r.vals = row(r.vals)
	if len(r.vals)-n != r.cols {
		panic(fmt.Sprintf("a row of %d values in rows of %d columns", len(r.vals)-n, r.cols))
	}
}

// len returns the number of rows.
func (r *rows) len() int { return len(r.vals) / r.cols }

// grow makes room for n more rows, so that adding them copies no value
// already added: a commit of the per-ticket read models can write tens of
// thousands of rows, whose values doubling the slice would copy and
// allocate about twice over.
func (r *rows) grow(n int) { r.vals = slices.Grow(r.vals, n*r.cols) }

// reset empties r, keeping its memory but none of its values.
func (r *rows) reset() {
	clear(r.vals)
	r.vals = r.vals[:0]
}

// preparer is a projection that builds the rows its next Flush writes in
// prepare, which the runner calls before it begins the write transaction
// (see rows). Flush prepares them itself if they are not: prepare is
// idempotent until the next Apply, Committed or Reset.
type preparer interface {
	prepare() error
}

// chunked runs insert + VALUES list + suffix for the rows, chunk rows at a
// time, with statements prepared once per database (on SQLite, once per
// write: see driverRows) — or, on SQLite, insert + SELECT from the row feed
// + suffix once for them all (feedRows).
func chunked(ctx context.Context, tx *sql.Tx, db *DB, insert, suffix string, chunk int, rs *rows) error {
	n := rs.len()
	if n == 0 {
		return nil
	}
	if ok, err := db.feedRows(ctx, insert, suffix, rs.cols, rs.vals); ok {
		return err
	}
	if ok, err := db.driverRows(ctx, insert, suffix, rs.cols, chunk, rs.vals); ok {
		return err
	}
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		st, err := db.stmt(ctx, insert+" VALUES "+placeholders(end-start, rs.cols)+suffix)
		if err != nil {
			return err
		}
		if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, rs.vals[start*rs.cols:end*rs.cols]...); err != nil {
			return fmt.Errorf("write rows %d-%d: %w", start, end, err)
		}
	}
	return nil
}
