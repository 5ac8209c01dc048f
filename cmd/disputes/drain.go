package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/projections"
)

// readModelDrain brings the read models this replica keeps to the head of
// the log when serve shuts down, so that after a clean stop they hold
// every event it recorded: the projector follows the log a page behind the
// commands, and cancelling it with the rest of the background jobs left
// the last pages for the next start.
type readModelDrain struct {
	store   eventstore.Store
	db      *projections.DB
	names   []string // the projections to wait for
	running *runningFollower
	logger  *slog.Logger
}

// drainPoll is how often the drain reads the checkpoints.
const drainPoll = 10 * time.Millisecond

// wait returns once every projection's checkpoint has reached the head of
// the log as it is when wait begins (nothing of this process writes to the
// log any more by then), or with an error naming the positions when ctx
// ends first. A replica whose projector is not running (a standby, or one
// stopped for good) has nothing to drain.
func (d readModelDrain) wait(ctx context.Context) error {
	if _, running := d.running.status(); !running {
		d.logger.Info("read models: no projector runs here, nothing to drain")
		return nil
	}
	head, err := projections.Head(ctx, d.store)
	if err != nil {
		return fmt.Errorf("drain the read models: read the head of the log: %w", err)
	}
	began := time.Now()
	for {
		lowest, err := d.lowest(ctx)
		if err == nil && lowest >= head {
			d.logger.Info("read models drained to the head of the log", "position", head,
				"waited_ms", time.Since(began).Milliseconds())
			return nil
		}
		if _, running := d.running.status(); !running {
			d.logger.Warn("read models: the projector stopped before the head of the log", "position", lowest, "head", head)
			return nil
		}
		select {
		case <-ctx.Done():
			d.logger.Error("read models not drained: they catch up at the next start", "position", lowest, "head", head, "err", err)
			if err != nil {
				return fmt.Errorf("the read models did not reach the head of the log (position %d): %w", head, err)
			}
			return fmt.Errorf("the read models were at position %d of the log's %d (they catch up at the next start)", lowest, head)
		case <-time.After(drainPoll):
		}
	}
}

// lowest returns the lowest checkpoint of the drained projections.
func (d readModelDrain) lowest(ctx context.Context) (uint64, error) {
	var low uint64
	for i, name := range d.names {
		pos, err := d.db.Checkpoint(ctx, name)
		if err != nil {
			return 0, err
		}
		if i == 0 || pos < low {
			low = pos
		}
	}
	return low, nil
}

// projectionNames returns the names of projs.
func projectionNames(projs []projections.Projection) []string {
	out := make([]string, len(projs))
	for i, p := range projs {
		out[i] = p.Name()
	}
	return out
}
