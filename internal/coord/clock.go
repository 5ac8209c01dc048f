package coord

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ClockOrigin fixes a scaled clock: it read LedgerStart when the wall clock
// read WallStart, and runs Speed times faster.
type ClockOrigin struct {
	LedgerStart, WallStart time.Time
	Speed                  float64
}

// ErrClockSpeed is returned (wrapped) by SharedClockOrigin when the ledger's
// stored origin runs at another speed than asked.
var ErrClockSpeed = errors.New("the ledger's clock runs at another speed")

// SharedClockOrigin returns the ledger's clock origin, storing want as it
// when none is stored yet: the first replica to start a scaled clock fixes
// the origin, and every later one (and every restart) reads it, so all
// agree on the time. A stored origin at another speed is refused.
func (p *Postgres) SharedClockOrigin(ctx context.Context, want ClockOrigin) (ClockOrigin, error) {
	if _, err := p.pool.Exec(ctx, `INSERT INTO `+p.clock+` (ledger_start, wall_start, speed) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
		want.LedgerStart.UTC().Format(time.RFC3339Nano), want.WallStart.UTC().Format(time.RFC3339Nano), want.Speed); err != nil {
		return ClockOrigin{}, fmt.Errorf("store clock origin: %w", err)
	}
	var ledger, wall string
	var got ClockOrigin
	err := p.pool.QueryRow(ctx, `SELECT ledger_start, wall_start, speed FROM `+p.clock).Scan(&ledger, &wall, &got.Speed)
	if errors.Is(err, pgx.ErrNoRows) {
		return ClockOrigin{}, errors.New("read clock origin: no row after storing one")
	}
	if err != nil {
		return ClockOrigin{}, fmt.Errorf("read clock origin: %w", err)
	}
	if got.LedgerStart, err = time.Parse(time.RFC3339Nano, ledger); err != nil {
		return ClockOrigin{}, fmt.Errorf("read clock origin: %w", err)
	}
	if got.WallStart, err = time.Parse(time.RFC3339Nano, wall); err != nil {
		return ClockOrigin{}, fmt.Errorf("read clock origin: %w", err)
	}
	if got.Speed != want.Speed {
		return got, fmt.Errorf("stored speed %v, asked %v: %w", got.Speed, want.Speed, ErrClockSpeed)
	}
	return got, nil
}
