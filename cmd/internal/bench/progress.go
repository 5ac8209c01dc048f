package bench

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress draws one line, rewritten in place: the figures done, the one
// running and what it is doing. It draws nothing when its writer is nil
// (not a terminal).
type progress struct {
	w     io.Writer
	names []string
	mu    sync.Mutex
	i     int
	start time.Time
	last  time.Time
	drawn bool
}

func newProgress(w io.Writer, names []string) *progress {
	return &progress{w: w, names: names, start: time.Now()}
}

func (p *progress) figure(i int, name string) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	p.i = i
	p.mu.Unlock()
	p.draw("starting", true)
}

func (p *progress) status(s string) { p.draw(s, false) }

// draw writes the line, at most ten times a second unless forced.
func (p *progress) draw(status string, force bool) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !force && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.drawn = true
	fmt.Fprint(p.w, "\r\033[K"+progressLine(p.i, len(p.names), p.names[p.i], status, time.Since(p.start)))
}

// clear removes the line.
func (p *progress) clear() {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// progressLine renders "[######......] 4/11 rebuild_all: round 2/3: figure  1m23s".
func progressLine(i, n int, name, status string, elapsed time.Duration) string {
	const width = 20
	filled := width * i / max(n, 1)
	return fmt.Sprintf("[%s%s] %d/%d %s: %s  %s", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		i+1, n, name, status, elapsed.Round(time.Second))
}
