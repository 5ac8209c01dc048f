package kurrentdb_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/kurrentdb"
	"github.com/disputes-ledger/disputes/eventstore/kurrentdb/kurrenttest"
	"github.com/disputes-ledger/disputes/eventstore/storetest"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// urlEnv names a real KurrentDB/EventStoreDB server to run the conformance
// suite against, e.g. esdb://127.0.0.1:2113?tls=false.
const urlEnv = "DISPUTES_KURRENTDB_URL"

// doubleAppendSize lets the suite's 1 MiB payload (plus the other events of
// its batch) through the double; a real server needs the same, see the
// package doc on --max-append-size.
const doubleAppendSize = 4 << 20

// startDouble runs the in-process test double for one test.
func startDouble(t testing.TB) *kurrenttest.Server {
	t.Helper()
	srv, err := kurrenttest.Start(kurrenttest.Options{MaxAppendSize: doubleAppendSize})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv
}

// open opens a store on url and closes it when the test ends.
func open(t testing.TB, url string, cfg kurrentdb.Config) *kurrentdb.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := kurrentdb.Open(ctx, url, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// TestConformanceDouble runs the shared suite against the in-process double,
// with a fresh server per subtest. It always runs.
func TestConformanceDouble(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		return open(t, startDouble(t).URL(), kurrentdb.Config{})
	})
}

// TestConformanceServer runs the shared suite against a real server. No
// server can be installed on this project's machines, so unlike the
// PostgreSQL and NATS tests this one skips even under
// DISPUTES_REQUIRE_SERVICES=1: requiring it would fail every CI run. A
// server cannot be emptied, so each subtest gets its own namespace.
func TestConformanceServer(t *testing.T) {
	url := os.Getenv(urlEnv)
	if url == "" {
		t.Skipf("%s not set: no KurrentDB server to test against (set it to e.g. esdb://127.0.0.1:2113?tls=false)", urlEnv)
	}
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		return open(t, url, kurrentdb.Config{Namespace: "storetest-" + uuid.NewString() + "-"})
	})
}

// TestCorruptionDouble rewrites an event's data on the double, as an
// operator with the server's files could: the server's own fields (stream,
// revision, type, id) and metadata no longer agree with the data's header,
// and every read must refuse the event.
func TestCorruptionDouble(t *testing.T) {
	var srv *kurrenttest.Server // the current subtest's: subtests run one at a time
	storetest.RunCorruption(t, func(t *testing.T) eventstore.Store {
		srv = startDouble(t)
		return open(t, srv.URL(), kurrentdb.Config{})
	}, func(t *testing.T, ev eventstore.RecordedEvent, column storetest.Column) string {
		require.True(t, srv.RewriteData(ev.Stream, ev.Revision, storetest.TamperedData(ev, column)))
		return ev.Stream
	})
}
