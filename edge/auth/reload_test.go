package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

func tokenFileReloader(t *testing.T, path string, log *slog.Logger) *auth.Reloader[*auth.TokenSet] {
	t.Helper()
	r, err := auth.NewReloader("tokens", []string{path}, func(c [][]byte) (*auth.TokenSet, error) {
		return auth.ParseTokenFile(c[0])
	}, log)
	require.NoError(t, err)
	return r
}

func TestReloaderKeepsTheLastGoodSet(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tokens.json")
	now := time.Now()
	b1, err := auth.AddToken(path, auth.Principal{Role: events.RoleBuyer, ID: "b-1"}, "", now)
	require.NoError(t, err)
	r := tokenFileReloader(t, path, nil)

	changed, err := r.Reload(false)
	require.NoError(t, err)
	assert.False(t, changed, "same contents: nothing to do")

	b2, err := auth.AddToken(path, auth.Principal{Role: events.RoleBuyer, ID: "b-2"}, "", now)
	require.NoError(t, err)
	changed, err = r.Reload(false)
	require.NoError(t, err)
	assert.True(t, changed)
	chain := auth.Chain{Tokens: r}
	_, err = chain.Authenticate(ctx, b2)
	require.NoError(t, err, "a token added while running works without a restart")

	good, err := os.ReadFile(path)
	require.NoError(t, err)
	tests := []struct{ name, contents string }{
		{"truncated", string(good[:len(good)/2])},
		{"empty", ""},
		{"system role", `{"tokens":[{"sha256":"` + auth.HashToken("x") + `","role":"system","id":"s"}]}`},
		{"unknown field", `{"tokens":[],"revoked":[]}`},
	}
	for _, tc := range tests {
		require.NoError(t, os.WriteFile(path, []byte(tc.contents), 0o600))
		changed, err := r.Reload(false)
		assert.Error(t, err, tc.name)
		assert.False(t, changed, tc.name)
		for _, tok := range []string{b1, b2} {
			_, err := chain.Authenticate(ctx, tok)
			assert.NoError(t, err, "%s: the previous set stays in force", tc.name)
		}
		changed, err = r.Reload(false)
		assert.NoError(t, err, "%s: a broken file is reported once per change", tc.name)
		assert.False(t, changed)
	}
	require.NoError(t, os.Remove(path))
	_, err = r.Reload(false)
	assert.ErrorIs(t, err, os.ErrNotExist, "a missing file is an error, not an empty set")
	_, err = chain.Authenticate(ctx, b1)
	assert.NoError(t, err)
}

// TestReloaderRunPollsAndObeysSignals runs the loop: a change is picked up
// by polling; with polling slowed to an hour, a signal reloads at once; a
// malformed file is logged as an error and changes nothing.
func TestReloaderRunPollsAndObeysSignals(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tokens.json")
	tok, err := auth.AddToken(path, auth.Principal{Role: events.RoleBuyer, ID: "b-1"}, "", time.Now())
	require.NoError(t, err)
	logs := &testenv.LogBuffer{}
	r := tokenFileReloader(t, path, slog.New(slog.NewJSONHandler(logs, nil)))
	chain := auth.Chain{Tokens: r}
	run := func(interval time.Duration, sig chan os.Signal) func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx, interval, sig) }()
		return func() { cancel(); <-done }
	}

	stop := run(10*time.Millisecond, nil)
	_, err = auth.RevokeTokens(path, auth.TokenSelector{ID: "b-1"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := chain.Authenticate(ctx, tok)
		return errors.Is(err, auth.ErrUnauthenticated)
	}, time.Second, 5*time.Millisecond, "a revoked token stops working by polling")
	require.NoError(t, os.WriteFile(path, []byte(`{"tokens":[`), 0o600))
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), `"level":"ERROR"`) },
		time.Second, 5*time.Millisecond, "a malformed file is logged")
	assert.Contains(t, logs.String(), "the previous set stays in force")
	stop()

	sig := make(chan os.Signal, 1)
	stop = run(time.Hour, sig)
	defer stop()
	tok2, err := auth.AddToken(filepath.Join(t.TempDir(), "other.json"), auth.Principal{Role: events.RoleMerchant, ID: "m-1"}, "", time.Now())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(`{"tokens":[{"sha256":"`+auth.HashToken(tok2)+`","role":"merchant","id":"m-1"}]}`), 0o600))
	sig <- os.Interrupt // any value: the loop does not look at which signal
	require.Eventually(t, func() bool {
		p, err := chain.Authenticate(ctx, tok2)
		return err == nil && p.ID == "m-1"
	}, time.Second, 5*time.Millisecond, "a signal reloads without waiting for the poll")
}
