package kurrenttest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Append implements streams.StreamsServer: an options message, then the
// proposed events, then one answer.
func (s *streamsService) Append(srv streams.Streams_AppendServer) error {
	first, err := srv.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "append: the first message must carry the options")
	}
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	if stream == "" {
		return status.Error(codes.InvalidArgument, "append: empty stream name")
	}
	expected, err := expectationFromProto(opts)
	if err != nil {
		return err
	}

	var (
		events []proposed
		size   int
	)
	for {
		req, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		msg := req.GetProposedMessage()
		if msg == nil {
			return status.Error(codes.InvalidArgument, "append: expected a proposed message")
		}
		// Like the server, count the messages as they are sent.
		if size += proto.Size(msg); size > s.maxAppendSize {
			return maxAppendSizeExceeded(srv, s.maxAppendSize)
		}
		e, err := proposedFromProto(msg)
		if err != nil {
			return err
		}
		events = append(events, e)
	}

	out := s.log.append(stream, expected, events)
	if !out.ok {
		return srv.SendAndClose(&streams.AppendResp{Result: &streams.AppendResp_WrongExpectedVersion_{
			WrongExpectedVersion: wrongExpectedVersion(expected, out),
		}})
	}
	success := &streams.AppendResp_Success{}
	if out.exists {
		success.CurrentRevisionOption = &streams.AppendResp_Success_CurrentRevision{CurrentRevision: out.current}
	} else {
		success.CurrentRevisionOption = &streams.AppendResp_Success_NoStream{NoStream: &shared.Empty{}}
	}
	if out.last != nil {
		success.PositionOption = &streams.AppendResp_Success_Position{Position: &streams.AppendResp_Position{
			CommitPosition:  out.last.commit,
			PreparePosition: out.last.prepare,
		}}
	} else {
		success.PositionOption = &streams.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}}
	}
	return srv.SendAndClose(&streams.AppendResp{Result: &streams.AppendResp_Success_{Success: success}})
}

// maxAppendSizeExceeded fails the call the way the server does: an
// InvalidArgument status with the exception named in the trailers.
func maxAppendSizeExceeded(srv streams.Streams_AppendServer, limit int) error {
	srv.SetTrailer(metadata.Pairs("exception", "maximum-append-size-exceeded", "maximum-append-size", strconv.Itoa(limit)))
	return status.Errorf(codes.InvalidArgument, "maximum append size of %d exceeded", limit)
}

func expectationFromProto(opts *streams.AppendReq_Options) (expectation, error) {
	switch o := opts.GetExpectedStreamRevision().(type) {
	case *streams.AppendReq_Options_Any:
		return expectation{kind: expectAny}, nil
	case *streams.AppendReq_Options_NoStream:
		return expectation{kind: expectNoStream}, nil
	case *streams.AppendReq_Options_StreamExists:
		return expectation{kind: expectStreamExists}, nil
	case *streams.AppendReq_Options_Revision:
		return expectation{kind: expectRevision, revision: o.Revision}, nil
	default:
		return expectation{}, status.Error(codes.InvalidArgument, "append: missing expected stream revision")
	}
}

// proposedFromProto checks a proposed message like the server does: an id,
// a type and a content type are required.
func proposedFromProto(msg *streams.AppendReq_ProposedMessage) (proposed, error) {
	id, err := uuidFromProto(msg.GetId())
	if err != nil {
		return proposed{}, status.Errorf(codes.InvalidArgument, "append: event id: %v", err)
	}
	md := msg.GetMetadata()
	if md["type"] == "" {
		return proposed{}, status.Error(codes.InvalidArgument, "append: event type is required")
	}
	if md["content-type"] == "" {
		return proposed{}, status.Error(codes.InvalidArgument, "append: content type is required")
	}
	return proposed{
		id: id,
		metadata: map[string]string{
			"type":         md["type"],
			"content-type": md["content-type"],
			"created":      strconv.FormatInt(ticksSinceEpoch(time.Now()), 10),
		},
		custom: msg.GetCustomMetadata(),
		data:   msg.GetData(),
	}, nil
}

// ticksSinceEpoch is t in .NET ticks (100 ns) since the Unix epoch, the
// unit of the "created" metadata the client parses.
func ticksSinceEpoch(t time.Time) int64 { return t.UnixNano() / 100 }

func wrongExpectedVersion(expected expectation, out appendOutcome) *streams.AppendResp_WrongExpectedVersion {
	w := &streams.AppendResp_WrongExpectedVersion{}
	if out.exists {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: out.current}
		w.CurrentRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: out.current}
	} else {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		w.CurrentRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
	}
	switch expected.kind {
	case expectAny:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_Any_20_6_0{Any_20_6_0: &shared.Empty{}}
	case expectNoStream:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case expectStreamExists:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_StreamExists_20_6_0{StreamExists_20_6_0: &shared.Empty{}}
	case expectRevision:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: expected.revision}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: expected.revision}
	}
	return w
}

// uuidFromProto accepts both encodings the protocol allows.
func uuidFromProto(u *shared.UUID) (uuid.UUID, error) {
	switch v := u.GetValue().(type) {
	case *shared.UUID_Structured_:
		var id uuid.UUID
		binary.BigEndian.PutUint64(id[:8], uint64(v.Structured.GetMostSignificantBits()))
		binary.BigEndian.PutUint64(id[8:], uint64(v.Structured.GetLeastSignificantBits()))
		return id, nil
	case *shared.UUID_String_:
		return uuid.Parse(v.String_)
	default:
		return uuid.Nil, fmt.Errorf("missing")
	}
}

// uuidToProto encodes id the way the reader asked for.
func uuidToProto(id uuid.UUID, asString bool) *shared.UUID {
	if asString {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}
