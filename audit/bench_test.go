package audit_test

import (
	"context"
	"sync"
	"testing"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/internal/fixture"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// benchLog is an in-memory sealed log of about 100,000 events, built once.
var benchLog = sync.OnceValues(func() (*fixture.Memory, *fixture.Seals) {
	m := fixture.NewMemory(policy.Default())
	if err := fixture.Run(context.Background(), fixture.Flows(t0, 13_000), m); err != nil {
		panic(err)
	}
	seals := &fixture.Seals{}
	s, err := audit.NewSealer(m, seals, sealKey, steppingClock(t0))
	if err != nil {
		panic(err)
	}
	if _, _, err := s.SealToHead(context.Background()); err != nil {
		panic(err)
	}
	return m, seals
})

// BenchmarkVerifyLog100k runs every check over an in-memory log (no I/O),
// against the baseline of decoding every event alone on one goroutine, in
// the same run. Prepare is the part VerifyLog spreads over the other cores;
// the rest (chains, tree, legality replay) runs in order on one.
func BenchmarkVerifyLog100k(b *testing.B) {
	m, seals := benchLog()
	n := len(m.Records)
	b.Run("baseline=decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range m.Records {
				if _, err := events.Decode(r.Data); err != nil {
					b.Fatal(err)
				}
			}
		}
		reportRate(b, n)
	})
	b.Run("VerifyLog", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rep, err := audit.VerifyLog(context.Background(), "bench", m, seals, audit.Options{PublicKey: sealPub(), Policies: audit.NewPolicySet(policy.Default())})
			if err != nil || !rep.OK() {
				b.Fatalf("%v %+v", err, rep.Findings)
			}
		}
		reportRate(b, n)
	})
	b.Run("Prepare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range m.Records {
				audit.Prepare(r.Position, r.Data, nil, 0)
			}
		}
		reportRate(b, n)
	})
}

func reportRate(b *testing.B, n int) {
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/event")
}
