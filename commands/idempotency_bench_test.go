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
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// BenchmarkReplay30 measures what the idempotency record costs: a replay
// of a 30-event ticket's first message (authorize, find the principal's key,
// compare fingerprints, fold the state as it stood then) beside the floor of
// loading the ticket, which every command pays anyway; and Fingerprint alone.
//
//	go test -run '^$' -bench Replay30 -count 3 ./commands/
func BenchmarkReplay30(b *testing.B) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "ledger.db"), sqlite.Config{})
	require.NoError(b, err)
	defer store.Close()
	h := commands.NewHandler(store, commands.WithClock(func() time.Time { return now }))
	_, err = h.Handle(ctx, commands.Request{CommandID: "open", TicketID: "T-1", Actor: buyer, Command: "open_ticket"}, openReturn("T-1"))
	require.NoError(b, err)
	message := func(i int) (commands.Request, domain.Command) {
		cmd := domain.PostMessage{Text: fmt.Sprintf("物流显示已签收，但我没有收到包裹，请核实 %d", i)}
		return commands.Request{CommandID: fmt.Sprintf("m%d", i), TicketID: "T-1", Actor: buyer, Command: cmd.CommandName()}, cmd
	}
	for i := 1; i < 30; i++ {
		req, cmd := message(i)
		_, err := h.Handle(ctx, req, cmd)
		require.NoError(b, err)
	}

	var floorNs float64
	b.Run("floor=LoadTicket", func(b *testing.B) {
		for b.Loop() {
			if _, envs, err := commands.LoadTicket(ctx, store, "T-1"); err != nil || len(envs) != 30 {
				b.Fatalf("load: %v", err)
			}
		}
		floorNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("Replay", func(b *testing.B) {
		req, cmd := message(1)
		for b.Loop() {
			res, err := h.Handle(ctx, req, cmd)
			if err != nil || !res.Duplicate || res.Revision != 1 {
				b.Fatalf("replay: %v", err)
			}
		}
		perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(perOp/1000, "µs/replay")
		if floorNs > 0 {
			b.ReportMetric(perOp/floorNs, "x-floor")
		}
	})
	b.Run("Fingerprint", func(b *testing.B) {
		cmd := openReturn("T-1")
		for b.Loop() {
			if _, err := commands.Fingerprint(cmd); err != nil {
				b.Fatal(err)
			}
		}
	})
}
