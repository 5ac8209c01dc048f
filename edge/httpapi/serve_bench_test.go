package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"testing"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// newStreamsStore is a store in which every stream is new and every
// append succeeds at once: what the API's layers cost, without a ledger.
type newStreamsStore struct{ eventstore.Store }

func (newStreamsStore) ReadStream(context.Context, string, uint64, int) ([]eventstore.RecordedEvent, error) {
	return nil, eventstore.ErrStreamNotFound
}

func (newStreamsStore) Append(_ context.Context, _ string, _ eventstore.ExpectedRevision, evs []eventstore.EventData) (eventstore.AppendResult, error) {
	return eventstore.AppendResult{NextExpected: uint64(len(evs) - 1), LastPosition: 1}, nil
}

// statusOnlyWriter is a ResponseWriter that keeps the status and nothing else.
type statusOnlyWriter struct {
	h      http.Header
	status int
}

func (w *statusOnlyWriter) Header() http.Header         { return w.h }
func (w *statusOnlyWriter) WriteHeader(code int)        { w.status = code }
func (w *statusOnlyWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkServeOpenTicket is what the API's own layers (access log,
// metrics, authentication, routing, decoding, answering) cost per
// command, with neither a network nor a ledger: the server's part of
// http_commands_64 that is in this package's hands.
//
//	go test -run '^$' -bench ServeOpenTicket -benchmem ./edge/httpapi/
func BenchmarkServeOpenTicket(b *testing.B) {
	store := newStreamsStore{}
	metrics := httpapi.NewMetrics()
	h := commands.NewHandler(httpapi.InstrumentStore(store, metrics), commands.WithPolicy(policy.Default()))
	const token = "bench-token-buyer"
	tf, err := json.Marshal(auth.TokenFile{Tokens: []auth.TokenEntry{{SHA256: auth.HashToken(token), Role: events.RoleBuyer, ID: "b-1"}}})
	if err != nil {
		b.Fatal(err)
	}
	tokens, err := auth.ParseTokenFile(tf)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := httpapi.New(httpapi.Config{Store: store, Handler: h, Auth: auth.Chain{Tokens: tokens}, Metrics: metrics,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	body, err := json.Marshal(map[string]any{"data": openData("m-1")})
	if err != nil {
		b.Fatal(err)
	}
	w := &statusOnlyWriter{}
	var i int
	for b.Loop() {
		i++
		n := strconv.Itoa(i)
		req, err := http.NewRequest("POST", "/v1/tickets/H-"+n+"/commands/open_ticket", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header["Authorization"] = []string{"Bearer " + token}
		req.Header["Content-Type"] = []string{"application/json"}
		req.Header["Idempotency-Key"] = []string{"c-" + n}
		w.h, w.status = http.Header{}, 0
		srv.ServeHTTP(w, req)
		if w.status != http.StatusCreated {
			b.Fatalf("status %d", w.status)
		}
	}
}
