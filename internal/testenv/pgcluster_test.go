package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPostgresClusterSurvivesEveryStopMode: a committed row outlives a
// restart in each mode (immediate is a crash: the WAL is replayed); a
// connection open across a restart is broken, a new one works, on the same
// URL; a stopped server refuses connections.
func TestPostgresClusterSurvivesEveryStopMode(t *testing.T) {
	t.Parallel()
	c := NewPostgresCluster(t)
	ctx := context.Background()
	connString, schema := c.Schema(t)
	conn, err := pgx.Connect(ctx, connString)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `CREATE TABLE kept (n int)`)
	require.NoError(t, err)
	for n, mode := range []StopMode{Immediate, Fast, Smart} {
		_, err = conn.Exec(ctx, `INSERT INTO kept VALUES ($1)`, n)
		require.NoError(t, err)
		if mode == Smart {
			// A smart stop waits for clients to leave.
			require.NoError(t, conn.Close(ctx))
		}
		require.NoError(t, c.Restart(mode), mode)
		if mode != Smart {
			assert.Error(t, conn.Ping(ctx), "%s: a connection across the restart is broken", mode)
		}
		conn, err = pgx.Connect(ctx, connString)
		require.NoError(t, err, mode)
		var count int
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM kept`).Scan(&count))
		assert.Equal(t, n+1, count, "%s: committed rows survive", mode)
	}
	require.NoError(t, conn.Close(ctx))
	assert.Contains(t, connString, schema)

	require.NoError(t, c.Stop(Fast))
	require.NoError(t, c.Stop(Fast), "stopping a stopped server does nothing")
	_, err = pgx.Connect(ctx, c.URL())
	assert.Error(t, err, "a stopped server refuses connections")
	require.NoError(t, c.Start())
	assert.Error(t, c.Start(), "a running server is not started twice")
}

func TestPostgresBinDirNeedsBothServerBinaries(t *testing.T) {
	onlyInitdb := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(onlyInitdb, "initdb"), []byte("#!/bin/sh\n"), 0o755))
	t.Setenv(PostgresBinDirEnv, onlyInitdb)
	dir, err := postgresBinDir()
	if err != nil {
		assert.Contains(t, err.Error(), PostgresBinDirEnv, "the error names the variable that fixes it")
		return
	}
	assert.NotEqual(t, onlyInitdb, dir, "a directory without postgres is passed over")
	assert.FileExists(t, filepath.Join(dir, "postgres"))
}

func TestVersionOfOrdersBinDirs(t *testing.T) {
	assert.Greater(t, versionOf("/usr/lib/postgresql/16/bin"), versionOf("/usr/lib/postgresql/9/bin"))
	assert.Zero(t, versionOf("/opt/pg/bin"))
}
