package kurrenttest

import (
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// errDropped ends the subscriptions Server.DropSubscriptions drops, with the
// status a server that goes away answers.
var errDropped = status.Error(codes.Unavailable, "kurrenttest: subscription dropped by the test")

// subscribeAll runs a catch-up subscription to $all: the events after the
// starting point (exclusive, as the server documents for subscriptions),
// "caught up" once the stored ones are sent, then live events until the
// client goes away. Send blocks on gRPC flow control, so a slow client holds
// the subscription back instead of losing events.
func (r *reader) subscribeAll(o *streams.ReadReq_Options_AllOptions) error {
	next := 0
	switch v := o.GetAllOption().(type) {
	case *streams.ReadReq_Options_AllOptions_Position:
		p := v.Position
		next = r.log.seekAll(p.GetCommitPosition(), p.GetPreparePosition())
		if all, _ := r.log.snapshotAll(next); len(all) > 0 && all[0].commit == p.GetCommitPosition() && all[0].prepare == p.GetPreparePosition() {
			next++ // exclusive of the event at the position itself
		}
	case *streams.ReadReq_Options_AllOptions_End:
		next = r.log.allLen()
	}
	dropped := r.log.dropSignal()
	if err := r.confirm(); err != nil {
		return err
	}
	var (
		every   = r.filter.checkpointEvery()
		scanned = 0
		caught  = false
	)
	for {
		batch, changed := r.log.snapshotAll(next)
		for _, rec := range batch {
			if isClosed(dropped) {
				return errDropped
			}
			next++
			if r.filter.match(rec) {
				if err := r.send(rec); err != nil {
					return err
				}
			}
			if scanned++; every > 0 && scanned%every == 0 {
				// A filtered subscription reports how far it has searched, so
				// a client can checkpoint past long runs of other events.
				if err := r.checkpoint(rec); err != nil {
					return err
				}
			}
		}
		if len(batch) > 0 {
			continue
		}
		if err := r.idle(&caught, changed, dropped); err != nil {
			return err
		}
	}
}

// subscribeStream is subscribeAll for one stream: from after a revision, from
// the start, or from the end. A missing stream is waited for.
func (r *reader) subscribeStream(o *streams.ReadReq_Options_StreamOptions) error {
	name := string(o.GetStreamIdentifier().GetStreamName())
	var next uint64
	switch v := o.GetRevisionOption().(type) {
	case *streams.ReadReq_Options_StreamOptions_Revision:
		next = v.Revision + 1
	case *streams.ReadReq_Options_StreamOptions_End:
		recs, _, _ := r.log.snapshotStream(name, 0)
		next = uint64(len(recs))
	}
	dropped := r.log.dropSignal()
	if err := r.confirm(); err != nil {
		return err
	}
	caught := false
	for {
		batch, _, changed := r.log.snapshotStream(name, next)
		for _, rec := range batch {
			if isClosed(dropped) {
				return errDropped
			}
			if rec.revision < next {
				continue
			}
			next = rec.revision + 1
			if err := r.send(rec); err != nil {
				return err
			}
		}
		if len(batch) > 0 {
			continue
		}
		if err := r.idle(&caught, changed, dropped); err != nil {
			return err
		}
	}
}

// idle ends a round of a subscription that found nothing new: the first
// time, it tells the client it has caught up; then it waits for the log to
// change, and fails if the subscriptions are dropped or the call ends.
func (r *reader) idle(caught *bool, changed, dropped <-chan struct{}) error {
	if !*caught {
		if err := r.caughtUp(); err != nil {
			return err
		}
		*caught = true
	}
	select {
	case <-changed:
		return nil
	case <-dropped:
		return errDropped
	case <-r.ctx().Done():
		return contextError(r.ctx())
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
