// Package checkpointnats publishes the ledger's signed checkpoints to a NATS
// JetStream subject. The stream is created with deletes and purges denied,
// so that a checkpoint, once acknowledged, stays for every subscriber,
// witness and monitor to read, whatever later happens to the ledger.
package checkpointnats

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/disputes-ledger/disputes/audit/checkpoint"
)

// Defaults of the command line.
const (
	DefaultStream  = "DISPUTES_CHECKPOINTS"
	DefaultSubject = "disputes.checkpoints"
)

// Headers set on every message, so that consumers can filter without
// parsing the note.
const (
	HeaderOrigin = "Disputes-Checkpoint-Origin"
	HeaderSize   = "Disputes-Checkpoint-Size"
)

// Publisher publishes checkpoints to one subject of one stream. It is safe
// for concurrent use.
type Publisher struct {
	js      jetstream.JetStream
	stream  string
	subject string
}

// New returns a publisher on nc to subject, creating the stream that
// captures subject if it does not exist. A stream this package creates
// denies message deletes and purges, keeps messages forever, and stores
// them on file; an existing stream is used as it is.
func New(ctx context.Context, nc *nats.Conn, stream, subject string) (*Publisher, error) {
	if subject == "" || strings.ContainsAny(subject, " *>\t\r\n") {
		return nil, fmt.Errorf("checkpoint subject %q: want a literal subject (no wildcards or spaces)", subject)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("checkpoint stream %s: %w", stream, err)
	}
	_, err = js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        stream,
			Description: "signed checkpoints of a disputes ledger (C2SP tlog-checkpoint)",
			Subjects:    []string{subject},
			Storage:     jetstream.FileStorage,
			DenyDelete:  true,
			DenyPurge:   true,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint stream %s: %w", stream, err)
	}
	return &Publisher{js: js, stream: stream, subject: subject}, nil
}

// PublishCheckpoint publishes text and waits for the stream's
// acknowledgement. The message id is "<origin>/<size>", so JetStream drops
// a republication within its duplicate window; a later one is stored again,
// byte for byte the same, which readers ignore.
func (p *Publisher) PublishCheckpoint(ctx context.Context, cp checkpoint.Checkpoint, text []byte) error {
	msg := nats.NewMsg(p.subject)
	msg.Data = text
	msg.Header.Set(HeaderOrigin, cp.Origin)
	msg.Header.Set(HeaderSize, strconv.FormatUint(cp.Size, 10))
	_, err := p.js.PublishMsg(ctx, msg,
		jetstream.WithMsgID(cp.Origin+"/"+strconv.FormatUint(cp.Size, 10)),
		jetstream.WithExpectStream(p.stream))
	if err != nil {
		return fmt.Errorf("publish checkpoint of size %d to %s: %w", cp.Size, p.subject, err)
	}
	return nil
}
