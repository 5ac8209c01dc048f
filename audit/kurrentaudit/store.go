package kurrentaudit

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/eventstore/kurrentdb"
)

// DefaultStream is the stream seals are kept in unless Config.Stream says
// otherwise.
const DefaultStream = "disputes-seals"

// eventType is the type of every seal event.
const eventType = "disputes.seal"

// metaStore marks the events this package writes, in their metadata.
const metaStore = "disputes/seals"

// maxAttempts bounds the read-decide-append loop under contention.
const maxAttempts = 64

// Config chooses the seal stream.
type Config struct {
	// Stream is the server stream holding the seals. Default DefaultStream.
	// A ledger namespace (kurrentdb.Config.Namespace) is not applied: give
	// the full name.
	Stream string
	// Logger receives the client library's log lines. Default: none.
	Logger esdb.LoggingFunc
}

// Store is a KurrentDB audit.SealStore. It is safe for concurrent use.
type Store struct {
	client *esdb.Client
	stream string
}

var _ audit.SealStore = (*Store)(nil)

// Open connects to the server at url (any form kurrentdb.ParseURL reads).
// It creates nothing: the stream appears with the first seal.
func Open(_ context.Context, url string, cfg Config) (*Store, error) {
	conf, err := kurrentdb.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("open seal store: %w", err)
	}
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	conf.Logger = cfg.Logger
	if conf.Logger == nil {
		conf.Logger = esdb.NoopLogging()
	}
	client, err := esdb.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("open seal store: connect: %w", err)
	}
	return &Store{client: client, stream: cfg.Stream}, nil
}

// Close disconnects.
func (s *Store) Close() error {
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("close seal store: %w", err)
	}
	return nil
}

// Stream returns the name of the seal stream.
func (s *Store) Stream() string { return s.stream }

// record is a seal event's data.
type record struct {
	seal.Seal
	PublicKey []byte `json:"public_key"`
}

type meta struct {
	Store string `json:"store"`
}

// AddSeal implements audit.SealStore.
func (s *Store) AddSeal(ctx context.Context, sl seal.Seal, pub ed25519.PublicKey) error {
	if err := audit.CheckSealToStore(sl, pub); err != nil {
		return err
	}
	for range maxAttempts {
		stored, next, err := s.read(ctx)
		if err != nil {
			return fmt.Errorf("add seal of size %d: %w", sl.Size, err)
		}
		if i := slices.IndexFunc(stored, func(st audit.StoredSeal) bool { return st.Size == sl.Size }); i >= 0 {
			if audit.SameSeal(stored[i], sl, pub) {
				return nil
			}
			return audit.NewSealConflict(stored[i], sl, pub)
		}
		ev, err := toEvent(sl, pub)
		if err != nil {
			return fmt.Errorf("add seal of size %d: %w", sl.Size, err)
		}
		_, err = s.client.AppendToStream(ctx, s.stream, esdb.AppendToStreamOptions{ExpectedRevision: next}, ev)
		if err == nil {
			return nil
		}
		if code(err) != esdb.ErrorCodeWrongExpectedVersion {
			return fmt.Errorf("add seal of size %d: %w", sl.Size, ctxErr(ctx, err))
		}
		// Another adder appended since the read: read and decide again.
	}
	return fmt.Errorf("add seal of size %d: the seal stream kept changing during %d attempts", sl.Size, maxAttempts)
}

// Seals implements audit.SealStore.
func (s *Store) Seals(ctx context.Context) ([]audit.StoredSeal, error) {
	stored, _, err := s.read(ctx)
	if err != nil {
		return nil, fmt.Errorf("list seals: %w", err)
	}
	return stored, nil
}

// LatestSeal implements audit.SealStore.
func (s *Store) LatestSeal(ctx context.Context) (audit.StoredSeal, bool, error) {
	stored, _, err := s.read(ctx)
	if err != nil {
		return audit.StoredSeal{}, false, fmt.Errorf("latest seal: %w", err)
	}
	if len(stored) == 0 {
		return audit.StoredSeal{}, false, nil
	}
	return stored[len(stored)-1], true, nil
}

