package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/edge/forward"
	"github.com/nats-io/nats.go"
)

func runForward(ctx context.Context, e env) error {
	fs := newFlags(e, "forward", "forward [--db PATH | --store URL] [--nats URL] [--stream NAME] [--subject-prefix P] [--checkpoint FILE] [--follow=false]")
	var sf storeFlags
	sf.register(fs)
	natsURL := fs.String("nats", envOr("DISPUTES_NATS", nats.DefaultURL), "NATS server URL; env DISPUTES_NATS")
	stream := fs.String("stream", forward.DefaultStream, "JetStream stream to create or update and publish into")
	prefix := fs.String("subject-prefix", forward.DefaultSubjectPrefix, "subject prefix: events go to <prefix>.<event type>")
	dupWindow := fs.Duration("dedup-window", forward.DefaultDupWindow, "JetStream duplicate window: keep it longer than a restart takes")
	checkpoint := fs.String("checkpoint", "", "file holding the last forwarded position (default: <ledger file>.forward, or disputes-forward.checkpoint for a server store)")
	follow := fs.Bool("follow", true, "keep forwarding new events until interrupted; false: catch up and exit")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	cpPath, ledger := *checkpoint, sf.db
	if sf.store != "" {
		ledger = storeurl.Redacted(sf.store)
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
	if sf.store == "" {
		return sf.db + ".forward"
	}
	if t, err := storeurl.Parse(sf.store); err == nil && t.Backend == storeurl.SQLite {
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
