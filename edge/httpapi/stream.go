package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// maxOwnerCache bounds the per-stream cache of ticket parties a buyer's or
// merchant's stream keeps to filter the log.
const maxOwnerCache = 100_000

// streamEvents is GET /v1/events: Server-Sent Events over a follower of
// the global log (eventstore/follow). Each event is sent as
//
//	id: <global position>
//	data: <the event's canonical wire JSON>
//
// so a client that reconnects with Last-Event-ID resumes exactly after the
// last event it saw. The follower reads at the client's pace: a client that
// stops reading holds back only its own stream, and one that takes longer
// than StreamWriteTimeout over a write is dropped. A store failure does not
// end the stream: the follower retries, with backoff, after the last event
// sent (or filtered out), and the client sees heartbeats meanwhile.
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
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // tell nginx-like proxies not to buffer
	w.WriteHeader(http.StatusOK)
	var writing sync.Mutex // the follower's pages and the heartbeats share the writer
	send := func(format string, args ...any) error {
		writing.Lock()
		defer writing.Unlock()
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
	last := after // the last position sent or filtered out: where a retry resumes
	f, err := follow.New(follow.Config{Name: "event stream", Log: s.store, Raw: true,
		Start: func(context.Context) (uint64, error) { return last, nil },
		Handle: func(ctx context.Context, page follow.Page) error {
			for _, ev := range page.Events {
				rec := ev.Record
				keep, err := filter(ctx, rec)
				if err != nil {
					return fmt.Errorf("event stream filter: %w", err) // the store failed: retried
				}
				if keep {
					if err := send("id: %d\ndata: %s\n\n", rec.Position, rec.Data); err != nil {
						return follow.ErrStop // the client is gone
					}
				}
				last = rec.Position
			}
			return nil
		},
		Logger: s.log.With("request_id", infoOf(r.Context()).requestID)})
	if err != nil {
		s.log.Error("event stream", "request_id", infoOf(r.Context()).requestID, "err", err)
		return
	}
	var beating sync.WaitGroup
	defer beating.Wait() // after cancel below: nothing writes once the handler returns
	defer cancel()
	beating.Go(func() {
		heartbeat := time.NewTicker(s.cfg.StreamHeartbeat)
		defer heartbeat.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-heartbeat.C:
				if err := send(": ping\n\n"); err != nil {
					cancel() // the client is gone
					return
				}
			}
		}
	})
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("event stream ended", "request_id", infoOf(r.Context()).requestID, "err", err)
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
