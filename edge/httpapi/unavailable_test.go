package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// errConnectionDropped stands for a store's transport failing mid-call.
var errConnectionDropped = errors.New("connection reset by peer")

// fault is what faultyStore does to its next call of one kind.
type fault int

const (
	noFault         fault = iota
	failBeforeWrite       // return an error, write nothing
	failAfterCommit       // write, then return an error as a dropped connection would
)

// faultyStore passes calls through to a real store, except that the next
// Append or ReadStream can be made to fail once, before or after the real
// call.
type faultyStore struct {
	eventstore.Store
	mu     sync.Mutex
	append fault
	read   bool
}

func (f *faultyStore) failNextAppend(how fault) { f.mu.Lock(); f.append = how; f.mu.Unlock() }
func (f *faultyStore) failNextRead()            { f.mu.Lock(); f.read = true; f.mu.Unlock() }

func (f *faultyStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, evs []eventstore.EventData) (eventstore.AppendResult, error) {
	f.mu.Lock()
	how := f.append
	f.append = noFault
	f.mu.Unlock()
	switch how {
	case failBeforeWrite:
		return eventstore.AppendResult{}, errConnectionDropped
	case failAfterCommit:
		if _, err := f.Store.Append(ctx, stream, expected, evs); err != nil {
			return eventstore.AppendResult{}, err
		}
		return eventstore.AppendResult{}, errConnectionDropped
	}
	return f.Store.Append(ctx, stream, expected, evs)
}

func (f *faultyStore) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	f.mu.Lock()
	fail := f.read
	f.read = false
	f.mu.Unlock()
	if fail {
		return nil, errConnectionDropped
	}
	return f.Store.ReadStream(ctx, stream, from, limit)
}

// TestStoreFailuresAre503WithRetryAfter: a command whose append failed with
// an unknown outcome, or whose ticket could not be read, answers 503 with
// Retry-After and a code saying which, never 500; and the retry with the
// same Idempotency-Key settles it: the first result if the append had
// committed, a fresh recording if it had not, and nothing twice.
func TestStoreFailuresAre503WithRetryAfter(t *testing.T) {
	t.Parallel()
	var faulty *faultyStore
	l := newLedger(t, options{cfg: func(c *httpapi.Config) {
		faulty = &faultyStore{Store: c.Store}
		c.Handler = commands.NewHandler(faulty, commands.WithClock(func() time.Time { return t0 }))
	}})
	buyer := l.as("buyer:b-1")

	tests := []struct {
		name     string
		inject   func()
		code     string
		recorded bool // whether the failed attempt was in fact recorded
	}{
		{"committed, then the connection dropped", func() { faulty.failNextAppend(failAfterCommit) }, "outcome_unknown", true},
		{"append failed before the commit", func() { faulty.failNextAppend(failBeforeWrite) }, "outcome_unknown", false},
		{"the ticket could not be read", func() { faulty.failNextRead() }, "unavailable", false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ticket := "T-503-" + strconv.Itoa(i)
			before := l.head()
			tc.inject()
			res := buyer.command(ticket, "open_ticket", "k-"+ticket, openData("m-1"))
			require.Equal(t, http.StatusServiceUnavailable, res.status, string(res.body))
			assert.Equal(t, "1", res.header.Get("Retry-After"))
			p := res.problem(t)
			assert.Equal(t, tc.code, p.Code)
			assert.Contains(t, p.Detail, "same Idempotency-Key")
			assert.NotContains(t, p.Detail, errConnectionDropped.Error(), "the store's error goes to the log only")
			if tc.recorded {
				assert.Greater(t, l.head(), before, "the append had committed")
			} else {
				assert.Equal(t, before, l.head(), "nothing was written")
			}

			retry := buyer.command(ticket, "open_ticket", "k-"+ticket, openData("m-1"))
			require.Equal(t, http.StatusCreated, retry.status, string(retry.body))
			var out httpapi.CommandResponse
			retry.json(t, &out)
			assert.Equal(t, tc.recorded, out.Duplicate, "a committed first attempt is answered, not repeated")
			if tc.recorded {
				assert.Equal(t, "true", retry.header.Get("Idempotent-Replayed"))
			}
			assert.Len(t, out.Events, 1)
			stored, err := l.store.ReadStream(context.Background(), events.StreamFor(ticket), 0, 0)
			require.NoError(t, err)
			assert.Len(t, stored, 1, "the ticket holds the command once")
		})
	}
}
