package coord

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// FencesTable keeps, in a database other than the lease's (the read
// models'), the highest fencing token each job has written with.
const FencesTable = "coord_fences"

// CreateFences creates FencesTable if it is missing. Replicas starting at
// once may race to create it on PostgreSQL (a duplicate type row): the
// loser tries again and finds it made.
func CreateFences(ctx context.Context, db *sql.DB) error {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
		}
		if _, err = db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+FencesTable+` (name TEXT PRIMARY KEY, token BIGINT NOT NULL)`); err == nil {
			return nil
		}
	}
	return fmt.Errorf("create %s: %w", FencesTable, err)
}

// HighWater returns a fence for writes in a transaction on such a database:
// it raises name's stored token to token, and fails with ErrFenced when a
// higher one is stored — a newer owner has written. The row lock it takes
// orders it against every other owner's write. q rewrites "?" placeholders
// for the database's dialect.
func HighWater(q func(string) string, name string, token uint64) func(ctx context.Context, tx *sql.Tx) error {
	stmt := q(`INSERT INTO ` + FencesTable + ` (name, token) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET token = excluded.token WHERE ` + FencesTable + `.token <= excluded.token`)
	return func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, stmt, name, int64(token))
		if err != nil {
			return fmt.Errorf("fence %s at token %d: %w", name, token, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("fence %s at token %d: %w", name, token, err)
		}
		if n != 1 {
			return fmt.Errorf("%s written with a token above %d: %w", name, token, ErrFenced)
		}
		return nil
	}
}
