package commands

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/policy"
)

// Handler runs commands against a store. It is safe for concurrent use.
type Handler struct {
	store      eventstore.Store
	pol        policy.Policy
	clock      func() time.Time
	retries    int
	clientTime bool
	limits     Limits
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
	Events   []events.Envelope
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
// every deadline already due is fired, each as its own system command with
// the deterministic expiry id, exactly as the scheduler would, so that a
// late command is decided against what the deadline caused, never against a
// stale state in which the lapsed right still seemed open; then the expected
// revision (If-Match) is compared, the domain decides, and the events are
// appended.
func (h *Handler) Handle(ctx context.Context, req Request, cmd domain.Command) (Result, error) {
	if err := Validate(req, cmd, h.limits); err != nil {
		return Result{}, err
	}
	now := h.clock()
	if req.At != nil {
		if !h.clientTime {
			return Result{}, invalidField("at", "client-supplied time is not accepted by this ledger")
		}
		now = *req.At
	}
	if open, ok := cmd.(domain.OpenTicket); ok && open.TicketID == "" {
		open.TicketID = req.TicketID
		cmd = open
	}
	return h.handleAt(ctx, req, cmd, now.UTC())
}

func (h *Handler) handleAt(ctx context.Context, req Request, cmd domain.Command, now time.Time) (Result, error) {
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
		if fired, err := h.fireOverdue(ctx, ticket, cmd, now); err != nil {
			return Result{}, err
		} else if fired {
			attempt-- // not a conflict: the state moved on because time did
			continue
		}
		if req.ExpectedRevision != nil && (!ticket.Exists() || ticket.Revision != *req.ExpectedRevision) {
			return Result{}, fmt.Errorf("ticket %s at revision %d (exists=%t), expected %d: %w",
				req.TicketID, ticket.Revision, ticket.Exists(), *req.ExpectedRevision, ErrRevisionMismatch)
		}
		payloads, err := domain.Decide(ticket, req.Actor, cmd, now, h.pol)
		if err != nil {
			return Result{}, fmt.Errorf("%s on ticket %s: %w", cmd.CommandName(), req.TicketID, err)
		}
		sealed, data, err := h.envelopes(req, fingerprint, stream, now, history, payloads)
		if err != nil {
			return Result{}, err
		}
		expected := eventstore.NoStream()
		if len(history) > 0 {
			expected = eventstore.Exact(history[len(history)-1].Revision)
		}
		_, err = h.store.Append(ctx, stream, expected, data)
		if err == nil {
			for _, env := range sealed {
				ticket = ticket.Apply(env)
			}
			return Result{TicketID: req.TicketID, Events: sealed, Revision: ticket.Revision, Ticket: ticket}, nil
		}
		if !errors.Is(err, eventstore.ErrConcurrency) {
			return Result{}, fmt.Errorf("append %s: %w", stream, err)
		}
		if attempt >= h.retries {
			return Result{}, fmt.Errorf("%s on ticket %s after %d attempts: %w", cmd.CommandName(), req.TicketID, attempt+1, ErrTooManyConflicts)
		}
		if err := backoff(ctx, attempt); err != nil {
			return Result{}, err
		}
	}
}

// fireOverdue records the expiry of the ticket's earliest deadline if it is
// due at now, and reports whether it did. The deadline a system command is
// itself firing is left to that command.
func (h *Handler) fireOverdue(ctx context.Context, t domain.Ticket, cmd domain.Command, now time.Time) (bool, error) {
	kind, due, ok := t.NextDeadline()
	if !ok || due.After(now) || t.Closed() {
		return false, nil
	}
	if exp, isExpiry := cmd.(domain.ExpireDeadline); isExpiry && exp.Deadline == kind {
		return false, nil
	}
	req := Request{CommandID: ExpiryCommandID(t.ID, kind, due), CorrelationID: t.ID, TicketID: t.ID,
		Actor: events.SystemActor(), Command: domain.ExpireDeadline{}.CommandName()}
	res, err := h.handleAt(ctx, req, domain.ExpireDeadline{Deadline: kind}, now)
	if err != nil {
		return false, fmt.Errorf("fire overdue %s on ticket %s: %w", kind, t.ID, err)
	}
	// A duplicate means this very expiry is already on record; looping on it
	// would never end, so the command is decided as things stand.
	return !res.Duplicate, nil
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

func (h *Handler) envelopes(req Request, fingerprint, stream string, now time.Time, history []events.Envelope, payloads []events.Payload) ([]events.Envelope, []eventstore.EventData, error) {
	correlation := req.CorrelationID
	if correlation == "" {
		correlation = req.CommandID
	}
	var last *events.Envelope
	if n := len(history); n > 0 {
		last = &history[n-1]
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
	stream := events.StreamFor(ticketID)
	recs, err := store.ReadStream(ctx, stream, 0, 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return domain.Ticket{}, nil, nil
	}
	if err != nil {
		return domain.Ticket{}, nil, fmt.Errorf("load %s: %w", stream, err)
	}
	envs := make([]events.Envelope, len(recs))
	var t domain.Ticket
	for i, rec := range recs {
		env, err := events.Decode(rec.Data)
		if err != nil {
			return domain.Ticket{}, nil, fmt.Errorf("load %s revision %d: %w", stream, rec.Revision, err)
		}
		envs[i] = env
		t = t.Apply(env)
	}
	if err := events.VerifyLinks(nil, envs); err != nil {
		return domain.Ticket{}, nil, fmt.Errorf("load %s: %w", stream, err)
	}
	return t, envs, nil
}
