package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// openTicket sends an open_ticket command for ticket id and requires 201.
func openTicket(t *testing.T, base, token, id string) {
	t.Helper()
	body := `{"data":{"order_id":"O-` + id + `","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}}`
	req, err := http.NewRequest("POST", base+"/v1/tickets/"+id+"/commands/open_ticket", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "open-"+id)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode)
}

// readModelsAndHead returns the lowest projection checkpoint in the read
// models' file and the head of the ledger's log.
func readModelsAndHead(t *testing.T, readModels, ledger string) (lowest, head uint64) {
	t.Helper()
	for _, q := range []struct {
		file, query string
		into        *uint64
	}{
		{readModels, `SELECT coalesce(min(position), 0) FROM rm_checkpoints`, &lowest},
		{ledger, `SELECT coalesce(max(position), 0) FROM events`, &head},
	} {
		db, err := sqlite.OpenReadOnlyDB(context.Background(), q.file)
		require.NoError(t, err)
		require.NoError(t, db.QueryRow(q.query).Scan(q.into), q.file)
		require.NoError(t, db.Close())
	}
	return lowest, head
}

// holdReadModels takes the read models' write lock, so serve's projector
// cannot commit, until the returned func is called.
func holdReadModels(t *testing.T, readModels string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(readModels))
	require.NoError(t, err)
	conn, err := db.Conn(context.Background())
	require.NoError(t, err)
	_, err = conn.ExecContext(context.Background(), `BEGIN IMMEDIATE`)
	require.NoError(t, err)
	released := false
	release = func() {
		if !released {
			released = true
			_, err := conn.ExecContext(context.Background(), `ROLLBACK`)
			assert.NoError(t, err)
			assert.NoError(t, conn.Close())
			assert.NoError(t, db.Close())
		}
	}
	t.Cleanup(release)
	return release
}

// startBehindReadModels runs serve with its read models in a file of their
// own, records one command they project, then holds their write lock and
// records five more: the log is ahead of the read models.
func startBehindReadModels(t *testing.T, shutdownTimeout string) (dir, readModels string, logs fmt.Stringer, exited <-chan error, cmd *exec.Cmd, release func()) {
	t.Helper()
	dir = t.TempDir()
	readModels = filepath.Join(dir, "readmodels.db")
	buyer := addToken(t, filepath.Join(dir, "tokens.json"), "buyer", "b-1")
	addr, logBuf, exited, cmd := startServeProcess(t, dir, "--projections", readModels, "--shutdown-timeout", shutdownTimeout)
	base := "http://" + addr
	openTicket(t, base, buyer, "T-0")
	ledger := filepath.Join(dir, "ledger.db")
	within(t, 10*time.Second, func() bool {
		lowest, head := readModelsAndHead(t, readModels, ledger)
		return head > 0 && lowest == head
	}, "the read models hold the first command")
	release = holdReadModels(t, readModels)
	for i := 1; i <= 5; i++ {
		openTicket(t, base, buyer, fmt.Sprintf("T-%d", i))
	}
	lowest, head := readModelsAndHead(t, readModels, ledger)
	require.Less(t, lowest, head, "the projector cannot commit while the test holds the read models")
	return dir, readModels, logBuf, exited, cmd, release
}

// TestServeShutdownDrainsTheReadModels is the regression test of issue 17
// item 2: serve cancelled its projector with everything else on SIGTERM, so
// after a clean stop the read models could miss the last commands. Now
// the shutdown waits for them to reach the head of the log: with the
// projector held back, serve does not exit; released, it catches up, and
// serve exits 0 with the read models current.
func TestServeShutdownDrainsTheReadModels(t *testing.T) {
	t.Parallel()
	dir, readModels, logs, exited, cmd, release := startBehindReadModels(t, "20s")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	within(t, 5*time.Second, func() bool { return strings.Contains(logs.String(), `"msg":"shutting down"`) }, "serve starts shutting down")
	select {
	case err := <-exited:
		t.Fatalf("serve exited (%v) with the read models behind the log: %s", err, logs)
	case <-time.After(500 * time.Millisecond): // the drain waits, however long the projector takes
	}
	release()
	select {
	case err := <-exited:
		require.NoError(t, err, "serve exits 0 once the read models are drained: %s", logs)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not exit")
	}
	lowest, head := readModelsAndHead(t, readModels, filepath.Join(dir, "ledger.db"))
	assert.Equal(t, head, lowest, "every projection is at the head of the log after a clean stop")
	assert.Contains(t, logs.String(), `"msg":"read models drained to the head of the log"`)
}

// TestServeShutdownDrainIsBounded: read models that cannot catch up within
// --shutdown-timeout do not hold serve: it gives up, saying where they
// are, and exits 1.
func TestServeShutdownDrainIsBounded(t *testing.T) {
	t.Parallel()
	_, _, logs, exited, cmd, release := startBehindReadModels(t, "500ms")
	start := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	within(t, 10*time.Second, func() bool { return strings.Contains(logs.String(), `"msg":"read models not drained`) }, "the drain gives up")
	assert.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond, "not before --shutdown-timeout")
	// Released, the projector's commit that waits for the lock ends, and
	// with it the projector (a lock held for good would hold it for the
	// database's busy timeout on each projection).
	release()
	select {
	case err := <-exited:
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "serve exits with a status: %v", err)
		assert.Equal(t, 1, exit.ExitCode())
		assert.Less(t, time.Since(start), 10*time.Second)
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not exit after its shutdown timeout: %s", logs)
	}
	// Where the read models stopped depends on how far the projector got
	// before the lock held it (it may not have read every checkpoint yet):
	// the log names a position behind the head of 6.
	m := regexp.MustCompile(`"msg":"read models not drained[^\n]*"position":(\d+),"head":6`).FindStringSubmatch(logs.String())
	require.NotNil(t, m, "the log says where the read models stopped: %s", logs)
	position, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	assert.Less(t, position, 6)
}
