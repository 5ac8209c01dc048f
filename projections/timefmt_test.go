package projections

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// formatTime writes the layout by hand; it must agree with time.Format.
func TestFormatTimeMatchesFormat(t *testing.T) {
	t.Parallel()
	shanghai := time.FixedZone("CST", 8*3600)
	cases := []time.Time{
		time.Date(2026, 11, 4, 7, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 999, shanghai), // sub-microsecond part dropped, day before in UTC
		time.Date(1999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 123_456_000, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), // beyond the fixed width: Format's spelling
		{},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		cases = append(cases, time.Unix(rng.Int64N(1<<36), rng.Int64N(1e9)).In(shanghai))
	}
	for _, tm := range cases {
		assert.Equal(t, tm.UTC().Format(TimeLayout), formatTime(tm), "%v", tm)
	}
}

func BenchmarkFormatTime(b *testing.B) {
	tm := time.Date(2026, 11, 4, 7, 0, 0, 123_456_789, time.FixedZone("CST", 8*3600))
	b.Run("time.Format", func(b *testing.B) {
		for b.Loop() {
			_ = tm.UTC().Format(TimeLayout)
		}
	})
	b.Run("formatTime", func(b *testing.B) {
		for b.Loop() {
			_ = formatTime(tm)
		}
	})
}
