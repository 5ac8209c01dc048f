package kurrenttest

import (
	"context"
	"math"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Read implements streams.StreamsServer: bounded reads of a stream or of
// $all, and catch-up subscriptions to either.
func (s *streamsService) Read(req *streams.ReadReq, srv streams.Streams_ReadServer) error {
	o := req.GetOptions()
	if o == nil {
		return status.Error(codes.InvalidArgument, "read: missing options")
	}
	f, err := newFilter(o.GetFilter())
	if err != nil {
		return err
	}
	r := reader{
		log:       s.log,
		srv:       srv,
		asString:  o.GetUuidOption().GetString_() != nil,
		backwards: o.GetReadDirection() == streams.ReadReq_Options_Backwards,
		filter:    f,
	}
	_, subscribe := o.GetCountOption().(*streams.ReadReq_Options_Subscription)
	if subscribe && r.backwards {
		return status.Error(codes.InvalidArgument, "read: subscriptions only go forwards")
	}
	switch {
	case o.GetStream() != nil && subscribe:
		return r.subscribeStream(o.GetStream())
	case o.GetStream() != nil:
		return r.readStream(o.GetStream(), o.GetCount())
	case o.GetAll() != nil && subscribe:
		return r.subscribeAll(o.GetAll())
	case o.GetAll() != nil:
		return r.readAll(o.GetAll(), o.GetCount())
	default:
		return status.Error(codes.InvalidArgument, "read: neither a stream nor $all")
	}
}

// reader serves one Read call.
type reader struct {
	log       *memLog
	srv       streams.Streams_ReadServer
	asString  bool
	backwards bool
	filter    *filter // nil: every event
}

func (r *reader) ctx() context.Context { return r.srv.Context() }

// readStream sends up to count events of one stream, or "stream not found".
func (r *reader) readStream(o *streams.ReadReq_Options_StreamOptions, count uint64) error {
	name := string(o.GetStreamIdentifier().GetStreamName())
	recs, exists, _ := r.log.snapshotStream(name, 0)
	if !exists {
		return r.srv.Send(&streams.ReadResp{Content: &streams.ReadResp_StreamNotFound_{
			StreamNotFound: &streams.ReadResp_StreamNotFound{StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(name)}},
		}})
	}
	last := uint64(len(recs)) - 1
	var from uint64
	switch v := o.GetRevisionOption().(type) {
	case *streams.ReadReq_Options_StreamOptions_Revision:
		from = v.Revision
	case *streams.ReadReq_Options_StreamOptions_End:
		from = math.MaxUint64
	}
	if r.backwards {
		from = min(from, last) // backwards from past the end starts at the end
		for i := uint64(0); i < count && i <= from; i++ {
			if err := r.send(recs[from-i]); err != nil {
				return err
			}
		}
		return nil
	}
	for rev := from; rev <= last && rev-from < count; rev++ {
		if err := r.send(recs[rev]); err != nil {
			return err
		}
	}
	return nil
}

// readAll sends up to count $all events that pass the filter. Forwards from
// a position includes the event at it; backwards from a position starts at
// the last event before it.
func (r *reader) readAll(o *streams.ReadReq_Options_AllOptions, count uint64) error {
	all, _ := r.log.snapshotAll(0)
	start := 0
	switch v := o.GetAllOption().(type) {
	case *streams.ReadReq_Options_AllOptions_Position:
		start = r.log.seekAll(v.Position.GetCommitPosition(), v.Position.GetPreparePosition())
	case *streams.ReadReq_Options_AllOptions_End:
		start = len(all)
	}
	start = min(start, len(all))
	sent := uint64(0)
	visit := func(rec *record) error {
		if !r.filter.match(rec) {
			return nil
		}
		sent++
		return r.send(rec)
	}
	if r.backwards {
		for i := start - 1; i >= 0 && sent < count; i-- {
			if err := visit(all[i]); err != nil {
				return err
			}
		}
		return nil
	}
	for i := start; i < len(all) && sent < count; i++ {
		if err := visit(all[i]); err != nil {
			return err
		}
	}
	return nil
}

// send sends one event.
func (r *reader) send(rec *record) error {
	return r.srv.Send(&streams.ReadResp{Content: &streams.ReadResp_Event{Event: r.event(rec)}})
}

func (r *reader) event(rec *record) *streams.ReadResp_ReadEvent {
	md := make(map[string]string, len(rec.metadata))
	for k, v := range rec.metadata {
		md[k] = v
	}
	return &streams.ReadResp_ReadEvent{
		Event: &streams.ReadResp_ReadEvent_RecordedEvent{
			Id:               uuidToProto(rec.id, r.asString),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(rec.stream)},
			StreamRevision:   rec.revision,
			PreparePosition:  rec.prepare,
			CommitPosition:   rec.commit,
			Metadata:         md,
			CustomMetadata:   rec.custom,
			Data:             rec.data,
		},
		Position: &streams.ReadResp_ReadEvent_CommitPosition{CommitPosition: rec.commit},
	}
}

// confirm starts a subscription, as the server does, with its id.
func (r *reader) confirm() error {
	return r.srv.Send(&streams.ReadResp{Content: &streams.ReadResp_Confirmation{
		Confirmation: &streams.ReadResp_SubscriptionConfirmation{SubscriptionId: uuid.NewString()},
	}})
}

func (r *reader) caughtUp() error {
	return r.srv.Send(&streams.ReadResp{Content: &streams.ReadResp_CaughtUp_{CaughtUp: &streams.ReadResp_CaughtUp{}}})
}

func (r *reader) checkpoint(rec *record) error {
	return r.srv.Send(&streams.ReadResp{Content: &streams.ReadResp_Checkpoint_{
		Checkpoint: &streams.ReadResp_Checkpoint{CommitPosition: rec.commit, PreparePosition: rec.prepare},
	}})
}

// contextError turns the end of the call's context into a gRPC status.
func contextError(ctx context.Context) error {
	return status.FromContextError(ctx.Err()).Err()
}
