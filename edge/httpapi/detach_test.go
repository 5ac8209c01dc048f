package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/eventstore"
)

// gatedStore holds each Append until release is closed, telling waiting
// when one has arrived.
type gatedStore struct {
	eventstore.Store
	waiting chan<- struct{}
	release <-chan struct{}
}

func (g gatedStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, evs []eventstore.EventData) (eventstore.AppendResult, error) {
	g.waiting <- struct{}{}
	<-g.release
	return g.Store.Append(ctx, stream, expected, evs)
}

// TestACommandOutlivesItsClient: a client that goes away while its command
// is being written does not cancel it (it used to: 499 and nothing
// recorded, the same cancellation a shutdown caused). The command is
// recorded, and a retry with the same key reads its outcome back.
func TestACommandOutlivesItsClient(t *testing.T) {
	t.Parallel()
	waiting, release := make(chan struct{}, 1), make(chan struct{})
	l := newLedger(t, options{cfg: func(c *httpapi.Config) {
		c.Handler = commands.NewHandler(gatedStore{Store: c.Store, waiting: waiting, release: release},
			commands.WithClock(c.Now), commands.WithPolicy(policy.Default()))
	}})

	data, err := json.Marshal(map[string]any{"data": openData("m-1")})
	require.NoError(t, err)
	ctx, leave := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "POST", l.srv.URL+"/v1/tickets/T-1/commands/open_ticket", strings.NewReader(string(data)))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+l.tokens["buyer:b-1"])
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "c-1")
	gone := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		gone <- err
	}()
	select {
	case <-waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("the command never reached the store")
	}
	leave()
	require.Error(t, <-gone, "the client left before the answer")
	time.Sleep(50 * time.Millisecond) // the server has seen the connection close
	close(release)

	require.Eventually(t, func() bool {
		return l.as("buyer:b-1").get("/v1/tickets/T-1").status == http.StatusOK
	}, 5*time.Second, 20*time.Millisecond, "the command is recorded though its client left")
	retry := l.as("buyer:b-1").command("T-1", "open_ticket", "c-1", openData("m-1"))
	assert.Equal(t, http.StatusCreated, retry.status, "%s", retry.body)
	assert.Equal(t, "true", retry.header.Get("Idempotent-Replayed"))
}
