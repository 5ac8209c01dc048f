package scenarios_test

import (
	"testing"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
)

// BenchmarkPlay plays the five seed scenarios (Decide, seal, Apply) per
// iteration; BenchmarkReplaySeeds folds their already sealed streams and is
// the baseline: the ratio is the cost of deciding and sealing over folding.
//
//	go test ./scenarios/ -run '^$' -bench . -benchmem
func BenchmarkPlay(b *testing.B) {
	pol := policy.Default()
	seeds := scenarios.Seeds(goldenStart)
	b.ReportAllocs()
	for b.Loop() {
		for _, sc := range seeds {
			if _, err := scenarios.Play(sc, pol, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkReplaySeeds(b *testing.B) {
	pol := policy.Default()
	seeds := scenarios.Seeds(goldenStart)
	played := make([][]events.Envelope, len(seeds))
	for i, sc := range seeds {
		s, err := scenarios.Play(sc, pol, nil)
		if err != nil {
			b.Fatal(err)
		}
		played[i] = s
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range played {
			domain.Replay(s)
		}
	}
}

// BenchmarkGenerate writes 100 generated tickets per iteration.
func BenchmarkGenerate(b *testing.B) {
	pol := policy.Default()
	b.ReportAllocs()
	for b.Loop() {
		if got := scenarios.Generate(1, 100, generatedStart, pol); len(got) != 100 {
			b.Fatal(len(got))
		}
	}
}
