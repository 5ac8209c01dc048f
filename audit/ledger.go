package audit

import (
	"context"
	"fmt"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// VerifyLog verifies a live ledger: every event of log from position 1, the
// seals in seals, under the policies in opts. The public key is opts'
// pinned key or, failing that, the key stored with the latest seal. source
// names the ledger in the report. The error is for failures to read; what
// the checks find is in the report.
//
// Events are read on another goroutine, and decoded, hashed and checked on
// the goroutines of the Verifier's own (Options.Workers), each event on the
// one that checks its ticket. The rows a stream read and the log see differently
// (StrayReader) are reported first or, when the log finds them as it reads
// (StrayScanner), each before its event.
func VerifyLog(ctx context.Context, source string, log Log, seals SealStore, opts Options) (*Report, error) {
	v := NewVerifier(source, "all", true, opts)
	stored, err := seals.Seals(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", source, err)
	}
	if n := len(stored); n > 0 {
		v.SetPublicKey(stored[n-1].PublicKey, 0)
	}
	for _, s := range stored {
		v.AddSeal(s.Seal, 0)
	}
	read, err := readStrays(ctx, v, log)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", source, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches, errc := readLog(ctx, read)
	for b := range batches {
		// Before the batch's events: each finding about a row comes
		// before those about its event, as when strays are read first.
		for _, s := range b.strays {
			failStray(v, s)
		}
		for i := range b.recs {
			v.applyRecord(&b.recs[i], b.hints[i])
		}
	}
	if err := <-errc; err != nil {
		return nil, fmt.Errorf("verify %s: %w", source, err)
	}
	return v.Finish(), nil
}

// logBatch is one ReadAll's worth of events, the hint of each (its stream
// column's), and the stray rows the read found among them.
type logBatch struct {
	recs   []eventstore.RecordedEvent
	hints  []RouteHint
	strays []StrayEvent
}

// readFunc reads the log as ReadAll does, and the stray rows among what it
// read when the log finds them as it reads (StrayScanner).
type readFunc func(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, []StrayEvent, error)

// readLog reads the whole log in order on its own goroutine, hashing each
// row's stream column for the Verifier to route its event by (the
// Verifier decodes each event on the goroutine that checks its ticket).
// The error channel yields the read error, or nil, once the batches are
// done.
func readLog(ctx context.Context, read readFunc) (<-chan *logBatch, <-chan error) {
	// A few batches of slack keep a stage that a GC pause or a slow read
	// held up from stalling the others.
	ordered := make(chan *logBatch, 4)
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		defer close(ordered)
		var after uint64
		for {
			recs, strays, err := read(ctx, after, scanBatch)
			if err != nil {
				errc <- fmt.Errorf("read log after position %d: %w", after, err)
				return
			}
			if len(recs) == 0 {
				return
			}
			b := &logBatch{recs: recs, strays: strays, hints: make([]RouteHint, len(recs))}
			for i := range recs {
				b.hints[i] = StreamHint(recs[i].Stream)
			}
			select {
			case ordered <- b:
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
			after = recs[len(recs)-1].Position
			if len(recs) < scanBatch {
				return
			}
		}
	}()
	return ordered, errc
}

// readStrays reports every event log stores where a ticket's stream read
// and the global log disagree (see StrayReader), and returns how to read
// the log. A StrayScanner's rows below the log are reported now, and the
// others as the read finds them; any other StrayReader's are all read
// first, in a pass of their own.
func readStrays(ctx context.Context, v *Verifier, log Log) (readFunc, error) {
	read := func(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, []StrayEvent, error) {
		recs, err := log.ReadAll(ctx, after, limit)
		return recs, nil, err
	}
	var strays []StrayEvent
	var err error
	switch sr := log.(type) {
	case StrayScanner:
		strays, err = sr.EventsBelowLog(ctx)
		read = sr.ReadAllStrays
	case StrayReader:
		strays, err = sr.EventsOutsideLog(ctx)
	}
	if err != nil {
		return nil, err
	}
	for _, s := range strays {
		failStray(v, s)
	}
	return read, nil
}

// failStray reports one stray row.
func failStray(v *Verifier, s StrayEvent) {
	rev := s.Revision
	if s.NoPosition {
		v.Fail(Finding{Check: CheckOutsideLog, Ticket: events.TicketOf(s.Stream), Revision: &rev,
			Message: fmt.Sprintf("an event of %s is stored at no position (NULL), outside the global log: a read of the ticket shows it, but no seal covers it", s.Stream)})
		return
	}
	if s.Position <= 0 {
		v.Fail(Finding{Check: CheckOutsideLog, Ticket: events.TicketOf(s.Stream), Revision: &rev,
			Message: fmt.Sprintf("an event of %s is stored at position %d, outside the global log: a read of the ticket shows it, but no seal covers it", s.Stream, s.Position)})
		return
	}
	v.Fail(Finding{Check: CheckColumnMismatch, Position: uint64(s.Position), Ticket: events.TicketOf(s.Stream), Revision: &rev,
		Message: fmt.Sprintf("a column holds a value of another type than the table declares (%s): a read of the ticket does not find it, though the log holds it", s.StorageClass)})
}
