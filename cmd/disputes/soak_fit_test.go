package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// soakSample is one row of the soak's record: serve's memory and
// goroutines, and the latency of the requests of the interval before it.
type soakSample struct {
	Elapsed    time.Duration
	RSS        float64 // bytes resident (VmRSS)
	RSSAnon    float64 // of which anonymous memory: heaps, SQLite's page caches
	RSSFile    float64 // of which file-backed: the binary, the memory-mapped ledger
	HeapInuse  float64 // Go heap in use (go_memstats_heap_inuse_bytes)
	Goroutines float64
	Requests   int
	P50, P99   time.Duration
}

// soakFit is a least-squares line through one series of the samples taken
// after the warm-up: its slope per minute, and the growth it implies over
// that span, against the fitted value at its start.
type soakFit struct {
	Series      string  `json:"series"`
	PerMinute   float64 `json:"slope_per_minute"`
	Growth      float64 `json:"growth"`       // slope × span
	Start       float64 `json:"fitted_start"` // the line's value at the first fitted sample
	GrowthRatio float64 `json:"growth_ratio"` // Growth / Start
	Gated       bool    `json:"gated"`
	Limit       float64 `json:"limit,omitempty"` // the most growth allowed, when gated
	OK          bool    `json:"ok"`
}

// soakLimit is how much a series may grow over the fitted span: the larger
// of an absolute floor and a share of where it started.
type soakLimit struct {
	series string
	value  func(soakSample) float64
	gated  bool    // reported only when false
	floor  float64 // absolute growth always allowed
	share  float64 // growth allowed as a share of the fitted start
}

// soakLimits are the soak's gates. The Go heap and the goroutines must not
// grow (a leak shows there first); the goroutines' floor allows for the
// requests in flight at a sample, which come and go by dozens. Anonymous
// memory may grow by what SQLite's page caches take as the ledger grows —
// the read models' cache alone is 64 MiB (sqlite.RebuildableDSN) — and no
// more; file-backed memory follows the ledger's memory map (up to
// 256 MiB), so the whole resident set is reported, not gated.
var soakLimits = []soakLimit{
	{"heap_inuse_bytes", func(s soakSample) float64 { return s.HeapInuse }, true, 16 << 20, 0.25},
	{"goroutines", func(s soakSample) float64 { return s.Goroutines }, true, 64, 0.5},
	{"rss_anon_bytes", func(s soakSample) float64 { return s.RSSAnon }, true, 96 << 20, 0.5},
	{"rss_bytes", func(s soakSample) float64 { return s.RSS }, false, 0, 0},
}

// fitSoak fits each gated series over the samples from warmUp on.
func fitSoak(samples []soakSample, warmUp time.Duration) ([]soakFit, error) {
	var kept []soakSample
	for _, s := range samples {
		if s.Elapsed >= warmUp {
			kept = append(kept, s)
		}
	}
	if len(kept) < 3 {
		return nil, fmt.Errorf("%d samples after the %s warm-up: too few to fit a slope", len(kept), warmUp)
	}
	span := (kept[len(kept)-1].Elapsed - kept[0].Elapsed).Minutes()
	var out []soakFit
	for _, l := range soakLimits {
		xs, ys := make([]float64, len(kept)), make([]float64, len(kept))
		for i, s := range kept {
			xs[i], ys[i] = (s.Elapsed - kept[0].Elapsed).Minutes(), l.value(s)
		}
		slope, intercept := leastSquares(xs, ys)
		f := soakFit{Series: l.series, PerMinute: slope, Growth: slope * span, Start: intercept}
		if intercept > 0 {
			f.GrowthRatio = f.Growth / intercept
		}
		f.Gated, f.OK = l.gated, true
		if l.gated {
			f.Limit = max(l.floor, l.share*intercept)
			f.OK = f.Growth <= f.Limit
		}
		out = append(out, f)
	}
	return out, nil
}

// leastSquares returns the slope and intercept of the line that fits
// (xs, ys) best.
func leastSquares(xs, ys []float64) (slope, intercept float64) {
	n := float64(len(xs))
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx, sy, sxx, sxy = sx+xs[i], sy+ys[i], sxx+xs[i]*xs[i], sxy+xs[i]*ys[i]
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0, sy / n
	}
	slope = (n*sxy - sx*sy) / den
	return slope, (sy - slope*sx) / n
}

// percentiles returns the 50th and 99th percentiles of ds (sorted in place).
func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[min(len(ds)-1, int(math.Ceil(q*float64(len(ds))))-1)] }
	return at(0.50), at(0.99)
}
