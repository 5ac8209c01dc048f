package commands

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// Handler runs commands against a store. It is safe for concurrent use.
type Handler struct {
	store      eventstore.Store
	pol        policy.Policy
	clock      func() time.Time
	retries    int
	clientTime bool
	limits     Limits
	// clockBehind counts the commands decided at their ticket's last event
	// time because this handler's clock was earlier (see decisionTime).
	clockBehind atomic.Uint64
}

// Option configures a Handler.
type Option func(*Handler)

// WithClock sets the clock commands are decided at (default time.Now).
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.clock = now } }

// WithPolicy sets the policy in force (default policy.Default()).
func WithPolicy(p policy.Policy) Option { return func(h *Handler) { h.pol = p } }

// WithClientTime lets requests carry their own time (Request.At): for
// replays, imports and simulations, never for a live API.
func WithClientTime() Option { return func(h *Handler) { h.clientTime = true } }

// WithRetries bounds how often a command is re-decided after losing a race.
func WithRetries(n int) Option { return func(h *Handler) { h.retries = n } }

// WithLimits sets the input bounds.
func WithLimits(l Limits) Option { return func(h *Handler) { h.limits = l } }

// NewHandler returns a handler writing to store.
func NewHandler(store eventstore.Store, opts ...Option) *Handler {
	h := &Handler{store: store, pol: policy.Default(), clock: time.Now, retries: 32, limits: DefaultLimits()}
	for _, o := range opts {
		o(h)
	}
	if h.limits.MaxAmount == 0 {
		h.limits.MaxAmount = h.pol.MaxAmount // amounts are bounded by the policy in force
	}
	return h
}

// Policy returns the policy in force.
func (h *Handler) Policy() policy.Policy { return h.pol }

// Limits returns the input bounds.
func (h *Handler) Limits() Limits { return h.limits }

// Result is what a handled command recorded.
type Result struct {
	TicketID string
	// Events are the command's own events.
	Events []events.Envelope
	// Wire holds each of Events' canonical bytes as they were appended, so
	// that an answer need not encode them again; nil on a duplicate.
	Wire [][]byte
	// Fired are the events of the overdue deadlines' expiries that were
	// recorded in the same append, just before Events (each under its
	// system expiry id, as the scheduler would record it). Empty on a
	// duplicate: a replay answers with the command's own events only.
	Fired []events.Envelope
	// Revision is the ticket's revision after the command.
	Revision uint64
	// Duplicate is true when this principal had sent the same request with
	// the same command id on this ticket before: Events, Revision and Ticket
	// are the first answer's, and nothing new was written.
	Duplicate bool
	Ticket    domain.Ticket
}

// ErrRevisionMismatch is returned when Request.ExpectedRevision does not match the ticket.
var ErrRevisionMismatch = errors.New("ticket revision does not match the expected revision")

// ErrIdempotencyKeyReused is returned when a principal sends, on a ticket,
// a command id it already used there for another request (another command,
// or other data): the first request's answer is not this one's.
var ErrIdempotencyKeyReused = errors.New("idempotency key already used for another request")

// ErrTooManyConflicts is returned when a command lost the race more times than allowed.
var ErrTooManyConflicts = errors.New("too many concurrent writers on one ticket")

// Handle validates and executes one command.
//
// In order, on the ticket's stored state: the actor is authorized
// (domain.Authorize: role, existence, party), so a refused actor causes
// nothing at all — no deadline fired, no revision compared, no key looked
// up, nothing written; a command id this principal already used on this
// ticket answers with what that command recorded (see Result.Duplicate);
// the expected revision (If-Match) is compared with the stored revision;
// every deadline already due is expired in memory, each decided as the
// system's command with the deterministic expiry id exactly as the
// scheduler would record it (see overdue), so that a late command is
// decided against what the deadline caused, never against a stale state in
// which the lapsed right still seemed open; then the domain decides the
// command against that state. An accepted command's events are appended
// together with the expiries', in one append at one expected revision; a
// refused command appends nothing at all — not even the expiries it was
// decided against, which stay for the scheduler (or an accepted command) to
// record. A scheduler recording the same expiry meanwhile makes the append a
// concurrency conflict: the command is decided again on the reloaded
// stream, where that expiry is already on record and is not repeated.
func (h *Handler) Handle(ctx context.Context, req Request, cmd domain.Command) (Result, error) {
	if err := Validate(req, cmd, h.limits); err != nil {
		return Result{}, err
	}
	clock := serverClock
	if req.At != nil {
		if !h.clientTime {
			return Result{}, invalidField("at", "client-supplied time is not accepted by this ledger")
		}
		clock = clientClock
	}
	if open, ok := cmd.(domain.OpenTicket); ok && open.TicketID == "" {
		open.TicketID = req.TicketID
		cmd = open
	}
	return h.handleAt(ctx, req, cmd, clock)
}

