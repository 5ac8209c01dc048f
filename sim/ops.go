package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections"
)

// key is an idempotency record's key: (ticket, principal, command id).
type key struct {
	ticket string
	actor  events.Actor
	id     string
}

// answer is the first answer a client was given for a key.
type answer struct {
	seq      int // the op that got it
	events   []uuid.UUID
	revision uint64
}

// clientState is what the clients know, across crashes.
type clientState struct {
	acked map[key]answer
	// refused keys: every attempt got a definite refusal and none was
	// acknowledged (nothing may be on record under them).
	refused map[key]int
	// unsettled keys: an attempt's outcome stayed unknown.
	unsettled map[key]bool
}

// do carries out one operation.
func (r *run) do(ctx context.Context, o op) error {
	switch o.intent {
	case wake:
		// The schedulers wake at a due time: both step, in a random order.
		for _, p := range r.rng.Perm(2) {
			if err := r.stepPart(ctx, p); err != nil {
				return err
			}
		}
		return nil
	case read:
		return r.read(ctx, o)
	}
	return r.command(ctx, o)
}

// command sends a command as a client would: again with the same id while
// the outcome is unknown, a few times.
func (r *run) command(ctx context.Context, o op) error {
	k := key{o.ticket, o.actor, o.cmdID}
	req := commands.Request{CommandID: o.cmdID, CorrelationID: o.ticket, TicketID: o.ticket, Actor: o.actor, Command: o.cmd.CommandName()}
	prior, wasAcked := r.client.acked[k]
	var (
		res commands.Result
		err error
	)
	for attempt := 0; ; attempt++ {
		r.armAppend()
		res, err = r.l.handler.Handle(ctx, req, o.cmd)
		fault := r.l.faults.struck()
		r.l.faults.disarm()
		if err == nil || !(errors.Is(err, commands.ErrOutcomeUnknown) || errors.Is(err, commands.ErrUnavailable)) {
			break
		}
		r.res.Stats.Unknown++
		r.trace([]string{o.ticket}, "#%d %s → %s (attempt %d)", o.seq, o, commands.Classify(err).Code, attempt+1)
		if fault == appendFailAfter && r.chance(r.cfg.Faults.CrashAfterFault) {
			if err := r.crash(ctx, "right after an append failed after its commit"); err != nil {
				return err
			}
		}
		if attempt >= 3 {
			r.client.unsettled[k] = true
			return nil
		}
	}
	if err != nil {
		r.res.Stats.Refused++
		cl := commands.Classify(err)
		r.trace([]string{o.ticket}, "#%d %s → refused %s", o.seq, o, cl.Code)
		if !wasAcked {
			r.client.refused[k]++
		}
		if r.cfg.hooks.refused != nil {
			r.cfg.hooks.refused(ctx, r.l.wrapped, req, o.cmd)
		}
		switch o.intent {
		case replaySame:
			if wasAcked {
				r.violate(CheckReplayAnswer, []string{o.ticket}, "#%d replays #%d's acknowledged request and is refused: %v", o.seq, prior.seq, err)
			}
		case replayOther:
			if wasAcked && !errors.Is(err, commands.ErrIdempotencyKeyReused) {
				r.violate(CheckReplayAnswer, []string{o.ticket}, "#%d reuses #%d's command id for another request and is refused with %s, not idempotency_key_reused", o.seq, prior.seq, cl.Code)
			}
		case foreign:
			if cl.Kind != commands.KindNotFound && cl.Kind != commands.KindForbidden {
				r.violate(CheckAuthorization, []string{o.ticket}, "#%d: a non-party's command is refused as %s, not as forbidden or not found: %v", o.seq, cl.Code, err)
			}
		}
		return nil
	}
	ids := eventIDs(res.Events)
	if res.Duplicate {
		r.res.Stats.Duplicates++
	} else {
		r.res.Stats.Accepted++
	}
	r.trace([]string{o.ticket}, "#%d %s → %s revision %d, %d events%s", o.seq, o, map[bool]string{true: "duplicate", false: "accepted"}[res.Duplicate],
		res.Revision, len(res.Events), firedNote(res.Fired))
	switch {
	case o.intent == foreign:
		r.violate(CheckAuthorization, []string{o.ticket}, "#%d: %s, no party of ticket %s, had %s accepted", o.seq, o.actor, o.ticket, o.cmd.CommandName())
	case o.intent == replayOther && wasAcked:
		r.violate(CheckReplayAnswer, []string{o.ticket}, "#%d reuses #%d's command id for another request and is answered (duplicate=%t)", o.seq, prior.seq, res.Duplicate)
	case wasAcked && (!res.Duplicate || !slices.Equal(ids, prior.events) || res.Revision != prior.revision):
		r.violate(CheckReplayAnswer, []string{o.ticket}, "#%d replays #%d: answered duplicate=%t revision %d events %v, the first answer was revision %d events %v",
			o.seq, prior.seq, res.Duplicate, res.Revision, ids, prior.revision, prior.events)
	case !wasAcked:
		r.client.acked[k] = answer{seq: o.seq, events: ids, revision: res.Revision}
	}
	return nil
}

