package projections_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/projections"
)

var errAnswerLost = errors.New("injected: connection lost after COMMIT was sent (SQLSTATE 57P01)")

// lossyCommits wraps a driver so that, while on, every second commit of a
// transaction that moved a checkpoint commits and then reports a failure —
// what a client sees when the connection drops between the server's commit
// and its answer.
type lossyCommits struct {
	drv driver.Driver
	dsn string

	mu      sync.Mutex
	on      bool
	commits int
	lost    int
}

func (l *lossyCommits) Connect(context.Context) (driver.Conn, error) {
	c, err := l.drv.Open(l.dsn)
	if err != nil {
		return nil, err
	}
	return &lossyConn{Conn: c, l: l}, nil
}

func (l *lossyCommits) Driver() driver.Driver { return l.drv }

func (l *lossyCommits) loseThisAnswer() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.commits++
	if l.on && l.commits%2 == 0 {
		l.lost++
		return true
	}
	return false
}

func (l *lossyCommits) set(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = on
}

// lossyConn forwards what database/sql needs (it falls back on the rest)
// and notes whether its transaction moved a checkpoint.
type lossyConn struct {
	driver.Conn
	l            *lossyCommits
	checkpointed bool
}

func (c *lossyConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.checkpointed = false
	return &lossyTx{Tx: tx, c: c}, nil
}

func (c *lossyConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &lossyStmt{Stmt: st, c: c, checkpoint: strings.Contains(query, "rm_checkpoints SET position")}, nil
}

type lossyStmt struct {
	driver.Stmt
	c          *lossyConn
	checkpoint bool
}

func (s *lossyStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	res, err := s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
	if err == nil && s.checkpoint {
		s.c.checkpointed = true
	}
	return res, err
}

func (s *lossyStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

type lossyTx struct {
	driver.Tx
	c *lossyConn
}

func (tx *lossyTx) Commit() error {
	if err := tx.Tx.Commit(); err != nil {
		return err
	}
	if tx.c.checkpointed && tx.c.l.loseThisAnswer() {
		return errAnswerLost
	}
	return nil
}

// TestProjectorHealsAfterCommitsWhoseOutcomeIsUnknown: the read models'
// database commits a page but the projector hears a failure (the
// connection dropped before the answer: a PostgreSQL restart, a
// pg_terminate_backend). The projector must not assume the page was
// rolled back — writing it again would meet its own rows (duplicate keys)
// or a moved checkpoint, for ever — nor that it committed: it reads its
// checkpoints again and goes on from there. It reaches the head with the
// rows a clean run makes.
func TestProjectorHealsAfterCommitsWhoseOutcomeIsUnknown(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	appendScenarios(t, l.store, l.pol, generate(61, 30, epoch, l.pol))

	plain, err := sql.Open("sqlite", sqlite.RebuildableDSN(t.TempDir()+"/read-models.db"))
	require.NoError(t, err)
	lossy := &lossyCommits{drv: plain.Driver(), dsn: sqlite.RebuildableDSN(t.TempDir() + "/read-models.db"), on: true}
	require.NoError(t, plain.Close())
	raw := sql.OpenDB(lossy)
	raw.SetMaxOpenConns(2)
	db, err := projections.NewDB(ctx, raw, projections.SQLite)
	require.NoError(t, err)
	defer db.Close()

	p := projections.NewProjector(l.store, db, projections.Default(db, l.pol),
		projections.Options{Follow: true, PageSize: 16, RetryInterval: time.Millisecond, MaxRetryInterval: 20 * time.Millisecond})
	done := make(chan error, 1)
	go func() {
		_, err := p.Run(ctx)
		done <- err
	}()
	head, err := projections.Head(ctx, l.store)
	require.NoError(t, err)
	atHead := func() bool {
		for _, name := range []string{projections.TicketStatusName, projections.MerchantPenaltiesName, projections.AuditTrailName, projections.DeadlinesName} {
			if pos, err := db.Checkpoint(ctx, name); err != nil || pos != head {
				return false
			}
		}
		return true
	}
	reached := assert.Eventually(t, atHead, 20*time.Second, 10*time.Millisecond)
	if !reached {
		cancel()
		t.Fatalf("the projector never reached the head %d: %v (run: %v)", head, p.Status(), <-done)
	}
	lossy.set(false)
	cancel()
	require.NoError(t, <-done)
	lossy.mu.Lock()
	assert.Positive(t, lossy.lost, "no commit answer was lost: the test tested nothing")
	lossy.mu.Unlock()

	clean, err := openSQLite(context.Background(), t.TempDir()+"/clean.db")
	require.NoError(t, err)
	defer clean.Close()
	_, err = projections.RunToHead(context.Background(), l.store, clean, l.pol)
	require.NoError(t, err)
	assert.Equal(t, dump(t, clean), dump(t, db), "no event lost or applied twice")
}
