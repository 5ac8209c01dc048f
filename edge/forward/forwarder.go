package forward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/disputes-ledger/disputes/eventstore"
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

	// RetryMax caps the pause between attempts to publish an event NATS
	// refused (it doubles from 50ms). The forwarder retries until its
	// context ends. Default 5s.
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
// publisher. Its methods must not run concurrently, and only one forwarder
// (in any process) may use a checkpoint at a time: two would publish the
// same events in interleaved order.
type Forwarder struct {
	store eventstore.Store
	pub   message.Publisher
	cp    Checkpoint
	cfg   Config

	acked, saved uint64 // last acknowledged and last checkpointed positions
	sinceSave    int
	lastSave     time.Time
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
// grows, until ctx ends; it then saves the checkpoint and returns nil. It
// returns an error if the store, the checkpoint or an event (a type that
// makes no valid subject) fails; publish failures are retried.
func (f *Forwarder) Run(ctx context.Context) (err error) {
	if err := f.start(ctx); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.finish(ctx)) }()
	sub, err := f.store.Subscribe(ctx, f.acked)
	if err != nil {
		return fmt.Errorf("forward: %w", err)
	}
	tick := time.NewTicker(f.cfg.CheckpointInterval)
	defer tick.Stop()
	for {
		select {
		case e, ok := <-sub.Events():
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("forward: subscription ended: %w", sub.Err())
			}
			if err := f.forward(ctx, e); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		case <-tick.C:
			if err := f.save(ctx, false); err != nil {
				return err
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// CatchUp forwards the events from the checkpoint to the end of the log as
// it is when CatchUp reads it, saves the checkpoint and returns how many
// events it published.
func (f *Forwarder) CatchUp(ctx context.Context) (n int, err error) {
	if err := f.start(ctx); err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, f.finish(ctx)) }()
	for {
		batch, err := f.store.ReadAll(ctx, f.acked, 512)
		if err != nil {
			return n, fmt.Errorf("forward: %w", err)
		}
		if len(batch) == 0 {
			return n, nil
		}
		for _, e := range batch {
			if err := f.forward(ctx, e); err != nil {
				return n, err
			}
			n++
		}
	}
}

func (f *Forwarder) start(ctx context.Context) error {
	pos, err := f.cp.Load(ctx)
	if err != nil {
		return fmt.Errorf("forward: %w", err)
	}
	f.acked, f.saved, f.sinceSave, f.lastSave = pos, pos, 0, time.Now()
	return nil
}

// finish saves what was acknowledged since the last save, even when ctx has
// ended: the acknowledgements happened.
func (f *Forwarder) finish(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return f.save(ctx, true)
}

// forward publishes one event, retrying until it is acknowledged or ctx
// ends, and saves the checkpoint when one is due.
func (f *Forwarder) forward(ctx context.Context, e eventstore.RecordedEvent) error {
	if e.Position != f.acked+1 {
		return fmt.Errorf("forward: event at position %d after %d: the log skipped", e.Position, f.acked)
	}
	subject, err := Subject(f.cfg.SubjectPrefix, e.Type)
	if err != nil {
		return fmt.Errorf("forward event %s at position %d: %w", e.ID, e.Position, err)
	}
	pause := 50 * time.Millisecond
	for {
		err := f.pub.Publish(subject, newMessage(e))
		if err == nil {
			break
		}
		f.cfg.Logger.Warn("publish failed; retrying", "position", e.Position, "event", e.ID, "subject", subject, "err", err, "retry_in", pause)
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return fmt.Errorf("forward event at position %d: %w", e.Position, ctx.Err())
		}
		pause = min(2*pause, f.cfg.RetryMax)
	}
	f.acked = e.Position
	f.sinceSave++
	return f.save(ctx, false)
}

// save writes the checkpoint if anything was acknowledged since the last
// save and, unless force, a save is due.
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
