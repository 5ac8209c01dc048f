package commands_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// BenchmarkLoadTicket30 loads a 30-event ticket the way every command does:
// read the stream, decode and verify each event, check the chain, fold the
// state. The floor in the same run is the raw ReadStream alone, so the ratio
// shows what decoding and folding add. Target: under 200 µs per load.
//
//	go test -run '^$' -bench LoadTicket30 -benchmem ./commands/
func BenchmarkLoadTicket30(b *testing.B) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "ledger.db"), sqlite.Config{})
	require.NoError(b, err)
	defer store.Close()
	h := commands.NewHandler(store, commands.WithClock(func() time.Time { return now }))
	req, cmd, err := commands.ParseRequest([]byte(openLine), commands.DefaultLimits())
	require.NoError(b, err)
	_, err = h.Handle(ctx, req, cmd)
	require.NoError(b, err)
	for i := 1; i < 30; i++ {
		line := fmt.Sprintf(`{"command_id":"m%d","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"post_message","data":{"text":"物流显示已签收，但我没有收到包裹，请核实 %d"}}`, i, i)
		r, c, err := commands.ParseRequest([]byte(line), commands.DefaultLimits())
		require.NoError(b, err)
		_, err = h.Handle(ctx, r, c)
		require.NoError(b, err)
	}
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
