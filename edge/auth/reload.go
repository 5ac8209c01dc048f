package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultReloadInterval is how often `disputes serve` looks at its token
// and key files: a revoked token stops working within this time (plus one
// read of the files).
const DefaultReloadInterval = 250 * time.Millisecond

// Reloader keeps the value parsed from a group of files (a token file, key
// files) current while a server runs. Run polls the files' contents and
// reparses them when they change, or at once on a signal such as SIGHUP.
// A change that fails to read or parse is logged and leaves the previous
// good value in force: a half-edited file never locks everyone out, nor
// lets anyone in. Current is safe for concurrent use.
type Reloader[T any] struct {
	name  string
	paths []string
	parse func(contents [][]byte) (T, error)
	log   *slog.Logger

	current atomic.Pointer[T]
	mu      sync.Mutex // serialises reloads
	digest  [sha256.Size]byte
}

// NewReloader reads and parses the files once; that first load must
// succeed. name says what the files hold, for logs.
func NewReloader[T any](name string, paths []string, parse func(contents [][]byte) (T, error), log *slog.Logger) (*Reloader[T], error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Reloader[T]{name: name, paths: paths, parse: parse, log: log.With("component", "reload", "files", name)}
	contents, digest, err := r.read()
	if err != nil {
		return nil, err
	}
	v, err := parse(contents)
	if err != nil {
		return nil, err
	}
	r.current.Store(&v)
	r.digest = digest
	return r, nil
}

// Current returns the value in force.
func (r *Reloader[T]) Current() T { return *r.current.Load() }

// Reload reads the files and, if their contents differ from those last
// read (or force is set), parses them and puts the result in force. It
// reports whether a new value was put in force; on an error the previous
// value stays.
func (r *Reloader[T]) Reload(force bool) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	contents, digest, err := r.read()
	if err != nil {
		return false, err
	}
	if digest == r.digest && !force {
		return false, nil
	}
	// Remember these contents even if they fail to parse, so a broken file
	// is reported once per change rather than on every poll.
	r.digest = digest
	v, err := r.parse(contents)
	if err != nil {
		return false, err
	}
	r.current.Store(&v)
	return true, nil
}

func (r *Reloader[T]) read() ([][]byte, [sha256.Size]byte, error) {
	h := sha256.New()
	contents := make([][]byte, len(r.paths))
	for i, p := range r.paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, [sha256.Size]byte{}, fmt.Errorf("reload %s: %w", r.name, err)
		}
		contents[i] = data
		fmt.Fprintf(h, "%d:", len(data))
		h.Write(data)
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return contents, d, nil
}

// Run reloads every interval, and at once (forced) whenever a value
// arrives on signals (nil: never), until ctx ends. Each outcome is logged:
// a new value at info, a failure at error with the reason.
func (r *Reloader[T]) Run(ctx context.Context, interval time.Duration, signals <-chan os.Signal) {
	if interval <= 0 {
		interval = DefaultReloadInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	lastErr := ""
	for {
		force := false
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-signals:
			force = true
		}
		changed, err := r.Reload(force)
		switch {
		case err != nil:
			// A file that stays unreadable is reported once, not each poll.
			if err.Error() != lastErr || force {
				r.log.Error("reload failed; the previous set stays in force", "err", err)
			}
			lastErr = err.Error()
			continue
		case changed:
			r.log.Info("reloaded")
		}
		lastErr = ""
	}
}
