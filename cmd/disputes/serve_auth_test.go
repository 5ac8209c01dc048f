package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/internal/testenv"
)

// runMainEnv makes the test binary run main() instead of the tests, so a
// test can start `disputes serve` as a real process and signal it.
const runMainEnv = "DISPUTES_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
	}
	code := m.Run()
	removeBuiltBinary()
	os.Exit(code)
}

// statusAs answers the status of an authenticated read with the given
// Authorization header: 401 if the server does not accept it, else the
// read's own answer (404: there is no such ticket).
func statusAs(t *testing.T, base, authorization string) int {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/v1/tickets/T-none", nil)
	require.NoError(t, err)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// startServe runs `disputes serve` in this process until the test ends.
func startServe(t *testing.T, args ...string) (base string, logs *testenv.LogBuffer) {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs = &testenv.LogBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--db", filepath.Join(t.TempDir(), "ledger.db"), "--addr", addr,
			"--no-scheduler", "--no-projections"}, args...), strings.NewReader(""), io.Discard, logs)
	}()
	base = "http://" + addr
	waitReady(t, base, logs)
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, 0, code, logs.String())
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return base, logs
}

// within waits until cond holds, at most limit, and returns how long it took.
func within(t *testing.T, limit time.Duration, cond func() bool, msg string) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s", msg, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// TestServeReloadsTokenFile covers issue #11 item 9 through the running
// server: a token added while it runs works without a restart, a revoked
// one stops working within a second, and a malformed file is logged and
// leaves the previous tokens in force.
func TestServeReloadsTokenFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "tokens.json")
	b1 := addToken(t, file, "buyer", "b-1")
	base, logs := startServe(t, "--tokens", file)
	require.Equal(t, http.StatusNotFound, statusAs(t, base, "Bearer "+b1))

	b2 := addToken(t, file, "buyer", "b-2")
	took := within(t, time.Second, func() bool { return statusAs(t, base, "Bearer "+b2) != http.StatusUnauthorized },
		"a token added while serving works")
	t.Logf("added token accepted after %s", took)

	code, _, errOut := runCLI(t, "", "tokens", "revoke", "--file", file, "--id", "b-1")
	require.Equal(t, 0, code, errOut)
	took = within(t, time.Second, func() bool { return statusAs(t, base, "Bearer "+b1) == http.StatusUnauthorized },
		"a revoked token stops working")
	t.Logf("revoked token refused after %s", took)
	assert.Equal(t, http.StatusNotFound, statusAs(t, base, "Bearer "+b2), "the other token still works")

	good, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, good[:len(good)/2], 0o600))
	within(t, 2*time.Second, func() bool { return strings.Contains(logs.String(), "the previous set stays in force") },
		"a malformed token file is logged")
	assert.Contains(t, logs.String(), `"level":"ERROR"`)
	assert.Equal(t, http.StatusNotFound, statusAs(t, base, "Bearer "+b2), "the previous set stays")
	assert.Equal(t, http.StatusUnauthorized, statusAs(t, base, "Bearer "+b1), "and a revoked token stays revoked")
}

// TestServeBearerSchemeIsCaseInsensitive covers issue #11 item 7's last
// finding through the server: "bearer x" was refused.
func TestServeBearerSchemeIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "tokens.json")
	tok := addToken(t, file, "auditor", "au-1")
	base, _ := startServe(t, "--tokens", file)
	tests := []struct {
		header string
		want   int
	}{
		{"Bearer " + tok, http.StatusNotFound},
		{"bearer " + tok, http.StatusNotFound},
		{"BEARER " + tok, http.StatusNotFound},
		{"Bearer  " + tok, http.StatusNotFound},
		{"Basic " + tok, http.StatusUnauthorized},
		{"Bearer" + tok, http.StatusUnauthorized},
		{"", http.StatusUnauthorized},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, statusAs(t, base, tc.header), "%.12q", tc.header)
	}
}

// hsToken signs claims (raw JSON, so any claims at all) with an HS256 key
// named kid, as an identity provider would.
func hsToken(t *testing.T, secret []byte, kid, claims string) string {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	signed := enc([]byte(`{"alg":"HS256","typ":"JWT","kid":"`+kid+`"}`)) + "." + enc([]byte(claims))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signed))
	return signed + "." + enc(mac.Sum(nil))
}

