package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/checkpointdir"
	"github.com/disputes-ledger/disputes/audit/checkpointnats"
)

// checkpointFlags choose the ledger's checkpoint origin and where its
// checkpoints are published as seals are made.
type checkpointFlags struct {
	Origin            string `name:"origin" env:"DISPUTES_ORIGIN" placeholder:"O" help:"checkpoint origin, the ledger's name for witnesses (default: disputes-ledger/<key fingerprint>)"`
	Checkpoints       string `name:"checkpoints" env:"DISPUTES_CHECKPOINTS" placeholder:"DIR" help:"publish every seal's signed checkpoint to this directory (append-only log, one file per size)"`
	CheckpointNATS    string `name:"checkpoint-nats" env:"DISPUTES_CHECKPOINT_NATS" placeholder:"URL" help:"publish every checkpoint to NATS JetStream at this URL"`
	CheckpointStream  string `name:"checkpoint-stream" default:"${checkpoint_stream}" placeholder:"NAME" help:"with --checkpoint-nats: JetStream stream (created with deletes and purges denied)"`
	CheckpointSubject string `name:"checkpoint-subject" default:"${checkpoint_subject}" placeholder:"SUBJECT" help:"with --checkpoint-nats: subject"`
}

// sealerOption opens the publishers and returns the sealer option with
// them, and a function that closes what was opened.
func (c *checkpointFlags) sealerOption(ctx context.Context) (audit.SealerOption, func(), error) {
	var pubs []audit.CheckpointPublisher
	closeAll := func() {}
	if c.Checkpoints != "" {
		d, err := checkpointdir.Open(c.Checkpoints)
		if err != nil {
			return nil, nil, err
		}
		pubs = append(pubs, d)
	}
	if c.CheckpointNATS != "" {
		nc, err := nats.Connect(c.CheckpointNATS, nats.Name("disputes checkpoints"), nats.MaxReconnects(-1))
		if err != nil {
			return nil, nil, fmt.Errorf("connect to NATS %s: %w", c.CheckpointNATS, err)
		}
		p, err := checkpointnats.New(ctx, nc, c.CheckpointStream, c.CheckpointSubject)
		if err != nil {
			nc.Close()
			return nil, nil, err
		}
		pubs, closeAll = append(pubs, p), nc.Close
	}
	return audit.WithCheckpoints(c.Origin, pubs...), closeAll, nil
}

// published reports whether checkpoints leave the ledger at all.
func (c *checkpointFlags) published() bool { return c.Checkpoints != "" || c.CheckpointNATS != "" }

// describe says where checkpoints go, for the operator.
func (c *checkpointFlags) describe() string {
	var where []string
	if c.Checkpoints != "" {
		where = append(where, "directory "+c.Checkpoints)
	}
	if c.CheckpointNATS != "" {
		where = append(where, fmt.Sprintf("NATS %s subject %s", c.CheckpointNATS, c.CheckpointSubject))
	}
	if len(where) == 0 {
		return "nowhere (give --checkpoints DIR or --checkpoint-nats URL)"
	}
	return strings.Join(where, " and ")
}
