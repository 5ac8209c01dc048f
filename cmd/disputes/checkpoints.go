package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/checkpointdir"
	"github.com/disputes-ledger/disputes/audit/checkpointnats"
)

// checkpointFlags choose the ledger's checkpoint origin and where its
// checkpoints are published as seals are made.
type checkpointFlags struct {
	origin  string
	dir     string
	natsURL string
	stream  string
	subject string
}

func (c *checkpointFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.origin, "origin", os.Getenv("DISPUTES_ORIGIN"), "checkpoint origin, the ledger's name for witnesses (default: disputes-ledger/<key fingerprint>); env DISPUTES_ORIGIN")
	fs.StringVar(&c.dir, "checkpoints", os.Getenv("DISPUTES_CHECKPOINTS"), "publish every seal's signed checkpoint to this directory (append-only log, one file per size); env DISPUTES_CHECKPOINTS")
	fs.StringVar(&c.natsURL, "checkpoint-nats", os.Getenv("DISPUTES_CHECKPOINT_NATS"), "publish every checkpoint to NATS JetStream at this URL; env DISPUTES_CHECKPOINT_NATS")
	fs.StringVar(&c.stream, "checkpoint-stream", checkpointnats.DefaultStream, "with --checkpoint-nats: JetStream stream (created with deletes and purges denied)")
	fs.StringVar(&c.subject, "checkpoint-subject", checkpointnats.DefaultSubject, "with --checkpoint-nats: subject")
}

// sealerOption opens the publishers and returns the sealer option with
// them, and a function that closes what was opened.
func (c *checkpointFlags) sealerOption(ctx context.Context) (audit.SealerOption, func(), error) {
	var pubs []audit.CheckpointPublisher
	closeAll := func() {}
	if c.dir != "" {
		d, err := checkpointdir.Open(c.dir)
		if err != nil {
			return nil, nil, err
		}
		pubs = append(pubs, d)
	}
	if c.natsURL != "" {
		nc, err := nats.Connect(c.natsURL, nats.Name("disputes checkpoints"), nats.MaxReconnects(-1))
		if err != nil {
			return nil, nil, fmt.Errorf("connect to NATS %s: %w", c.natsURL, err)
		}
		p, err := checkpointnats.New(ctx, nc, c.stream, c.subject)
		if err != nil {
			nc.Close()
			return nil, nil, err
		}
		pubs, closeAll = append(pubs, p), nc.Close
	}
	return audit.WithCheckpoints(c.origin, pubs...), closeAll, nil
}

// published reports whether checkpoints leave the ledger at all.
func (c *checkpointFlags) published() bool { return c.dir != "" || c.natsURL != "" }

// describe says where checkpoints go, for the operator.
func (c *checkpointFlags) describe() string {
	var where []string
	if c.dir != "" {
		where = append(where, "directory "+c.dir)
	}
	if c.natsURL != "" {
		where = append(where, fmt.Sprintf("NATS %s subject %s", c.natsURL, c.subject))
	}
	if len(where) == 0 {
		return "nowhere (give --checkpoints DIR or --checkpoint-nats URL)"
	}
	return strings.Join(where, " and ")
}
