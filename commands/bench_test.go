package commands_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// benchMessage is the buyer's i-th message on T-1, command id "m<i>".
func benchMessage(i int) (commands.Request, domain.Command) {
	cmd := domain.PostMessage{Text: fmt.Sprintf("物流显示已签收，但我没有收到包裹，请核实 %d", i)}
	return commands.Request{CommandID: fmt.Sprintf("m%d", i), TicketID: "T-1", Actor: buyer, Command: cmd.CommandName()}, cmd
}

// ticket30 returns a SQLite ledger, closed when b ends, holding ticket T-1
// with 30 events (its opening and 29 benchMessages), and a handler on it
// whose clock stands at now.
func ticket30(b *testing.B) (eventstore.Store, *commands.Handler) {
	b.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "ledger.db"), sqlite.Config{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = store.Close() })
	h := commands.NewHandler(store, commands.WithClock(func() time.Time { return now }))
	_, err = h.Handle(ctx, commands.Request{CommandID: "open", TicketID: "T-1", Actor: buyer, Command: "open_ticket"}, openReturn("T-1"))
	require.NoError(b, err)
	for i := 1; i < 30; i++ {
		req, cmd := benchMessage(i)
		_, err := h.Handle(ctx, req, cmd)
		require.NoError(b, err)
	}
	return store, h
}

// BenchmarkLoadTicket30 loads a 30-event ticket the way every command does:
// read the stream, decode and verify each event, check the chain, fold the
// state. The floor in the same run is the raw ReadStream alone, so the ratio
// shows what decoding and folding add. Target: under 200 µs per load.
//
//	go test -run '^$' -bench LoadTicket30 -benchmem ./commands/
func BenchmarkLoadTicket30(b *testing.B) {
	ctx := context.Background()
	store, _ := ticket30(b)
	stream := events.StreamFor("T-1")
	var floorNs float64
	b.Run("floor=ReadStream", func(b *testing.B) {
		for b.Loop() {
			recs, err := store.ReadStream(ctx, stream, 0, 0)
			if err != nil || len(recs) != 30 {
				b.Fatalf("read: %v (%d events)", err, len(recs))
			}
		}
		floorNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("LoadTicket", func(b *testing.B) {
		for b.Loop() {
			t, envs, err := commands.LoadTicket(ctx, store, "T-1")
			if err != nil || len(envs) != 30 || t.Messages != 29 {
				b.Fatalf("load: %v", err)
			}
		}
		perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(perOp/1000, "µs/load")
		if floorNs > 0 {
			b.ReportMetric(perOp/floorNs, "x-floor")
		}
	})
}