func firedNote(fired []events.Envelope) string {
	if len(fired) == 0 {
		return ""
	}
	return fmt.Sprintf(" (with %d overdue expiry events)", len(fired))
}

func eventIDs(envs []events.Envelope) []uuid.UUID {
	out := make([]uuid.UUID, len(envs))
	for i, e := range envs {
		out[i] = e.ID
	}
	return out
}

// read is a principal reading a ticket through the API's scoping: it may
// read it exactly when it is a party or reads everything, and a list of
// tickets scoped to it shows no other party's.
func (r *run) read(ctx context.Context, o op) error {
	r.res.Stats.Reads++
	p := auth.Principal{Role: o.actor.Role, ID: o.actor.ID}
	t, _, err := r.l.handler.Load(ctx, o.ticket)
	if err != nil {
		r.trace([]string{o.ticket}, "#%d %s → %v", o.seq, o, err)
		return nil
	}
	want := r.party(o.actor, o.ticket)
	if t.Exists() {
		got := httpapi.MayRead(p, t.BuyerID, t.MerchantID)
		r.trace([]string{o.ticket}, "#%d %s → may read %t", o.seq, o, got)
		if got != want {
			r.violate(CheckAuthorization, []string{o.ticket}, "#%d: %s may read ticket %s: %t, should be %t", o.seq, o.actor, o.ticket, got, want)
		}
	}
	f := projections.TicketFilter{}
	if r.rng.IntN(2) == 0 {
		// A party asking for another party's tickets by filter.
		own := r.owner[o.ticket]
		f.BuyerID, f.MerchantID = own.buyer, own.merchant
	}
	if httpapi.ScopeTicketFilter(p, &f) {
		// The API answers another party's filter with the empty list, as
		// for an id with no tickets, without reading.
		return nil
	}
	page, err := projections.Reads{DB: r.l.rm, Policy: r.pol}.Tickets(ctx, f)
	if err != nil {
		// Before the projector's first step the tables are not made yet:
		// the API answers 503 then.
		r.trace([]string{o.ticket}, "#%d list tickets for %s → %v", o.seq, o.actor, err)
		return nil
	}
	for _, s := range page.Items {
		if !httpapi.MayRead(p, s.BuyerID, s.MerchantID) || !r.party(o.actor, s.TicketID) {
			r.violate(CheckAuthorization, []string{o.ticket, s.TicketID}, "#%d: %s's scoped list shows ticket %s of %s and %s", o.seq, o.actor, s.TicketID, s.BuyerID, s.MerchantID)
		}
	}
	return nil
}

// party is the workload's own account of who may see a ticket: its buyer,
// its merchant, and the platform's roles and auditors.
func (r *run) party(a events.Actor, ticket string) bool {
	own := r.owner[ticket]
	switch a.Role {
	case events.RoleBuyer:
		return a.ID == own.buyer
	case events.RoleMerchant:
		return a.ID == own.merchant
	case events.RoleAgent, events.RoleArbitrator, events.RoleSeniorArbitrator, events.RoleAuditor:
		return true
	}
	return false
}
