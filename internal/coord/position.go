package coord

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Position is a leased job's progress kept beside the lease, so the replica
// that takes the job over resumes where the last owner stopped. Save is
// fenced by the token the job runs under. It has the shape of
// forward.Checkpoint.
type Position struct {
	lease *PGLease
	token uint64
}

// Position returns the lease's stored progress, written under token.
func (l *PGLease) Position(token uint64) Position { return Position{lease: l, token: token} }

// Load returns the stored position, 0 if none was saved.
func (p Position) Load(ctx context.Context) (uint64, error) {
	var pos int64
	err := p.lease.p.pool.QueryRow(ctx, `SELECT position FROM `+p.lease.p.positions+` WHERE name = $1`, p.lease.name).Scan(&pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("load position of %s: %w", p.lease.name, err)
	}
	return uint64(pos), nil
}

// Save stores position if the lease is still this holder's at the token
// (ErrFenced otherwise).
func (p Position) Save(ctx context.Context, position uint64) (err error) {
	tx, err := p.lease.p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("save position of %s: %w", p.lease.name, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := p.lease.CheckTx(ctx, tx, p.token); err != nil {
		return fmt.Errorf("save position of %s: %w", p.lease.name, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+p.lease.p.positions+` (name, position) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET position = excluded.position`, p.lease.name, int64(position)); err != nil {
		return fmt.Errorf("save position of %s: %w", p.lease.name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("save position of %s: %w", p.lease.name, err)
	}
	return nil
}
