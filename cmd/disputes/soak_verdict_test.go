package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSoakVerdict holds the soak's gates to what they are for: a flat or
// noisy-but-flat run passes, a heap, goroutines or anonymous memory that
// keep growing fail it, and file-backed memory growing with the ledger's
// memory map does not.
func TestSoakVerdict(t *testing.T) {
	t.Parallel()
	const mb = 1 << 20
	series := func(f func(minute float64, i int) soakSample) []soakSample {
		var out []soakSample
		for i := range 61 { // 10 minutes, every 10 s
			m := float64(i) / 6
			s := f(m, i)
			s.Elapsed = time.Duration(i) * 10 * time.Second
			out = append(out, s)
		}
		return out
	}
	noise := func(i int) float64 { return float64((i*7919)%13-6) / 6 } // deterministic, within ±1
	flat := func(m float64, i int) soakSample {
		return soakSample{RSS: 120*mb + 4*mb*noise(i), RSSAnon: 80*mb + 4*mb*noise(i), RSSFile: 40 * mb,
			HeapInuse: 30*mb + 3*mb*noise(i), Goroutines: 40 + 3*noise(i)}
	}
	for _, tc := range []struct {
		name   string
		sample func(m float64, i int) soakSample
		failed []string
	}{
		{"flat and noisy", flat, nil},
		{"file-backed memory follows the ledger", func(m float64, i int) soakSample {
			s := flat(m, i)
			s.RSSFile += 20 * mb * m
			s.RSS += 20 * mb * m
			return s
		}, nil},
		{"a heap leak", func(m float64, i int) soakSample {
			s := flat(m, i)
			s.HeapInuse += 3 * mb * m
			return s
		}, []string{"heap_inuse_bytes"}},
		{"a goroutine leak", func(m float64, i int) soakSample {
			s := flat(m, i)
			s.Goroutines += 12 * m
			return s
		}, []string{"goroutines"}},
		{"anonymous memory beyond the page caches", func(m float64, i int) soakSample {
			s := flat(m, i)
			s.RSSAnon += 15 * mb * m
			s.RSS += 15 * mb * m
			return s
		}, []string{"rss_anon_bytes"}},
		{"the warm-up is left out", func(m float64, i int) soakSample {
			s := flat(m, i)
			if m < 1 {
				s.HeapInuse /= 4
				s.Goroutines /= 4
			}
			return s
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fits, err := fitSoak(series(tc.sample), time.Minute)
			require.NoError(t, err)
			var failed []string
			for _, f := range fits {
				if !f.OK {
					failed = append(failed, f.Series)
				}
			}
			assert.Equal(t, tc.failed, failed)
		})
	}
	_, err := fitSoak(series(flat)[:7], time.Minute)
	assert.Error(t, err, "too few samples after the warm-up")
}
