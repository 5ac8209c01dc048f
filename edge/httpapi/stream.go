package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// maxOwnerCache bounds the per-stream cache of ticket parties a buyer's or
// merchant's stream keeps to filter the log.
const maxOwnerCache = 100_000

// streamEvents is GET /v1/events: Server-Sent Events over Store.Subscribe.
// Each event is sent as
//
//	id: <global position>
//	data: <the event's canonical wire JSON>
//
// so a client that reconnects with Last-Event-ID resumes exactly after the
// last event it saw. The subscription reads at the client's pace: a client
// that stops reading holds back only its own stream, and one that takes
// longer than StreamWriteTimeout over a write is dropped.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	after, err := streamStart(r)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	only := r.URL.Query().Get("ticket_id")
	if only != "" {
		infoOf(r.Context()).ticketID = only
		o, ok, err := ticketOwners(r.Context(), s.store, only)
		switch {
		case err != nil:
			writeProblem(w, r, err)
			return
		case !ok:
			writeProblem(w, r, ticketNotFound(only))
			return
		case !mayRead(p, o):
			writeProblem(w, r, errNotYours(only))
			return
		}
	}
	release, err := s.streams.acquire(p.String())
	if err != nil {
		w.Header().Set("Retry-After", "5")
		writeProblem(w, r, err)
		return
	}
	defer release()

	// The stream ends when the client leaves or the server shuts down.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(drainingOf(r.Context()), cancel)()
	sub, err := s.store.Subscribe(ctx, after)
	if err != nil {
		writeProblem(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // tell nginx-like proxies not to buffer
	w.WriteHeader(http.StatusOK)
	send := func(format string, args ...any) error {
		// Each write gets its own deadline: the server's WriteTimeout would
		// otherwise end every stream after a fixed time.
		if err := rc.SetWriteDeadline(time.Now().Add(s.cfg.StreamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send(": events after position %d\nretry: 2000\n\n", after); err != nil {
		return
	}
	filter := s.streamFilter(p, only)
	heartbeat := time.NewTicker(s.cfg.StreamHeartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-heartbeat.C:
			if err := send(": ping\n\n"); err != nil {
				return
			}
		case rec, ok := <-sub.Events():
			if !ok {
				if err := sub.Err(); err != nil && ctx.Err() == nil {
					s.log.Warn("event stream ended", "request_id", infoOf(r.Context()).requestID, "err", err)
				}
				return
			}
			keep, err := filter(ctx, rec)
			if err != nil {
				s.log.Warn("event stream filter", "request_id", infoOf(r.Context()).requestID, "err", err)
				return
			}
			if !keep {
				continue
			}
			if err := send("id: %d\ndata: %s\n\n", rec.Position, rec.Data); err != nil {
				return
			}
		}
	}
}

// streamStart reads where a stream starts: Last-Event-ID (a reconnecting
// EventSource sends it) or the after parameter.
func streamStart(r *http.Request) (uint64, error) {
	v, field := r.Header.Get("Last-Event-ID"), "Last-Event-ID"
	if v == "" {
		v, field = r.URL.Query().Get("after"), "after"
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, badRequest(field, "must be a global log position (a non-negative integer)")
	}
	return n, nil
}

// streamFilter returns which events a principal's stream carries: all for
// the platform, only their tickets' for buyers and merchants, only one
// ticket's when asked.
func (s *Server) streamFilter(p auth.Principal, only string) func(context.Context, eventstore.RecordedEvent) (bool, error) {
	if only != "" {
		stream := events.StreamFor(only)
		return func(_ context.Context, rec eventstore.RecordedEvent) (bool, error) { return rec.Stream == stream, nil }
	}
	if readsAll(p) {
		return func(context.Context, eventstore.RecordedEvent) (bool, error) { return true, nil }
	}
	cache := map[string]owners{}
	return func(ctx context.Context, rec eventstore.RecordedEvent) (bool, error) {
		id := events.TicketOf(rec.Stream)
		if id == "" {
			return false, nil
		}
		o, known := cache[id]
		if !known {
			var err error
			if o, err = s.ownersOf(ctx, id, rec); err != nil {
				return false, err
			}
			if len(cache) >= maxOwnerCache {
				clear(cache)
			}
			cache[id] = o
		}
		return mayRead(p, o), nil
	}
}

// ownersOf reads a ticket's parties from its opening event, which is rec
// itself for a ticket's first event.
func (s *Server) ownersOf(ctx context.Context, ticketID string, rec eventstore.RecordedEvent) (owners, error) {
	if rec.Revision == 0 {
		env, err := events.Decode(rec.Data)
		if err != nil {
			return owners{}, fmt.Errorf("event at position %d: %w", rec.Position, err)
		}
		if opened, ok := env.Payload.(events.RefundRequested); ok {
			return owners{buyer: opened.BuyerID, merchant: opened.MerchantID}, nil
		}
	}
	o, _, err := ticketOwners(ctx, s.store, ticketID)
	return o, err
}
