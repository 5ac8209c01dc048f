package projections

import (
	"database/sql"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// feedInitChild marks the fresh process TestFeedModuleIsOnTheDriverAtInit runs in.
const feedInitChild = "DISPUTES_FEED_INIT_CHILD"

// The row feed's module is on the SQLite driver as the package is
// initialised, before any connection can open: the driver reads its
// modules without a lock as each connection opens, so a registration made
// later — when serve's projector first opens its read models, while the
// API's requests open the ledger's connections — is a data race on that
// map, which the runtime may end the process for ("concurrent map
// iteration and map write"). The check runs in a fresh process of this
// test binary, where no other test has opened read models.
func TestFeedModuleIsOnTheDriverAtInit(t *testing.T) {
	if os.Getenv(feedInitChild) == "1" {
		db, err := sql.Open("sqlite", "")
		require.NoError(t, err)
		defer db.Close()
		feedDrivers.Lock()
		regErr, registered := feedDrivers.m[db.Driver()]
		feedDrivers.Unlock()
		require.True(t, registered, "the row feed's module is registered only when read models are first opened")
		require.NoError(t, regErr)
		return
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFeedModuleIsOnTheDriverAtInit$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), feedInitChild+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "--- PASS: TestFeedModuleIsOnTheDriverAtInit")
}
