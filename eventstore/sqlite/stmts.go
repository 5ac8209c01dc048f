package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// stmt is a statement to prepare into *dst.
type stmt struct {
	dst   **sql.Stmt
	query string
}

// prepareAll prepares every statement on db, stopping at the first failure;
// the caller closes what was prepared.
func prepareAll(ctx context.Context, db *sql.DB, stmts ...stmt) error {
	for _, p := range stmts {
		st, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", p.query, err)
		}
		*p.dst = st
	}
	return nil
}

// closeAll closes the statements that were prepared (the others are nil).
func closeAll(stmts ...*sql.Stmt) error {
	var errs []error
	for _, st := range stmts {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