func jwksFile(t *testing.T, path string, keys map[string][]byte) {
	t.Helper()
	var list []map[string]string
	for kid, secret := range keys {
		list = append(list, map[string]string{"kty": "oct", "kid": kid, "alg": "HS256", "k": base64.RawURLEncoding.EncodeToString(secret)})
	}
	data, err := json.Marshal(map[string]any{"keys": list})
	require.NoError(t, err)
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, data, 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

// TestServeJWT holds issue #11 item 7's JWT findings against the running
// server, with keys from a JWKS file, and shows key rotation by editing
// that file.
func TestServeJWT(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	jwks := filepath.Join(dir, "jwks.json")
	k1, k2 := []byte(strings.Repeat("1", 32)), []byte(strings.Repeat("2", 32))
	jwksFile(t, jwks, map[string][]byte{"k1": k1})
	base, _ := startServe(t, "--jwt-jwks", jwks, "--jwt-issuer", "idp", "--jwt-audience", "disputes", "--jwt-max-lifetime", "1h")

	now := time.Now().Unix()
	at := func(d time.Duration) string { return itoa(now + int64(d/time.Second)) }
	claims := func(extra string) string {
		return `{"sub":"b-1","role":"buyer","iss":"idp","aud":"disputes","iat":` + at(0) + `,"exp":` + at(30*time.Minute) + extra + `}`
	}
	tests := []struct {
		name   string
		kid    string
		claims string
		want   int
	}{
		{"good", "k1", claims(""), http.StatusNotFound},
		{"exp in the year 9999", "k1", `{"sub":"b-1","role":"buyer","iss":"idp","aud":"disputes","exp":253402300799}`, http.StatusUnauthorized},
		{"lifetime over --jwt-max-lifetime", "k1", `{"sub":"b-1","role":"buyer","iss":"idp","aud":"disputes","iat":` + at(0) + `,"exp":` + at(2*time.Hour) + `}`, http.StatusUnauthorized},
		{"iat in the future", "k1", `{"sub":"b-1","role":"buyer","iss":"idp","aud":"disputes","iat":` + at(10*time.Minute) + `,"exp":` + at(30*time.Minute) + `}`, http.StatusUnauthorized},
		{"ROLE beside role", "k1", claims(`,"ROLE":"auditor"`), http.StatusUnauthorized},
		{"role twice", "k1", claims(`,"role":"auditor"`), http.StatusUnauthorized},
		{"system role", "k1", `{"sub":"s","role":"system","iss":"idp","aud":"disputes","exp":` + at(time.Minute) + `}`, http.StatusUnauthorized},
		{"wrong audience", "k1", `{"sub":"b-1","role":"buyer","iss":"idp","aud":"other","exp":` + at(time.Minute) + `}`, http.StatusUnauthorized},
		{"unknown kid", "k2", claims(""), http.StatusUnauthorized},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, statusAs(t, base, "Bearer "+hsToken(t, k1, tc.kid, tc.claims)), tc.name)
	}

	// Rotation: k2 is published and k1 withdrawn by editing the file.
	old, next := hsToken(t, k1, "k1", claims("")), hsToken(t, k2, "k2", claims(""))
	jwksFile(t, jwks, map[string][]byte{"k2": k2})
	within(t, time.Second, func() bool { return statusAs(t, base, "Bearer "+old) == http.StatusUnauthorized }, "a withdrawn key stops working")
	assert.Equal(t, http.StatusNotFound, statusAs(t, base, "Bearer "+next), "the new key works")
}

// TestServeProcessReloadsOnSIGHUP starts `disputes serve` as its own
// process with polling slowed to a minute, revokes a token, and sends
// SIGHUP: the token stops working within a second.
func TestServeProcessReloadsOnSIGHUP(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "tokens.json")
	tok := addToken(t, file, "buyer", "b-1")
	addr := freeAddr(t)
	cmd := exec.Command(os.Args[0], "serve", "--db", filepath.Join(dir, "ledger.db"), "--addr", addr, "--tokens", file,
		"--no-scheduler", "--no-projections", "--reload-every", "1m")
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	logs := &testenv.LogBuffer{}
	cmd.Stderr = logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			assert.NoError(t, err, "serve exits cleanly on SIGTERM: %s", logs)
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("serve did not stop")
		}
	})
	base := "http://" + addr
	waitReady(t, base, logs)
	require.Equal(t, http.StatusNotFound, statusAs(t, base, "Bearer "+tok))

	code, _, errOut := runCLI(t, "", "tokens", "revoke", "--file", file, "--id", "b-1")
	require.Equal(t, 0, code, errOut)
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, http.StatusNotFound, statusAs(t, base, "Bearer "+tok), "polling is slowed to a minute: not reloaded yet")
	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	took := within(t, time.Second, func() bool { return statusAs(t, base, "Bearer "+tok) == http.StatusUnauthorized },
		"SIGHUP reloads the token file")
	t.Logf("revoked token refused %s after SIGHUP", took)
	// The log line is written after the new set is swapped in, so it may
	// trail the refusal by a moment.
	within(t, time.Second, func() bool { return strings.Contains(logs.String(), `"msg":"reloaded"`) }, "the reload is logged")
}

// TestServeRefusesBadAuthFlags: bad limits and unreadable key files stop
// serve before it listens.
func TestServeRefusesBadAuthFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "tokens.json")
	addToken(t, file, "buyer", "b-1")
	short := filepath.Join(dir, "short.secret")
	require.NoError(t, os.WriteFile(short, []byte(strings.Repeat("s", 31)+"\n"), 0o600))
	tests := []struct {
		name string
		args []string
		code int
		why  string
	}{
		{"leeway too large", []string{"--tokens", file, "--jwt-leeway", "1h"}, 2, "--jwt-leeway"},
		{"no max lifetime", []string{"--tokens", file, "--jwt-max-lifetime", "0"}, 2, "--jwt-max-lifetime"},
		{"reload too slow", []string{"--tokens", file, "--reload-every", "1h"}, 2, "--reload-every"},
		{"short HS256 secret", []string{"--jwt-hmac-secret", short}, 1, "at least 32"},
		{"missing JWKS", []string{"--jwt-jwks", filepath.Join(dir, "none.json")}, 1, "none.json"},
		{"malformed token file", []string{"--tokens", short}, 1, "short.secret"},
	}
	for _, tc := range tests {
		code, _, errOut := runCLI(t, "", append([]string{"serve", "--db", filepath.Join(dir, "l.db"), "--addr", "127.0.0.1:0"}, tc.args...)...)
		assert.Equal(t, tc.code, code, "%s: %s", tc.name, errOut)
		assert.Contains(t, errOut, tc.why, tc.name)
	}
}

func itoa(n int64) string { return strings.TrimSpace(string(must(json.Marshal(n)))) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
