package coord_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/internal/coord"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// twoReplicas opens the coordination tables of one fresh schema twice, as
// two replicas named a and b.
func twoReplicas(t *testing.T) (a, b *coord.Postgres, connString string) {
	t.Helper()
	connString, _ = testenv.PostgresSchema(t)
	ctx := context.Background()
	a, err := coord.OpenPostgres(ctx, connString, "", "a")
	require.NoError(t, err)
	t.Cleanup(a.Close)
	b, err = coord.OpenPostgres(ctx, connString, "", "b")
	require.NoError(t, err)
	t.Cleanup(b.Close)
	return a, b, connString
}

// liveTTL is long enough that a grant taken at the start of a test is still
// live for the few statements that follow, even under -race on a loaded
// machine (300ms was not: the owner's own write was fenced as expired).
const liveTTL = 2 * time.Second

// takeOverAfterExpiry acquires l once the other holder's grant has expired,
// waiting on the database's verdict rather than on the local clock.
func takeOverAfterExpiry(t *testing.T, l *coord.PGLease) uint64 {
	t.Helper()
	deadline := time.Now().Add(l.TTL() + 10*time.Second)
	for {
		token, held, _, err := l.Acquire(context.Background())
		require.NoError(t, err)
		if held {
			return token
		}
		require.True(t, time.Now().Before(deadline), "the expired grant never passed on")
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLeaseHasOneOwnerAndPassesOnWhenItExpires(t *testing.T) {
	a, b, _ := twoReplicas(t)
	ctx := context.Background()
	const ttl = liveTTL
	la, lb := a.Lease("projector", ttl), b.Lease("projector", ttl)

	token, held, _, err := la.Acquire(ctx)
	require.NoError(t, err)
	assert.True(t, held)
	assert.Equal(t, uint64(1), token, "the first grant")

	_, held, owner, err := lb.Acquire(ctx)
	require.NoError(t, err)
	assert.False(t, held, "a live grant is not taken")
	assert.Equal(t, "a", owner)

	renewed, held, _, err := la.Acquire(ctx)
	require.NoError(t, err)
	assert.True(t, held)
	assert.Equal(t, token, renewed, "renewing keeps the token")

	other, held, _, err := b.Lease("sealer", ttl).Acquire(ctx)
	require.NoError(t, err)
	assert.True(t, held, "leases are independent")
	assert.Equal(t, uint64(1), other)

	// a stops renewing: an expired grant goes to the next replica.
	taken := takeOverAfterExpiry(t, lb)
	assert.Equal(t, uint64(2), taken, "a takeover raises the token")

	_, held, owner, err = la.Acquire(ctx)
	require.NoError(t, err)
	assert.False(t, held, "the old owner cannot renew what it lost")
	assert.Equal(t, "b", owner)
}

func TestReleasedLeaseIsTakenAtOnce(t *testing.T) {
	a, b, _ := twoReplicas(t)
	ctx := context.Background()
	la, lb := a.Lease("scheduler", time.Minute), b.Lease("scheduler", time.Minute)
	token, held, _, err := la.Acquire(ctx)
	require.NoError(t, err)
	require.True(t, held)
	require.NoError(t, lb.Release(ctx, token), "b cannot release a's grant")
	_, held, _, err = lb.Acquire(ctx)
	require.NoError(t, err)
	assert.False(t, held)

	require.NoError(t, la.Release(ctx, token))
	taken, held, _, err := lb.Acquire(ctx)
	require.NoError(t, err)
	assert.True(t, held, "a released lease needs no expiry to pass on")
	assert.Equal(t, token+1, taken)
}

func TestCheckTxRefusesAStaleOwnersWrite(t *testing.T) {
	a, b, connString := twoReplicas(t)
	ctx := context.Background()
	const ttl = liveTTL
	la, lb := a.Lease("sealer", ttl), b.Lease("sealer", ttl)
	token, held, _, err := la.Acquire(ctx)
	require.NoError(t, err)
	require.True(t, held)

	conn, err := pgx.Connect(ctx, connString)
	require.NoError(t, err)
	defer conn.Close(ctx)
	check := func(l *coord.PGLease, token uint64) error {
		tx, err := conn.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(ctx)
		return l.CheckTx(ctx, tx, token)
	}
	assert.NoError(t, check(la, token), "the owner's write passes")
	assert.ErrorIs(t, check(la, token+1), coord.ErrFenced, "a token not granted")
	assert.ErrorIs(t, check(lb, token), coord.ErrFenced, "another holder with the owner's token")

	time.Sleep(ttl + 100*time.Millisecond)
	assert.ErrorIs(t, check(la, token), coord.ErrFenced, "an expired grant no longer writes, even before a takeover")
	taken, held, _, err := lb.Acquire(ctx)
	require.NoError(t, err)
	require.True(t, held)
	assert.ErrorIs(t, check(la, token), coord.ErrFenced, "the stale owner is refused")
	assert.NoError(t, check(lb, taken), "the new owner writes")
	assert.ErrorIs(t, check(b.Lease("never", ttl), 1), coord.ErrFenced)
}

func TestTakeoverWaitsForAFencedWriteInFlight(t *testing.T) {
	a, b, connString := twoReplicas(t)
	ctx := context.Background()
	const ttl = liveTTL
	la, lb := a.Lease("sealer", ttl), b.Lease("sealer", ttl)
	token, _, _, err := la.Acquire(ctx)
	require.NoError(t, err)
	conn, err := pgx.Connect(ctx, connString)
	require.NoError(t, err)
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, la.CheckTx(ctx, tx, token))
	time.Sleep(ttl + 100*time.Millisecond)

	got := make(chan bool, 1)
	go func() {
		_, held, _, err := lb.Acquire(ctx)
		assert.NoError(t, err)
		got <- held
	}()
	select {
	case <-got:
		t.Fatal("the takeover did not wait for the fenced transaction")
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, tx.Commit(ctx))
	assert.True(t, <-got, "once the write is committed the lease passes on")
}

func TestSharedClockOriginIsStoredOnce(t *testing.T) {
	a, b, _ := twoReplicas(t)
	ctx := context.Background()
	first := coord.ClockOrigin{LedgerStart: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), WallStart: time.Now().UTC().Truncate(time.Microsecond), Speed: 3600}
	got, err := a.SharedClockOrigin(ctx, first)
	require.NoError(t, err)
	assert.True(t, got.LedgerStart.Equal(first.LedgerStart))
	assert.True(t, got.WallStart.Equal(first.WallStart))

	later := first
	later.LedgerStart, later.WallStart = first.LedgerStart.Add(time.Hour), first.WallStart.Add(time.Minute)
	got, err = b.SharedClockOrigin(ctx, later)
	require.NoError(t, err)
	assert.True(t, got.LedgerStart.Equal(first.LedgerStart), "the second replica reads the first's origin")
	assert.True(t, got.WallStart.Equal(first.WallStart))

	later.Speed = 60
	_, err = b.SharedClockOrigin(ctx, later)
	assert.ErrorIs(t, err, coord.ErrClockSpeed)
}

