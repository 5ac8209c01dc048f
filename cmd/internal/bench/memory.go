package bench

import (
	"bytes"
	"os"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"time"
)

// sampleEvery is how often a memSampler reads the resident memory: short
// enough to catch the peak of a turn that lasts a fraction of a second.
const sampleEvery = 5 * time.Millisecond

// memSampler records the highest resident memory seen until stopped.
type memSampler struct {
	peak atomic.Uint64
	quit chan struct{}
	done chan struct{}
}

func startSampling() *memSampler {
	s := &memSampler{quit: make(chan struct{}), done: make(chan struct{})}
	s.peak.Store(residentBytes())
	go func() {
		defer close(s.done)
		t := time.NewTicker(sampleEvery)
		defer t.Stop()
		for {
			select {
			case <-s.quit:
				return
			case <-t.C:
				if v := residentBytes(); v > s.peak.Load() {
					s.peak.Store(v)
				}
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the peak.
func (s *memSampler) stop() uint64 {
	close(s.quit)
	<-s.done
	if v := residentBytes(); v > s.peak.Load() {
		s.peak.Store(v)
	}
	return s.peak.Load()
}

// pageSize is the size /proc/self/statm counts in.
var pageSize = uint64(os.Getpagesize())

// residentBytes is the process's resident set (Linux: /proc/self/statm,
// which counts what the SQLite driver allocates outside Go's heap and the
// memory-mapped ledger pages too); elsewhere the memory Go's runtime holds
// from the system and has not returned.
func residentBytes() uint64 {
	if raw, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := bytes.Fields(raw); len(f) > 1 {
			if pages, err := strconv.ParseUint(string(f[1]), 10, 64); err == nil {
				return pages * pageSize
			}
		}
	}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}

// loadAverage is the one-minute load average (/proc/loadavg), 0 where there
// is none.
func loadAverage() float64 {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := bytes.Fields(raw)
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(string(f[0]), 64)
	return v
}