func (h *Handler) handleAt(ctx context.Context, req Request, cmd domain.Command, clock clockSource) (Result, error) {
	stream := events.StreamFor(req.TicketID)
	fingerprint, err := Fingerprint(cmd)
	if err != nil {
		return Result{}, err
	}
	for attempt := 0; ; attempt++ {
		ticket, history, err := h.load(ctx, req.TicketID)
		if err != nil {
			return Result{}, err
		}
		if err := domain.Authorize(ticket, req.Actor, cmd); err != nil {
			return Result{}, fmt.Errorf("%s on ticket %s: %w", cmd.CommandName(), req.TicketID, err)
		}
		if prior, ok, err := priorAnswer(req.TicketID, history, req.Actor, req.CommandID, fingerprint); ok || err != nil {
			return prior, err
		}
		if req.ExpectedRevision != nil && (!ticket.Exists() || ticket.Revision != *req.ExpectedRevision) {
			return Result{}, fmt.Errorf("ticket %s at revision %d (exists=%t), expected %d: %w",
				req.TicketID, ticket.Revision, ticket.Exists(), *req.ExpectedRevision, ErrRevisionMismatch)
		}
		now, err := h.decisionTime(req, clock, history)
		if err != nil {
			return Result{}, err
		}
		expected := eventstore.NoStream()
		if len(history) > 0 {
			expected = eventstore.Exact(history[len(history)-1].Revision)
		}
		fired, firedData, err := h.overdue(ticket, history, cmd, now)
		if err != nil {
			return Result{}, err
		}
		for _, env := range fired {
			ticket = ticket.Apply(env)
		}
		payloads, err := domain.Decide(ticket, req.Actor, cmd, now, h.pol)
		if err != nil {
			return Result{}, fmt.Errorf("%s on ticket %s: %w", cmd.CommandName(), req.TicketID, err)
		}
		sealed, data, err := h.envelopes(req, fingerprint, stream, now, lastOf(history, fired), payloads)
		if err != nil {
			return Result{}, err
		}
		_, err = h.store.Append(ctx, stream, expected, append(firedData, data...))
		if err == nil {
			for _, env := range sealed {
				ticket = ticket.Apply(env)
			}
			wire := make([][]byte, len(data))
			for i, d := range data {
				wire[i] = d.Data
			}
			return Result{TicketID: req.TicketID, Events: sealed, Wire: wire, Fired: fired, Revision: ticket.Revision, Ticket: ticket}, nil
		}
		if !errors.Is(err, eventstore.ErrConcurrency) {
			return Result{}, appendFailure(stream, err)
		}
		if attempt >= h.retries {
			return Result{}, fmt.Errorf("%s on ticket %s after %d attempts: %w", cmd.CommandName(), req.TicketID, attempt+1, ErrTooManyConflicts)
		}
		if err := backoff(ctx, attempt); err != nil {
			return Result{}, err
		}
	}
}

// overdue decides, in memory and earliest first, the expiry of every
// deadline of t already due at now, each against the state the previous
// ones left, and returns their events sealed as the continuation of history,
// with their wire bytes: the system actor, the deterministic expiry command
// id and its fingerprint, so that they are exactly what the scheduler would
// have recorded and its later firing of the same deadline is a duplicate.
// Nothing is written here: the caller appends them with the command they
// were decided for, or not at all. The deadline a system command is itself
// firing is left to that command, and an expiry already on record stops the
// walk (were its deadline still open, firing it again would never end).
func (h *Handler) overdue(t domain.Ticket, history []events.Envelope, cmd domain.Command, now time.Time) ([]events.Envelope, []eventstore.EventData, error) {
	var (
		fired []events.Envelope
		data  []eventstore.EventData
		ids   = map[string]bool{}
	)
	system := events.SystemActor()
	for {
		kind, due, ok := t.NextDeadline()
		if !ok || due.After(now) || t.Closed() {
			return fired, data, nil
		}
		if exp, isExpiry := cmd.(domain.ExpireDeadline); isExpiry && exp.Deadline == kind {
			return fired, data, nil
		}
		expiry := domain.ExpireDeadline{Deadline: kind}
		req := Request{CommandID: ExpiryCommandID(t.ID, kind, due), CorrelationID: t.ID, TicketID: t.ID,
			Actor: system, Command: expiry.CommandName()}
		fingerprint, err := Fingerprint(expiry)
		if err != nil {
			return nil, nil, err
		}
		if _, recorded, _ := priorAnswer(t.ID, history, system, req.CommandID, fingerprint); recorded || ids[req.CommandID] {
			return fired, data, nil
		}
		payloads, err := domain.Decide(t, system, expiry, now, h.pol)
		if err != nil {
			return nil, nil, fmt.Errorf("fire overdue %s on ticket %s: %w", kind, t.ID, err)
		}
		sealed, wire, err := h.envelopes(req, fingerprint, events.StreamFor(t.ID), now, lastOf(history, fired), payloads)
		if err != nil {
			return nil, nil, fmt.Errorf("fire overdue %s on ticket %s: %w", kind, t.ID, err)
		}
		for _, env := range sealed {
			t = t.Apply(env)
		}
		ids[req.CommandID] = true
		fired, data = append(fired, sealed...), append(data, wire...)
	}
}

