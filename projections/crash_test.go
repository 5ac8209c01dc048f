package projections_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/testenv"
	"github.com/disputes-ledger/disputes/projections"
)

// crashChildEnv names the ledger a re-executed test binary projects.
const crashChildEnv = "DISPUTES_PROJECTIONS_CRASH_CHILD"

// TestCrashChild is the projector process of the crash test; it does
// nothing unless the crash test started it.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("run by TestCrashAtRandomPointsEqualsCleanRebuild")
	}
	ctx := context.Background()
	store, err := sqlite.Open(ctx, path, sqlite.Config{})
	require.NoError(t, err)
	defer store.Close()
	db, err := openSQLite(ctx, path)
	require.NoError(t, err)
	defer db.Close()
	page, _ := strconv.Atoi(os.Getenv(crashChildEnv + "_PAGE"))
	hold, _ := time.ParseDuration(os.Getenv(crashChildEnv + "_HOLD"))
	_, err = projections.NewProjector(store, db, projections.Default(db, policy.Default()), projections.Options{PageSize: page, Hold: hold}).Run(ctx)
	require.NoError(t, err)
}

// TestCrashAtRandomPointsEqualsCleanRebuild kills a projector process with
// SIGKILL at random moments, appends more events while it is down, restarts
// it, and checks that once it finally reaches the head its tables equal a
// clean build: no event lost, none applied twice.
func TestCrashAtRandomPointsEqualsCleanRebuild(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-executes the test binary; skipped with -short")
	}
	t.Parallel()
	l := newLedger(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	seed := rng.Int64()
	t.Logf("seed %d", seed)
	appendScenarios(t, l.store, l.pol, generate(seed, 250, epoch, l.pol))

	const wantKills = 8
	kills, exits, midway := 0, 0, 0
	window := 300 * time.Millisecond // kills land within it; it tracks how long a whole run takes
	for round := 0; ; round++ {
		require.Less(t, round, 300, "too many rounds")
		// Keep killing until some kill landed mid-run: under -race on a
		// loaded machine a child may need longer than the first window just
		// to start, so the window grows until kills land where they should.
		final := kills >= wantKills && midway > 0
		if round > 0 && !final {
			// The log grows while the projector is down, so every run has work.
			appendScenarios(t, l.store, l.pol, generate(seed+int64(round), 25, epoch.AddDate(0, 0, round), l.pol))
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		// Half the runs commit every page, so that kills land between
		// commits of a run this small; the others hold pages (Options.Hold).
		hold := []string{"-1ns", "0s"}[rng.IntN(2)]
		cmd.Env = append(os.Environ(), crashChildEnv+"="+l.path, crashChildEnv+"_PAGE="+strconv.Itoa(4+rng.IntN(60)), crashChildEnv+"_HOLD="+hold)
		out := &testenv.LogBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		before := checkpoints(t, l)
		require.NoError(t, cmd.Start())
		started := time.Now()
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if final {
			require.NoError(t, <-exited, "projector failed:\n%s", out.String())
			break
		}
		select {
		case err := <-exited:
			require.NoError(t, err, "projector failed:\n%s", out.String())
			exits++ // done before the kill: fine, the next round has more work
			window = time.Since(started)
		case <-time.After(time.Duration(rng.Int64N(int64(window)))):
			if err := cmd.Process.Signal(syscall.SIGKILL); !errors.Is(err, os.ErrProcessDone) {
				require.NoError(t, err)
			}
			err := <-exited
			var exit *exec.ExitError
			if errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signaled() {
				kills++
				if progressedPartway(t, l, before) {
					midway++
				} else if slices.Equal(before, checkpoints(t, l)) {
					window = min(2*window, 20*time.Second) // killed before its first commit
				}
			} else {
				require.NoError(t, err, "projector failed:\n%s", out.String())
				exits++
			}
		}
	}
	t.Logf("%d kills (%d after some commits, short of the head), %d runs that finished first", kills, midway, exits)
	assert.Positive(t, midway, "some kills landed in the middle of a run")

	head, err := projections.Head(ctx, l.store)
	require.NoError(t, err)
	got := dump(t, l.db)
	clean, err := openSQLite(ctx, t.TempDir()+"/clean.db")
	require.NoError(t, err)
	defer clean.Close()
	_, err = projections.RunToHead(ctx, l.store, clean, l.pol)
	require.NoError(t, err)
	want := dump(t, clean)
	for _, table := range append(readModelTables, "checkpoints") {
		assert.Equal(t, want[table], got[table], table)
	}
	assert.Len(t, got["rm_audit_trail"], int(head))
}

// checkpoints returns the default projections' checkpoints.
func checkpoints(t *testing.T, l *ledger) []uint64 {
	t.Helper()
	var out []uint64
	for _, name := range []string{projections.TicketStatusName, projections.MerchantPenaltiesName, projections.AuditTrailName, projections.DeadlinesName} {
		pos, err := l.db.Checkpoint(context.Background(), name)
		require.NoError(t, err)
		out = append(out, pos)
	}
	return out
}

// progressedPartway reports whether some projection committed during the
// killed run but had not reached the head: the kill interrupted a run under
// way, not one that had yet to start or had finished.
func progressedPartway(t *testing.T, l *ledger, before []uint64) bool {
	t.Helper()
	head, err := projections.Head(context.Background(), l.store)
	require.NoError(t, err)
	for i, pos := range checkpoints(t, l) {
		if pos > before[i] && pos < head {
			return true
		}
	}
	return false
}
