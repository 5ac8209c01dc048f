package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/cmd/internal/batchgc"
	"github.com/disputes-ledger/disputes/projections"
)

// rebuildCmd is `disputes rebuild`.
type rebuildCmd struct {
	storeFlags
	readModelFlags
	Names []string `arg:"" optional:"" name:"name" help:"the read models to rebuild: ${read_models}; all when none is given"`
}

func (c *rebuildCmd) Run(ctx context.Context, e env) error {
	sf, rf := c.storeFlags, c.readModelFlags
	defer batchgc.Set()()
	store, db, pol, err := readModels(ctx, sf, rf)
	if err != nil {
		return err
	}
	defer store.Close()
	defer db.Close()
	bar := newProgressBar(e.stderr)
	p := projections.NewProjector(store, db, projections.Default(db, pol), projections.Options{Progress: bar.update})
	rep, err := p.Rebuild(ctx, c.Names...)
	bar.done()
	if errors.Is(err, projections.ErrUnknownProjection) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err != nil && len(rep.Projections) == 0 {
		return err
	}
	names := make([]string, len(rep.Projections))
	for i, pr := range rep.Projections {
		names[i] = pr.Name
	}
	printRunReport(e.stdout, rep)
	if err == nil {
		fmt.Fprintf(e.stdout, "Rebuilt %s from position 0 to %d.\n", strings.Join(names, ", "), rep.Head)
	}
	return err
}

// progressBar draws the slowest projection's progress toward the head on a
// terminal, and nothing elsewhere.
type progressBar struct {
	w     io.Writer
	tty   bool
	mu    sync.Mutex
	pos   map[string]uint64
	last  time.Time
	start time.Time
}

func newProgressBar(w io.Writer) *progressBar {
	b := &progressBar{w: w, pos: map[string]uint64{}, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			b.tty = true
		}
	}
	return b
}

func (b *progressBar) update(p projections.Progress) {
	if !b.tty || p.Head == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pos[p.Projection] = p.Applied
	if time.Since(b.last) < 100*time.Millisecond && p.Applied < p.Head {
		return
	}
	b.last = time.Now()
	slowest := p.Applied
	for _, pos := range b.pos {
		slowest = min(slowest, pos)
	}
	fmt.Fprint(b.w, "\r"+bar(slowest, p.Head, time.Since(b.start)))
}

func (b *progressBar) done() {
	if b.tty {
		fmt.Fprint(b.w, "\r\033[K")
	}
}

// bar renders "[#####.....]  52%  520000/1000000 events  64000 events/s".
func bar(pos, head uint64, elapsed time.Duration) string {
	const width = 30
	filled := int(float64(width) * float64(pos) / float64(head))
	rate := float64(pos) / max(elapsed.Seconds(), 1e-3)
	return fmt.Sprintf("[%s%s] %3.0f%%  %d/%d events  %.0f events/s", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		100*float64(pos)/float64(head), pos, head, rate)
}
