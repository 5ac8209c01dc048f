package follow

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
)

// Reader is the part of eventstore.Store that reads the global log. As an
// eventstore.Store does, ReadAll hands over records whose bytes are the
// caller's own, shared with no one: the Follower decodes them in place
// (events.DecodeOwned), so nothing may change them afterwards.
type Reader interface {
	ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error)
}

// Log is the part of eventstore.Store a Follower reads: the stored log and a
// subscription to what commits next. Every eventstore.Store is one.
type Log interface {
	Reader
	Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error)
}

// Handler takes one page. It returns once the page is handled — for a
// consumer with a checkpoint, once the checkpoint is committed; the next page
// comes only then. An error is retried from Config.Start's position after a
// backoff, unless it is marked Halt or Broken (Run stops and returns it) or ErrStop (Run
// returns nil). Handle may be given again events it already handled, after a
// failure, when Start says so: a consumer whose Start reads what it committed
// sees each event once in its committed state.
type Handler func(ctx context.Context, page Page) error

// Config configures a Follower. Log, Start and Handle are required; every
// other zero field takes its default.
type Config struct {
	// Name identifies the follower in logs, e.g. "projections".
	Name string

	// Log is the global log followed. At the head the follower subscribes
	// to it, so it must be a Log (an eventstore.Store is one) unless Poll is
	// set.
	Log Reader

	// Start returns the position of the last event the consumer has handled
	// for good (0 for none): delivery resumes right after it. It is called
	// when Run begins and after every failure.
	Start func(ctx context.Context) (uint64, error)

	// Handle takes the pages, one at a time, in order.
	Handle Handler

	// PageSize caps the events of one page. Default 512.
	PageSize int

	// Until, if not 0, ends Run (returning nil) once the page holding
	// position Until is handled; no page goes past it.
	Until uint64

	// StopAtHead ends Run (returning nil) once the stored log is handled up
	// to its head as read, instead of going live.
	StopAtHead bool

	// Poll, if set, never subscribes: at the head the follower reads the
	// log again every Poll. For logs that offer no subscription, and for
	// consumers that want each page to be one whole read of the log.
	Poll time.Duration

	// Raw hands the records over undecoded: Event.Env and Event.Err stay
	// zero. For consumers that only move the stored bytes.
	Raw bool

	// Backoff spaces the retries after a failure.
	Backoff Backoff

	// MaxAttempts, if not 0, stops Run with ErrGaveUp after this many
	// consecutive failed attempts (a delivered page starts the count over).
	// Default 0: retry for as long as ctx lives.
	MaxAttempts int

	// Logger receives failures and recoveries. Default: none.
	Logger *slog.Logger
}

// Backoff is a capped, jittered exponential backoff: the n-th consecutive
// retry waits a random time between half and all of Initial·2^(n-1), at
// most Max. The jitter keeps the followers of several processes from
// hammering a store that just came back all at the same instant.
type Backoff struct {
	Initial time.Duration // default 100ms
	Max     time.Duration // default 10s
}

// Delay returns the wait before retry number attempt (1 for the first).
func (b Backoff) Delay(attempt int) time.Duration {
	b.setDefaults()
	d := b.Initial
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	half := d / 2
	return half + rand.N(d-half+1)
}

func (b *Backoff) setDefaults() {
	if b.Initial <= 0 {
		b.Initial = 100 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 10 * time.Second
	}
	b.Max = max(b.Max, b.Initial)
}

func (c *Config) setDefaults() {
	if c.PageSize == 0 {
		c.PageSize = 512
	}
	c.Backoff.setDefaults()
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Name == "" {
		c.Name = "follower"
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Log == nil {
		errs = append(errs, errors.New("Log is required"))
	} else if _, ok := c.Log.(Log); !ok && c.Poll <= 0 {
		errs = append(errs, errors.New("Log offers no Subscribe: set Poll"))
	}
	if c.Start == nil {
		errs = append(errs, errors.New("Start is required"))
	}
	if c.Handle == nil {
		errs = append(errs, errors.New("Handle is required"))
	}
	if c.PageSize < 0 || c.MaxAttempts < 0 || c.Poll < 0 || c.Backoff.Initial < 0 || c.Backoff.Max < 0 {
		errs = append(errs, errors.New("PageSize, MaxAttempts, Poll and Backoff must not be negative"))
	}
	return errors.Join(errs...)
}
