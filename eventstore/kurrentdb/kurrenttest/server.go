package kurrenttest

import (
	"context"
	"fmt"
	"net"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc"
)

// DefaultMaxAppendSize is KurrentDB's default limit on the bytes of one
// append (its --max-append-size option).
const DefaultMaxAppendSize = 1 << 20

// maxMessageSize is the largest gRPC message the double accepts, as large
// as the biggest event a real server stores.
const maxMessageSize = 17 << 20

// Options configure a Server.
type Options struct {
	// MaxAppendSize caps the bytes (data plus metadata) of one append;
	// zero means DefaultMaxAppendSize.
	MaxAppendSize int
}

// Server is a running test double. It is safe for concurrent use.
type Server struct {
	log  *memLog
	grpc *grpc.Server
	lis  net.Listener
	done chan struct{}
}

// Start listens on a free loopback port and serves until Close.
func Start(opts Options) (*Server, error) {
	if opts.MaxAppendSize <= 0 {
		opts.MaxAppendSize = DefaultMaxAppendSize
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("kurrenttest: listen: %w", err)
	}
	s := &Server{
		log:  newMemLog(),
		grpc: grpc.NewServer(grpc.MaxRecvMsgSize(maxMessageSize), grpc.MaxSendMsgSize(maxMessageSize)),
		lis:  lis,
		done: make(chan struct{}),
	}
	streams.RegisterStreamsServer(s.grpc, &streamsService{log: s.log, maxAppendSize: opts.MaxAppendSize})
	serverfeatures.RegisterServerFeaturesServer(s.grpc, featuresService{})
	go func() {
		defer close(s.done)
		// Serve returns only once Close stops the server.
		_ = s.grpc.Serve(lis)
	}()
	return s, nil
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// URL is the connection string for the official client: single node, no TLS.
func (s *Server) URL() string { return "esdb://" + s.Addr() + "?tls=false" }

// Close stops the server at once, ending open reads and subscriptions.
func (s *Server) Close() {
	s.grpc.Stop()
	<-s.done
}

// DropSubscriptions ends every running subscription with an Unavailable
// status, as a server does when it shuts down or loses leadership, so
// tests can check that clients resubscribe. Reads and appends go on.
func (s *Server) DropSubscriptions() { s.log.dropAll() }

// Len is the number of events in $all, for tests of the double itself.
func (s *Server) Len() int { return s.log.allLen() }

// streamsService implements the Streams gRPC service.
type streamsService struct {
	streams.UnimplementedStreamsServer
	log           *memLog
	maxAppendSize int
}

// featuresService answers the client's connect-time feature query.
type featuresService struct {
	serverfeatures.UnimplementedServerFeaturesServer
}

// serverVersion is what the double reports; the client only parses it.
const serverVersion = "0.0.0"

// GetSupportedMethods implements serverfeatures.ServerFeaturesServer. It
// lists only what the double implements, so the client never asks for
// BatchAppend or persistent subscriptions.
func (featuresService) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	const svc = "event_store.client.streams.streams"
	return &serverfeatures.SupportedMethods{
		EventStoreServerVersion: serverVersion,
		Methods: []*serverfeatures.SupportedMethod{
			{ServiceName: svc, MethodName: "read"},
			{ServiceName: svc, MethodName: "append"},
		},
	}, nil
}

// RewriteData replaces the data of the event at revision of stream, as an
// operator with access to the database files could, for tests of clients
// that must notice. It reports whether the event exists. Reads already under
// way keep the old record.
func (s *Server) RewriteData(stream string, revision uint64, data []byte) bool {
	return s.log.rewriteData(stream, revision, data)
}
