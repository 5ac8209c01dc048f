package forward

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// Message headers set on every forwarded event.
const (
	HeaderEventID   = "Disputes-Event-Id"
	HeaderEventType = "Disputes-Event-Type"
	HeaderStream    = "Disputes-Stream"
	HeaderTicket    = "Disputes-Ticket" // absent for streams that are not a ticket's
	HeaderRevision  = "Disputes-Revision"
	HeaderPosition  = "Disputes-Position"
)

// DefaultSubjectPrefix is the subject prefix Config uses by default.
const DefaultSubjectPrefix = "disputes.events"

// ErrInvalidSubject is returned for an event type or prefix that does not
// make a valid NATS subject.
var ErrInvalidSubject = errors.New("invalid NATS subject")

// Subject returns the subject an event of type eventType is published on:
// the prefix and the type joined by a dot. Dots in the type stay: they make
// subject tokens, so "disputes.events.refund.>" matches every refund event.
func Subject(prefix, eventType string) (string, error) {
	subject := prefix + "." + eventType
	if err := checkSubject(subject); err != nil {
		return "", err
	}
	return subject, nil
}

// checkSubject refuses empty tokens and the characters NATS reserves:
// whitespace, and the wildcards '*' and '>'.
func checkSubject(subject string) error {
	for _, tok := range strings.Split(subject, ".") {
		if tok == "" {
			return fmt.Errorf("%q: empty token: %w", subject, ErrInvalidSubject)
		}
		if strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '*' || r == '>' }) {
			return fmt.Errorf("%q: token %q: %w", subject, tok, ErrInvalidSubject)
		}
	}
	return nil
}

// newMessage wraps a recorded event in a Watermill message whose UUID is the
// event id, which the publisher sends as the Nats-Msg-Id.
func newMessage(e eventstore.RecordedEvent) *message.Message {
	msg := message.NewMessage(e.ID.String(), e.Data)
	msg.Metadata.Set(HeaderEventID, e.ID.String())
	msg.Metadata.Set(HeaderEventType, e.Type)
	msg.Metadata.Set(HeaderStream, e.Stream)
	if ticket := events.TicketOf(e.Stream); ticket != "" {
		msg.Metadata.Set(HeaderTicket, ticket)
	}
	msg.Metadata.Set(HeaderRevision, strconv.FormatUint(e.Revision, 10))
	msg.Metadata.Set(HeaderPosition, strconv.FormatUint(e.Position, 10))
	return msg
}
