package events_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/events"
)

// The codec benchmarks report events/s and a ratio to a baseline measured in
// the same run on the same bytes, so numbers from a busy 2-core machine stay
// comparable:
//
//	go test -run='^$' -bench='Decode|Encode' -benchmem -count=5 ./events/
//
// The baseline for Decode is a non-strict json.Unmarshal of the same bytes
// into a plain struct whose payload is decoded into the right type (what a
// codec without canonical and hash checks would cost); for Encode it is a
// json.Marshal of that struct (no hash). "x-baseline" is codec time divided
// by baseline time: lower is better, 1 would mean strictness is free.
//
// The ledger needs 300,000 decoded events/s scanning the global log on two
// cores; the parallel benchmarks measure that.

// benchEventType is the typical event of the benchmarks: a ticket's opening
// event, the largest and most frequent payload shape.
const benchEventType = events.TypeRefundRequested

// looseEnvelope is the baseline's wire shape: no unknown-field refusal, no
// canonical check, no hash check.
type looseEnvelope struct {
	ID            string                 `json:"id"`
	Stream        string                 `json:"stream"`
	Revision      uint64                 `json:"revision"`
	Type          string                 `json:"type"`
	SchemaVersion int                    `json:"schema_version"`
	OccurredAt    time.Time              `json:"occurred_at"`
	Actor         events.Actor           `json:"actor"`
	CommandID     string                 `json:"command_id"`
	CorrelationID string                 `json:"correlation_id"`
	Payload       events.RefundRequested `json:"payload"`
	PrevHash      string                 `json:"prev_hash"`
	Hash          string                 `json:"hash"`
}

// baselineNsPerOp carries the baseline's ns/op from the first sub-benchmark
// to the next within one run of the parent benchmark.
type baselineNsPerOp float64

func (base *baselineNsPerOp) record(b *testing.B) {
	*base = baselineNsPerOp(float64(b.Elapsed().Nanoseconds()) / float64(b.N))
	reportRate(b)
}

func (base baselineNsPerOp) report(b *testing.B) {
	reportRate(b)
	if base > 0 {
		ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(ns/float64(base), "x-baseline")
	}
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkDecode(b *testing.B) {
	_, wire := sampleEnvelope(b, benchEventType)
	var base baselineNsPerOp
	b.Run("baseline=json.Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(wire)))
		for b.Loop() {
			var w looseEnvelope
			if err := json.Unmarshal(wire, &w); err != nil {
				b.Fatal(err)
			}
		}
		base.record(b)
	})
	b.Run("Decode", func(b *testing.B) {
		b.SetBytes(int64(len(wire)))
		for b.Loop() {
			if _, err := events.Decode(wire); err != nil {
				b.Fatal(err)
			}
		}
		base.report(b)
	})
	// DecodeOwned is what the log follower runs: the envelope shares the
	// bytes instead of copying them.
	b.Run("DecodeOwned", func(b *testing.B) {
		b.SetBytes(int64(len(wire)))
		for b.Loop() {
			if _, err := events.DecodeOwned(wire); err != nil {
				b.Fatal(err)
			}
		}
		base.report(b)
	})
}

// BenchmarkDecodeParallel decodes on every core (GOMAXPROCS goroutines), as
// a log scan split across workers would.
func BenchmarkDecodeParallel(b *testing.B) {
	_, wire := sampleEnvelope(b, benchEventType)
	var base baselineNsPerOp
	b.Run("baseline=json.Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(wire)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				var w looseEnvelope
				if err := json.Unmarshal(wire, &w); err != nil {
					b.Error(err)
					return
				}
			}
		})
		base.record(b)
	})
	b.Run("Decode", func(b *testing.B) {
		b.SetBytes(int64(len(wire)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := events.Decode(wire); err != nil {
					b.Error(err)
					return
				}
			}
		})
		base.report(b)
	})
}

func BenchmarkEncode(b *testing.B) {
	env, wire := sampleEnvelope(b, benchEventType)
	var loose looseEnvelope
	if err := json.Unmarshal(wire, &loose); err != nil {
		b.Fatal(err)
	}
	var base baselineNsPerOp
	b.Run("baseline=json.Marshal", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(&loose); err != nil {
				b.Fatal(err)
			}
		}
		base.record(b)
	})
	b.Run("Encode", func(b *testing.B) {
		for b.Loop() {
			if _, err := events.Encode(env); err != nil {
				b.Fatal(err)
			}
		}
		base.report(b)
	})
	b.Run("Seal", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := events.Seal(env); err != nil {
				b.Fatal(err)
			}
		}
		base.report(b)
	})
}

// BenchmarkDecodeCatalogue decodes the golden event of every catalogue type
// in turn on every core, as a scan of a log holding all kinds of events
// would. Its baseline is json.Unmarshal of the same bytes into a map, the
// cheapest generic decoding of mixed types.
func BenchmarkDecodeCatalogue(b *testing.B) {
	var wires [][]byte
	size := 0
	for _, typ := range sortedTypes() {
		w := readGolden(b, typ)
		wires = append(wires, w)
		size += len(w)
	}
	b.SetParallelism(1)
	var base baselineNsPerOp
	b.Run("baseline=json.Unmarshal-map", func(b *testing.B) {
		b.SetBytes(int64(size / len(wires)))
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				var m map[string]any
				if err := json.Unmarshal(wires[i%len(wires)], &m); err != nil {
					b.Error(err)
					return
				}
			}
		})
		base.record(b)
	})
	b.Run("Decode", func(b *testing.B) {
		b.SetBytes(int64(size / len(wires)))
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				if _, err := events.Decode(wires[i%len(wires)]); err != nil {
					b.Error(err)
					return
				}
			}
		})
		base.report(b)
	})
}