func TestProbeWriteFailsWhileWritesBlock(t *testing.T) {
	a, _, connString := twoReplicas(t)
	ctx := context.Background()
	require.NoError(t, a.ProbeWrite(ctx))

	conn, err := pgx.Connect(ctx, connString)
	require.NoError(t, err)
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `LOCK TABLE coord_replicas IN EXCLUSIVE MODE`)
	require.NoError(t, err)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	assert.Error(t, a.ProbeWrite(short), "a write that cannot complete fails the probe")
	require.NoError(t, tx.Rollback(ctx))
	assert.NoError(t, a.ProbeWrite(ctx), "and it passes again by itself")
}

func TestConcurrentOpensMigrateOnce(t *testing.T) {
	connString, _ := testenv.PostgresSchema(t)
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			p, err := coord.OpenPostgres(context.Background(), connString, "", string(rune('a'+i)))
			if err == nil {
				p.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		assert.NoError(t, <-errs)
	}
}

func TestPositionSurvivesFailoverAndRefusesTheStaleOwner(t *testing.T) {
	a, b, _ := twoReplicas(t)
	ctx := context.Background()
	const ttl = liveTTL
	la, lb := a.Lease("forwarder", ttl), b.Lease("forwarder", ttl)
	ta, _, _, err := la.Acquire(ctx)
	require.NoError(t, err)
	pos, err := la.Position(ta).Load(ctx)
	require.NoError(t, err)
	assert.Zero(t, pos, "nothing saved yet")
	require.NoError(t, la.Position(ta).Save(ctx, 41))

	tb := takeOverAfterExpiry(t, lb)
	pos, err = lb.Position(tb).Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(41), pos, "the new owner resumes where the old one stopped")
	assert.ErrorIs(t, la.Position(ta).Save(ctx, 99), coord.ErrFenced)
	require.NoError(t, lb.Position(tb).Save(ctx, 50))
	pos, _ = lb.Position(tb).Load(ctx)
	assert.Equal(t, uint64(50), pos)
}
