//go:build simmutants

package sim

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/projections"
)

// The mutant suite plants known bugs in the parts, each through a wrapper
// or hook of the simulator (no production code changes), and passes only
// if the simulator catches every one with the invariant meant to catch
// it. Run it with
//
//	go test -tags simmutants -run TestMutants ./sim
//
// A mutant the simulator no longer catches means a check went blind.

// mutantSeeds is how many seeds a mutant gets to be caught in.
const mutantSeeds = 20

type mutant struct {
	name  string
	plant func() hooks
	// caughtBy is the invariant that must find it.
	caughtBy Check
}

func TestMutants(t *testing.T) {
	for _, m := range []mutant{
		{"an expiry fired twice", expiryFiredTwice, CheckExpiry},
		{"a refused command that appends", refusedCommandAppends, CheckRefusedNothing},
		{"a projection that skips an event", projectionSkipsEvent, CheckReadModels},
		{"a checkpoint written before its rows", checkpointBeforeRows, CheckReadModels},
	} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			for seed := uint64(1); seed <= mutantSeeds; seed++ {
				res, err := Run(context.Background(), Config{Seed: seed, Dir: runDir(t), hooks: m.plant()})
				if err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				for _, v := range res.Violations {
					if v.Check == m.caughtBy {
						t.Logf("caught by seed %d: %s", seed, v)
						return
					}
				}
				if !res.OK() {
					t.Logf("seed %d found it by another check first: %v", seed, res.Violations)
				}
			}
			t.Fatalf("%s: not caught by %s in %d seeds", m.name, m.caughtBy, mutantSeeds)
		})
	}
}

// appendAfter records payloads on a ticket's stream after its last event,
// chained as the handler would chain them, straight into the store: the
// write a buggy part makes.
func appendAfter(ctx context.Context, store eventstore.Store, ticket string, cause events.Cause, payloads []events.Payload) error {
	_, history, err := commands.LoadTicket(ctx, store, ticket)
	if err != nil || len(history) == 0 {
		return err
	}
	last := history[len(history)-1]
	sealed, wire, err := events.Record(&last, last.Stream, cause, payloads, events.NewV7)
	if err != nil {
		return err
	}
	data := make([]eventstore.EventData, len(sealed))
	for i, env := range sealed {
		data[i] = eventstore.EventData{ID: env.ID, Type: env.Type, Revision: env.Revision, Data: wire[i]}
	}
	_, err = store.Append(ctx, last.Stream, eventstore.Exact(last.Revision), data)
	return err
}

// expiryFiredTwice: a store under a scheduler that records every expiry a
// second time right after the first, under the same command id.
func expiryFiredTwice() hooks {
	return hooks{store: func(inner eventstore.Store) eventstore.Store { return &twiceStore{Store: inner} }}
}

type twiceStore struct{ eventstore.Store }

func (s *twiceStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, evs []eventstore.EventData) (eventstore.AppendResult, error) {
	res, err := s.Store.Append(ctx, stream, expected, evs)
	if err != nil || res.Duplicate {
		return res, err
	}
	for _, ev := range evs {
		env, derr := events.Decode(ev.Data)
		if x, ok := env.Payload.(events.DeadlineExpired); derr == nil && ok {
			cause := events.Cause{OccurredAt: env.OccurredAt, Actor: env.Actor, CommandID: env.CommandID,
				CommandFingerprint: env.CommandFingerprint, CorrelationID: env.CorrelationID}
			_ = appendAfter(ctx, s.Store, events.TicketOf(stream), cause, []events.Payload{x})
			break
		}
	}
	return res, err
}

// refusedCommandAppends: a handler that, refusing a command, still records
// it (as a message from its actor under its command id).
func refusedCommandAppends() hooks {
	return hooks{refused: func(ctx context.Context, store eventstore.Store, req commands.Request, cmd domain.Command) {
		cause := events.Cause{OccurredAt: mustLastTime(ctx, store, req.TicketID), Actor: req.Actor, CommandID: req.CommandID, CorrelationID: req.TicketID}
		_ = appendAfter(ctx, store, req.TicketID, cause, []events.Payload{events.MessagePosted{Party: req.Actor.Role, Text: "refused " + cmd.CommandName()}})
	}}
}

func mustLastTime(ctx context.Context, store eventstore.Store, ticket string) (at time.Time) {
	_, history, err := commands.LoadTicket(ctx, store, ticket)
	if err != nil || len(history) == 0 {
		return at
	}
	return history[len(history)-1].OccurredAt
}

// projectionSkipsEvent: the ticket-status projection drops every message.
func projectionSkipsEvent() hooks {
	return hooks{projections: func(_ *projections.DB, ps []projections.Projection) []projections.Projection {
		return wrapNamed(ps, projections.TicketStatusName, func(p projections.Projection) projections.Projection {
			return &skipping{Projection: p, skip: events.TypeMessagePosted}
		})
	}}
}

type skipping struct {
	projections.Projection
	skip string
}

func (s *skipping) Apply(ctx context.Context, ev follow.Event) error {
	if ev.Env.Type == s.skip {
		return nil
	}
	return s.Projection.Apply(ctx, ev)
}

// checkpointBeforeRows: the open-deadlines projection commits its
// checkpoint with nothing written, and writes the page's rows in a
// transaction of their own at its next run — lost if the process dies in
// between, and missing meanwhile.
func checkpointBeforeRows() hooks {
	return hooks{projections: func(db *projections.DB, ps []projections.Projection) []projections.Projection {
		return wrapNamed(ps, projections.DeadlinesName, func(p projections.Projection) projections.Projection {
			return &rowsLater{Projection: p, db: db}
		})
	}}
}

type rowsLater struct {
	projections.Projection
	db   *projections.DB
	owed bool
}

func (r *rowsLater) Flush(context.Context, *sql.Tx) error { r.owed = true; return nil }

func (r *rowsLater) Committed() {}

func (r *rowsLater) Reset() {
	if r.owed {
		ctx := context.Background()
		if tx, err := r.db.SQL.BeginTx(ctx, nil); err == nil {
			if r.Projection.Flush(ctx, tx) == nil && tx.Commit() == nil {
				r.Projection.Committed()
			} else {
				_ = tx.Rollback()
			}
		}
		r.owed = false
	}
	r.Projection.Reset()
}

func wrapNamed(ps []projections.Projection, name string, wrap func(projections.Projection) projections.Projection) []projections.Projection {
	out := slices.Clone(ps)
	for i, p := range out {
		if p.Name() == name {
			out[i] = wrap(p)
			return out
		}
	}
	panic(fmt.Sprintf("no projection %s", name))
}