// read returns the stream's seals in increasing size, and the expected
// revision an append after them must name. Should the stream hold two
// seals of one size (written around this package), the earlier one counts,
// as the first insert does in the SQL stores.
func (s *Store) read(ctx context.Context) ([]audit.StoredSeal, esdb.ExpectedRevision, error) {
	rs, err := s.client.ReadStream(ctx, s.stream, esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Start{}}, math.MaxInt64)
	if err != nil {
		return nil, nil, ctxErr(ctx, err)
	}
	defer rs.Close()
	var (
		out  []audit.StoredSeal
		next esdb.ExpectedRevision = esdb.NoStream{}
		seen                       = map[uint64]bool{}
	)
	for {
		re, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if code(err) == esdb.ErrorCodeResourceNotFound {
			return nil, esdb.NoStream{}, nil
		}
		if err != nil {
			return nil, nil, ctxErr(ctx, err)
		}
		e := re.OriginalEvent()
		next = esdb.Revision(e.EventNumber)
		st, err := fromEvent(e)
		if err != nil {
			return nil, nil, err
		}
		if !seen[st.Size] {
			seen[st.Size] = true
			out = append(out, st)
		}
	}
	slices.SortFunc(out, func(a, b audit.StoredSeal) int {
		switch {
		case a.Size < b.Size:
			return -1
		case a.Size > b.Size:
			return 1
		}
		return 0
	})
	return out, next, nil
}

// toEvent is the seal as sent to the server. Its id is a name-based UUID of
// everything stored, so a retry carries the same id.
func toEvent(sl seal.Seal, pub ed25519.PublicKey) (esdb.EventData, error) {
	data, err := json.Marshal(record{Seal: sl, PublicKey: pub})
	if err != nil {
		return esdb.EventData{}, fmt.Errorf("encode seal: %w", err)
	}
	m, err := json.Marshal(meta{Store: metaStore})
	if err != nil {
		return esdb.EventData{}, fmt.Errorf("encode seal metadata: %w", err)
	}
	return esdb.EventData{
		EventID:     uuid.NewSHA1(uuid.NameSpaceOID, data),
		EventType:   eventType,
		ContentType: esdb.ContentTypeJson,
		Data:        data,
		Metadata:    m,
	}, nil
}

// fromEvent decodes a seal event, refusing anything else in the stream.
func fromEvent(e *esdb.RecordedEvent) (audit.StoredSeal, error) {
	var m meta
	if e.EventType != eventType || json.Unmarshal(e.UserMetadata, &m) != nil || m.Store != metaStore {
		return audit.StoredSeal{}, fmt.Errorf("event %s at revision %d of the seal stream is not a seal (type %q): %w",
			e.EventID, e.EventNumber, e.EventType, seal.ErrMalformedSeal)
	}
	var r record
	if err := json.Unmarshal(e.Data, &r); err != nil {
		return audit.StoredSeal{}, fmt.Errorf("seal event at revision %d: %v: %w", e.EventNumber, err, seal.ErrMalformedSeal)
	}
	if len(r.PublicKey) != ed25519.PublicKeySize || r.Size == 0 {
		return audit.StoredSeal{}, fmt.Errorf("seal event at revision %d: size %d, public key of %d bytes: %w",
			e.EventNumber, r.Size, len(r.PublicKey), seal.ErrMalformedSeal)
	}
	return audit.StoredSeal{Seal: r.Seal, PublicKey: ed25519.PublicKey(r.PublicKey)}, nil
}

// code is the client's error code of err, or ErrorCodeUnknown.
func code(err error) esdb.ErrorCode {
	var e *esdb.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return esdb.ErrorCodeUnknown
}

// ctxErr prefers the context's error, which the client reports as a gRPC
// status.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