// lastOf returns the last event of a stream's history followed by pending
// events not yet appended, or nil for a new stream.
func lastOf(history, pending []events.Envelope) *events.Envelope {
	switch {
	case len(pending) > 0:
		return &pending[len(pending)-1]
	case len(history) > 0:
		return &history[len(history)-1]
	}
	return nil
}

// backoff waits a little, with jitter, so that writers racing on one ticket
// spread out instead of colliding again in lockstep.
func backoff(ctx context.Context, attempt int) error {
	limit := time.Duration(1<<min(attempt, 6)) * 100 * time.Microsecond
	timer := time.NewTimer(rand.N(limit) + 50*time.Microsecond)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// envelopes seals the payloads of one command as the continuation of a
// stream whose last event is last (nil for a new stream).
func (h *Handler) envelopes(req Request, fingerprint, stream string, now time.Time, last *events.Envelope, payloads []events.Payload) ([]events.Envelope, []eventstore.EventData, error) {
	correlation := req.CorrelationID
	if correlation == "" {
		correlation = req.CommandID
	}
	cause := events.Cause{OccurredAt: now, Actor: req.Actor, CommandID: req.CommandID, CommandFingerprint: fingerprint, CorrelationID: correlation}
	sealed, wire, err := events.Record(last, stream, cause, payloads, events.NewV7)
	if err != nil {
		return nil, nil, fmt.Errorf("seal events for %s: %w", stream, err)
	}
	data := make([]eventstore.EventData, len(sealed))
	for i, env := range sealed {
		data[i] = eventstore.EventData{ID: env.ID, Type: env.Type, Revision: env.Revision, Data: wire[i]}
	}
	return sealed, data, nil
}

// Load returns a ticket's current state and its verified stream.
func (h *Handler) Load(ctx context.Context, ticketID string) (domain.Ticket, []events.Envelope, error) {
	return h.load(ctx, ticketID)
}

func (h *Handler) load(ctx context.Context, ticketID string) (domain.Ticket, []events.Envelope, error) {
	return LoadTicket(ctx, h.store, ticketID)
}

// LoadTicket reads, decodes, verifies and folds a ticket's stream. A missing
// ticket is the zero Ticket with no events and no error.
func LoadTicket(ctx context.Context, store eventstore.Store, ticketID string) (domain.Ticket, []events.Envelope, error) {
	t, envs, _, err := loadTicket(ctx, store, ticketID)
	return t, envs, err
}

// loadTicket is LoadTicket, and the global position of the stream's last
// event (0 for a missing ticket).
func loadTicket(ctx context.Context, store eventstore.Store, ticketID string) (domain.Ticket, []events.Envelope, uint64, error) {
	stream := events.StreamFor(ticketID)
	recs, err := store.ReadStream(ctx, stream, 0, 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return domain.Ticket{}, nil, 0, nil
	}
	if err != nil {
		return domain.Ticket{}, nil, 0, readFailure(ctx, stream, err)
	}
	envs := make([]events.Envelope, len(recs))
	var t domain.Ticket
	for i, rec := range recs {
		env, err := events.Decode(rec.Data)
		if err != nil {
			return domain.Ticket{}, nil, 0, fmt.Errorf("load %s revision %d: %w", stream, rec.Revision, err)
		}
		envs[i] = env
		t = t.Apply(env)
	}
	if err := events.VerifyLinks(nil, envs); err != nil {
		return domain.Ticket{}, nil, 0, fmt.Errorf("load %s: %w", stream, err)
	}
	var last uint64
	if len(recs) > 0 {
		last = recs[len(recs)-1].Position
	}
	return t, envs, last, nil
}
