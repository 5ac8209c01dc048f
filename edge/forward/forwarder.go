package forward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// Config tunes a Forwarder. The zero value is usable: every zero field takes
// its default.
type Config struct {
	// SubjectPrefix begins every subject. Default DefaultSubjectPrefix.
	SubjectPrefix string

	// CheckpointEvery saves the checkpoint after this many acknowledged
	// events. It bounds the events published again after a crash. Default 100.
	CheckpointEvery int

	// CheckpointInterval saves the checkpoint at least this often while
	// events are being acknowledged. Default 1s.
	CheckpointInterval time.Duration

	// RetryMax caps the pause between attempts after NATS refused an event
	// or the store failed (it doubles, with jitter, from 50ms). The forwarder
	// retries until its context ends. Default 5s.
	RetryMax time.Duration

	// Logger receives publish failures. Default slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = 100
	}
	if c.CheckpointInterval == 0 {
		c.CheckpointInterval = time.Second
	}
	if c.RetryMax == 0 {
		c.RetryMax = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.CheckpointEvery < 0 || c.CheckpointInterval < 0 || c.RetryMax < 0 {
		errs = append(errs, errors.New("CheckpointEvery, CheckpointInterval and RetryMax must not be negative"))
	}
	if c.SubjectPrefix != "" {
		if err := checkSubject(c.SubjectPrefix); err != nil {
			errs = append(errs, fmt.Errorf("SubjectPrefix: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Forwarder publishes a store's global log, in order, to a Watermill
// publisher, reading it through a follow.Follower. Run and CatchUp must not
// run concurrently, and only one forwarder (in any process) may use a
// checkpoint at a time: two would publish the same events in interleaved
// order. Status is safe to call at any time.
type Forwarder struct {
	store eventstore.Store
	pub   message.Publisher
	cp    Checkpoint
	cfg   Config

	mu           sync.Mutex // guards what follows: the handler and the timed saves share it
	acked, saved uint64     // last acknowledged and last checkpointed positions
	sinceSave    int
	lastSave     time.Time
	follower     follow.Running // the running one, for Status
}

// New returns a forwarder from store to pub that keeps its place in cp.
func New(store eventstore.Store, pub message.Publisher, cp Checkpoint, cfg Config) (*Forwarder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new forwarder: %w", err)
	}
	cfg.setDefaults()
	return &Forwarder{store: store, pub: pub, cp: cp, cfg: cfg}, nil
}

// Run forwards events from the checkpoint on, then follows the log as it
// grows, until ctx ends; it then saves the checkpoint and returns nil. Store
// and publish failures are retried, with backoff, from the last
// acknowledged event; it returns an error if the checkpoint cannot be read
// or saved (a lease lost to another replica, say), or for an event whose
// type makes no valid subject.
func (f *Forwarder) Run(ctx context.Context) (err error) {
	if err := f.start(ctx); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.finish(ctx)) }()
	fl, err := f.newFollower(false)
	if err != nil {
		return err
	}
	run, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go f.saveEvery(run, stop)
	if err := fl.Run(run); err != nil && run.Err() == nil {
		return fmt.Errorf("forward: %w", err)
	}
	if cause := context.Cause(run); ctx.Err() == nil && cause != nil {
		return cause // a timed save failed
	}
	return nil
}

// CatchUp forwards the events from the checkpoint to the end of the log as
// it is when CatchUp reads it, saves the checkpoint and returns how many
// events it published.
func (f *Forwarder) CatchUp(ctx context.Context) (n int, err error) {
	if err := f.start(ctx); err != nil {
		return 0, err
	}
	from := f.acked
	defer func() { err = errors.Join(err, f.finish(ctx)) }()
	fl, err := f.newFollower(true)
	if err != nil {
		return 0, err
	}
	err = fl.Run(ctx)
	f.mu.Lock()
	n = int(f.acked - from)
	f.mu.Unlock()
	if err != nil {
		return n, fmt.Errorf("forward: %w", err)
	}
	return n, nil
}

// Status returns the state of the forwarder's follower of the log: idle
// before Run, catching up, live, retrying (a store or NATS failure, with
// the last error) or stopped.
func (f *Forwarder) Status() follow.Status {
	return f.follower.Status("forward")
}

// newFollower returns the follower that feeds the forwarder, resuming after
// the last acknowledged event.
func (f *Forwarder) newFollower(stopAtHead bool) (*follow.Follower, error) {
	fl, err := follow.New(follow.Config{Name: "forward", Log: f.store, Raw: true, StopAtHead: stopAtHead,
		Start: func(context.Context) (uint64, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.acked, nil
		},
		Handle:  f.handle,
		Backoff: follow.Backoff{Initial: 50 * time.Millisecond, Max: f.cfg.RetryMax},
		Logger:  f.cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("forward: %w", err)
	}
	f.follower.Set(fl)
	return fl, nil
}

// saveEvery saves the checkpoint every CheckpointInterval while events are
// acknowledged, until ctx ends; a failed save ends the run through stop.
func (f *Forwarder) saveEvery(ctx context.Context, stop context.CancelCauseFunc) {
	tick := time.NewTicker(f.cfg.CheckpointInterval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			f.mu.Lock()
			err := f.save(ctx, false)
			f.mu.Unlock()
			if err != nil && ctx.Err() == nil {
				stop(err)
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// handle publishes a page, one event at a time, each acknowledged before the
// next. A publish failure is returned: the follower retries from the last
// acknowledged event.
func (f *Forwarder) handle(ctx context.Context, page follow.Page) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ev := range page.Events {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.forward(ctx, ev.Record); err != nil {
			return err
		}
	}
	return nil
}

func (f *Forwarder) start(ctx context.Context) error {
	pos, err := f.cp.Load(ctx)
	if err != nil {
		return fmt.Errorf("forward: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acked, f.saved, f.sinceSave, f.lastSave = pos, pos, 0, time.Now()
	return nil
}

// finish saves what was acknowledged since the last save, even when ctx has
// ended: the acknowledgements happened.
func (f *Forwarder) finish(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.save(ctx, true)
}

// forward publishes one event and saves the checkpoint when one is due.
// Called with mu held.
func (f *Forwarder) forward(ctx context.Context, e eventstore.RecordedEvent) error {
	if e.Position != f.acked+1 {
		return fmt.Errorf("forward: event at position %d after %d: the log skipped", e.Position, f.acked)
	}
	subject, err := Subject(f.cfg.SubjectPrefix, e.Type)
	if err != nil {
		// An event type no subject can carry: forwarding it again fails again.
		return follow.Broken(fmt.Errorf("forward event %s at position %d: %w", e.ID, e.Position, err))
	}
	if err := f.pub.Publish(subject, newMessage(e)); err != nil {
		return fmt.Errorf("publish event %s at position %d to %s: %w", e.ID, e.Position, subject, err)
	}
	f.acked = e.Position
	f.sinceSave++
	// A checkpoint that cannot be saved is not the log's failure: the run
	// ends and says why (the position may belong to another replica now).
	return follow.Halt(f.save(ctx, false))
}

// save writes the checkpoint if anything was acknowledged since the last
// save and, unless force, a save is due. Called with mu held.
func (f *Forwarder) save(ctx context.Context, force bool) error {
	if f.acked == f.saved {
		return nil
	}
	if !force && f.sinceSave < f.cfg.CheckpointEvery && time.Since(f.lastSave) < f.cfg.CheckpointInterval {
		return nil
	}
	if err := f.cp.Save(ctx, f.acked); err != nil {
		return fmt.Errorf("forward: %w", err)
	}
	f.saved, f.sinceSave, f.lastSave = f.acked, 0, time.Now()
	return nil
}
