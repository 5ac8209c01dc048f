package commands_test

import (
	"context"
	"testing"

	"github.com/disputes-ledger/disputes/commands"
)

// BenchmarkReplay30 measures what the idempotency record costs: a replay
// of a 30-event ticket's first message (authorize, find the principal's key,
// compare fingerprints, fold the state as it stood then) beside the floor of
// loading the ticket, which every command pays anyway; and Fingerprint alone.
//
//	go test -run '^$' -bench Replay30 -count 3 ./commands/
func BenchmarkReplay30(b *testing.B) {
	ctx := context.Background()
	store, h := ticket30(b)

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
		req, cmd := benchMessage(1)
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
