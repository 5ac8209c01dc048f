package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/nats-io/nats.go"

	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/edge/forward"
)

// forwardCmd is `disputes forward`.
type forwardCmd struct {
	storeFlags
	NATS          string        `name:"nats" default:"${nats_url}" env:"DISPUTES_NATS" placeholder:"URL" help:"NATS server URL"`
	Stream        string        `name:"stream" default:"${forward_stream}" placeholder:"NAME" help:"JetStream stream to create or update and publish into"`
	SubjectPrefix string        `name:"subject-prefix" default:"${forward_subject_prefix}" placeholder:"P" help:"subject prefix: events go to <prefix>.<event type>"`
	DedupWindow   time.Duration `name:"dedup-window" default:"${forward_dedup_window}" help:"JetStream duplicate window: keep it longer than a restart takes"`
	Checkpoint    string        `name:"checkpoint" placeholder:"FILE" help:"file holding the last forwarded position (default: <ledger file>.forward, or disputes-forward.checkpoint for a server store)"`
	Follow        bool          `name:"follow" default:"true" negatable:"" help:"keep forwarding new events until interrupted; --no-follow: catch up and exit"`
}

func (c *forwardCmd) Run(ctx context.Context, e env) error {
	sf := c.storeFlags
	natsURL, stream, prefix, dupWindow, checkpoint, follow := &c.NATS, &c.Stream, &c.SubjectPrefix, &c.DedupWindow, &c.Checkpoint, &c.Follow
	cpPath, ledger := *checkpoint, sf.DB
	if sf.Store != "" {
		ledger = storeurl.Redacted(sf.Store)
	}
	if cpPath == "" {
		cpPath = defaultCheckpoint(sf)
	}

	store, err := sf.openExisting(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	nc, err := nats.Connect(*natsURL, nats.Name("disputes forward"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connect to NATS %s: %w", *natsURL, err)
	}
	defer nc.Close()
	if err := forward.EnsureStream(ctx, nc, *stream, *prefix, *dupWindow); err != nil {
		return err
	}
	pub, err := forward.NewPublisher(nc, *stream, watermill.NopLogger{})
	if err != nil {
		return err
	}
	defer pub.Close()
	cp := forward.FileCheckpoint{Path: cpPath}
	f, err := forward.New(store, pub, cp, forward.Config{
		SubjectPrefix: *prefix,
		Logger:        slog.New(slog.NewTextHandler(e.stderr, nil)),
	})
	if err != nil {
		return err
	}

	from, err := cp.Load(ctx)
	if err != nil {
		return err
	}
	if !*follow {
		n, err := f.CatchUp(ctx)
		fmt.Fprintf(e.stdout, "forwarded %d events from %s to %s (%s.>), after position %d\n", n, ledger, *stream, *prefix, from)
		return err
	}
	fmt.Fprintf(e.stderr, "forwarding %s to JetStream stream %s (%s.>) after position %d; interrupt to stop\n", ledger, *stream, *prefix, from)
	start := time.Now()
	err = f.Run(ctx)
	to, loadErr := cp.Load(context.WithoutCancel(ctx))
	if err == nil && loadErr == nil {
		fmt.Fprintf(e.stderr, "stopped after %s at position %d\n", time.Since(start).Round(time.Millisecond), to)
	}
	return err
}

// defaultCheckpoint keeps the checkpoint next to a SQLite ledger.
func defaultCheckpoint(sf storeFlags) string {
	if sf.Store == "" {
		return sf.DB + ".forward"
	}
	if t, err := storeurl.Parse(sf.Store); err == nil && t.Backend == storeurl.SQLite {
		return t.Path + ".forward"
	}
	return "disputes-forward.checkpoint"
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
