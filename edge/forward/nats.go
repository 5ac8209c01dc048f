package forward

import (
	"context"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DefaultStream is the JetStream stream name the command uses by default.
const DefaultStream = "DISPUTES_EVENTS"

// DefaultDupWindow is JetStream's own default duplicate window.
const DefaultDupWindow = 2 * time.Minute

// EnsureStream creates the JetStream stream that captures "<prefix>.>" with
// the given duplicate window, or updates an existing one to those settings.
func EnsureStream(ctx context.Context, nc *nats.Conn, name, prefix string, dupWindow time.Duration) error {
	if err := checkSubject(prefix); err != nil {
		return fmt.Errorf("ensure stream %s: %w", name, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("ensure stream %s: %w", name, err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       name,
		Subjects:   []string{prefix + ".>"},
		Duplicates: dupWindow,
		Storage:    jetstream.FileStorage,
	}); err != nil {
		return fmt.Errorf("ensure stream %s: %w", name, err)
	}
	return nil
}

// NewPublisher returns a Watermill publisher on nc that publishes to
// JetStream, waits for each acknowledgement, sends the Watermill message
// UUID as Nats-Msg-Id, and refuses to publish outside stream. Closing it
// closes nc.
func NewPublisher(nc *nats.Conn, stream string, logger watermill.LoggerAdapter) (message.Publisher, error) {
	pub, err := wmnats.NewPublisherWithNatsConn(nc, wmnats.PublisherPublishConfig{
		Marshaler:         &wmnats.NATSMarshaler{},
		SubjectCalculator: wmnats.DefaultSubjectCalculator,
		JetStream: wmnats.JetStreamConfig{
			TrackMsgId: true,
			// A subject no stream captures would otherwise fail only with
			// a timeout; a subject another stream captures would succeed
			// in the wrong place.
			PublishOptions: []nats.PubOpt{nats.ExpectStream(stream)},
		},
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("new JetStream publisher: %w", err)
	}
	return pub, nil
}
