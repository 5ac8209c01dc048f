package postgres

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/appendcheck"
)

// appendReq is one Append waiting for the writer.
type appendReq struct {
	ctx      context.Context
	stream   string
	expected eventstore.ExpectedRevision
	events   []eventstore.EventData
	// resp has room for the one answer, so the writer never blocks on a
	// caller that has already given up.
	resp chan appendResp
}

type appendResp struct {
	res eventstore.AppendResult
	err error
}

// Append implements eventstore.Store. It queues the append for the
// group-commit writer and waits until the transaction holding it commits.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	if err := rules.Check(stream, events); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	req := &appendReq{
		ctx:      ctx,
		stream:   stream,
		expected: expected,
		events:   copyEvents(events),
		resp:     make(chan appendResp, 1),
	}

	select {
	case s.reqs <- req:
	case <-ctx.Done():
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, ctx.Err())
	case <-s.done:
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, ErrClosed)
	}

	select {
	case r := <-req.resp:
		return r.res, r.err
	case <-ctx.Done():
		// The writer may still commit the request: the outcome is unknown,
		// and a retry with the same IDs is answered as a duplicate.
		return eventstore.AppendResult{}, fmt.Errorf("append %s: gave up waiting for commit: %w", stream, ctx.Err())
	case <-s.writerDone:
		// The request may have slipped into the queue after the writer's
		// final drain; if the writer did answer, the answer is already here.
		select {
		case r := <-req.resp:
			return r.res, r.err
		default:
			return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, ErrClosed)
		}
	}
}

// rules reject, beyond the port's rules, text PostgreSQL cannot store (NUL
// bytes, invalid UTF-8) and revisions beyond bigint.
var rules = appendcheck.Rules{
	Stream: func(stream string) error { return checkText("stream name", stream) },
	Event: func(e eventstore.EventData) error {
		if err := checkText("type", e.Type); err != nil {
			return err
		}
		if e.Revision > maxRevision {
			return fmt.Errorf("revision %d beyond PostgreSQL's bigint", e.Revision)
		}
		return nil
	},
}

// maxRevision is the largest revision a bigint column holds.
const maxRevision = 1<<63 - 1

func checkText(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s %q is not valid UTF-8", what, s)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%s %q contains a NUL byte", what, s)
	}
	return nil
}

// copyEvents copies the events and their bytes into one allocation, so a
// caller that stops waiting (cancelled ctx) may reuse its buffers while the
// writer still holds the request.
func copyEvents(events []eventstore.EventData) []eventstore.EventData {
	n := 0
	for _, e := range events {
		n += len(e.Data)
	}
	buf := make([]byte, 0, n)
	out := make([]eventstore.EventData, len(events))
	for i, e := range events {
		start := len(buf)
		buf = append(buf, e.Data...)
		e.Data = buf[start:len(buf):len(buf)]
		out[i] = e
	}
	return out
}
