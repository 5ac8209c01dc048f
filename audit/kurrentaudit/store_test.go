package kurrentaudit_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/kurrentaudit"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/audit/sealtest"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/kurrentdb"
	"github.com/disputes-ledger/disputes/eventstore/kurrentdb/kurrenttest"
)

func startDouble(t *testing.T) *kurrenttest.Server {
	t.Helper()
	srv, err := kurrenttest.Start(kurrenttest.Options{})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv
}

func open(t *testing.T, url string, cfg kurrentaudit.Config) *kurrentaudit.Store {
	t.Helper()
	s, err := kurrentaudit.Open(context.Background(), url, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestConformance runs the suite against the in-process test double of
// KurrentDB (package kurrenttest), one server per subtest.
func TestConformance(t *testing.T) {
	t.Parallel()
	sealtest.Run(t, func(t *testing.T) sealtest.Open {
		url := startDouble(t).URL()
		return func(t *testing.T) audit.SealStore { return open(t, url, kurrentaudit.Config{}) }
	})
}

// TestSealsStayOutOfTheLedgerLog: seals share the server with the ledger
// but never enter its global log, whose positions stay dense.
func TestSealsStayOutOfTheLedgerLog(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := startDouble(t).URL()
	ledger, err := kurrentdb.Open(ctx, url, kurrentdb.Config{})
	require.NoError(t, err)
	defer ledger.Close()
	seals := open(t, url, kurrentaudit.Config{})
	priv := sealtest.Key("a")
	for i := range 3 {
		e := eventstore.EventData{ID: uuid.New(), Type: "refund.requested", Revision: uint64(i), Data: fmt.Appendf(nil, `{"i":%d}`, i)}
		_, err := ledger.Append(ctx, "ticket-1", eventstore.Any(), []eventstore.EventData{e})
		require.NoError(t, err)
		require.NoError(t, seals.AddSeal(ctx, sealtest.Signed(t, priv, uint64(i+1), fmt.Sprint(i)), priv.Public().(ed25519.PublicKey)))
	}
	all, err := ledger.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, all, 3, "only the ledger's events are in its log")
	for i, e := range all {
		assert.Equal(t, uint64(i+1), e.Position)
		assert.Equal(t, "ticket-1", e.Stream)
	}
	got, err := seals.Seals(ctx)
	require.NoError(t, err)
	assert.Len(t, got, 3)
}

// TestForeignEventInSealStream: an event in the seal stream that this
// package did not write is reported, not read as a seal or skipped.
func TestForeignEventInSealStream(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := startDouble(t).URL()
	cfg, err := esdb.ParseConnectionString(url)
	require.NoError(t, err)
	cfg.Logger = esdb.NoopLogging()
	raw, err := esdb.NewClient(cfg)
	require.NoError(t, err)
	defer raw.Close()
	_, err = raw.AppendToStream(ctx, "seals", esdb.AppendToStreamOptions{}, esdb.EventData{
		EventType: "disputes.seal", ContentType: esdb.ContentTypeJson, Data: []byte(`{"size":1}`), Metadata: []byte(`{}`)})
	require.NoError(t, err)
	s := open(t, url, kurrentaudit.Config{Stream: "seals"})
	_, err = s.Seals(ctx)
	assert.ErrorIs(t, err, seal.ErrMalformedSeal)
	priv := sealtest.Key("a")
	assert.ErrorIs(t, s.AddSeal(ctx, sealtest.Signed(t, priv, 1, "r"), priv.Public().(ed25519.PublicKey)), seal.ErrMalformedSeal,
		"nothing is added on top of a stream that cannot be read")
	assert.Equal(t, "seals", s.Stream())
}
