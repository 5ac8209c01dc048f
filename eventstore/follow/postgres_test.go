package follow_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// TestSurvivesKilledConnectionsOnPostgres follows a PostgreSQL ledger while
// another store appends to it, and kills every connection of the
// follower's store (pg_terminate_backend, SQLSTATE 57P01, as a restart
// does) again and again, during catch-up and live: the follower must resume
// by itself and deliver every event exactly once, in order.
func TestSurvivesKilledConnectionsOnPostgres(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	connString, _ := testenv.PostgresSchema(t)
	writer, err := postgres.Open(ctx, connString, postgres.Config{})
	require.NoError(t, err)
	defer writer.Close()

	app := testenv.RandomName("follow_")
	u, err := url.Parse(connString)
	require.NoError(t, err)
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	store, err := postgres.Open(ctx, u.String(), postgres.Config{PollInterval: 50 * time.Millisecond, SubscriptionBatch: 16})
	require.NoError(t, err)
	defer store.Close()

	killer, err := pgx.Connect(ctx, connString)
	require.NoError(t, err)
	defer killer.Close(context.Background())
	kill := func() int {
		var n int
		require.NoError(t, killer.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = $1`, app).Scan(&n))
		return n
	}

	head := uint64(len(appendTickets(t, writer, 21, 60)))
	c := &consumer{}
	slow := 0
	c.fail = func(follow.Page) error {
		slow++
		if slow%4 == 0 {
			time.Sleep(5 * time.Millisecond) // leave the killer time to strike mid-catch-up
		}
		return nil
	}
	f := newFollower(t, follow.Config{Name: "pg", Log: store, Start: c.start, Handle: c.handle, PageSize: 8,
		Backoff: follow.Backoff{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond}})
	stop := run(t, f)

	killed := 0
	var total uint64 = head
	for round := range 8 {
		time.Sleep(40 * time.Millisecond)
		killed += kill()
		if round%2 == 1 {
			total += uint64(len(appendTickets(t, writer, int64(22+round), 10)))
		}
	}
	require.Positive(t, killed, "the follower's connections were found and killed")
	c.waitFor(t, total)
	require.Eventually(t, func() bool { return f.Status().State == follow.Live }, waitTimeout, 5*time.Millisecond)

	// Live, the listening connection and the pool are killed once more; the
	// next events still arrive.
	kill()
	total += uint64(len(appendTickets(t, writer, 40, 10)))
	c.waitFor(t, total)

	assert.Equal(t, seq(1, total), c.snapshot(), "every event exactly once, in order")
	t.Logf("killed %d connections; the consumer was asked for its position %d times", killed, c.starts)
	assert.Greater(t, c.starts, 1, "at least one kill made the follower resume from the consumer's position")
	require.ErrorIs(t, stop(), context.Canceled)
}
