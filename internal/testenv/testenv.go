// Package testenv lets tests find the servers they need (PostgreSQL, NATS,
// Chromium) and decides what happens when one is missing: the test fails when
// DISPUTES_REQUIRE_SERVICES=1 (CI, which starts the servers) and is skipped
// otherwise, with a message naming that variable, so `go test ./...` stays
// green on a laptop without servers.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// RequireServicesEnv is the environment variable that turns a missing server
// from a skip into a failure.
const RequireServicesEnv = "DISPUTES_REQUIRE_SERVICES"

// PostgresEnv and NATSEnv override the servers' addresses.
const (
	PostgresEnv = "DISPUTES_TEST_POSTGRES"
	NATSEnv     = "DISPUTES_TEST_NATS"
)

const (
	defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	defaultNATS     = "nats://127.0.0.1:4222"
	probeTimeout    = 3 * time.Second
)

// Required reports whether missing servers must fail tests.
func Required() bool { return os.Getenv(RequireServicesEnv) == "1" }

// Unavailable fails tb when servers are required and skips it otherwise.
func Unavailable(tb testing.TB, service string, err error) {
	tb.Helper()
	if Required() {
		tb.Fatalf("%s unavailable and %s=1: %v", service, RequireServicesEnv, err)
		return
	}
	tb.Skipf("%s unavailable (%v); set %s=1 to make this a failure", service, err, RequireServicesEnv)
}

// PostgresURL returns the connection string of the test database after
// checking that it answers.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	connString := envOr(PostgresEnv, defaultPostgres)
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, connString)
	if err == nil {
		err = conn.Ping(ctx)
		_ = conn.Close(ctx)
	}
	if err != nil {
		Unavailable(tb, "PostgreSQL", err)
		return ""
	}
	return connString
}

// PostgresSchema creates a fresh, empty schema in the test database, drops it
// (with everything in it) when tb ends, and returns its name together with a
// connection string whose search_path is that schema, so the test's tables
// are private to it.
func PostgresSchema(tb testing.TB) (connString, schema string) {
	tb.Helper()
	base := PostgresURL(tb)
	connString, schema, err := createSchema(base)
	if err != nil {
		tb.Fatalf("%v", err) // the server answered PostgresURL's probe
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return connString, schema
}

// createSchema creates a schema with a fresh name on the server base
// points at and returns base with that schema as its search_path.
func createSchema(base string) (connString, schema string, err error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", "", fmt.Errorf("%s is not a URL: %w", base, err)
	}
	schema = "t_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", "", err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return "", "", fmt.Errorf("create schema %s: %w", schema, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema, nil
}

// NATSURL returns the URL of the NATS server after checking that it accepts
// connections. JetStream itself is checked by the tests that use it.
func NATSURL(tb testing.TB) string {
	tb.Helper()
	natsURL := envOr(NATSEnv, defaultNATS)
	u, err := url.Parse(natsURL)
	if err != nil {
		tb.Fatalf("%s is not a URL: %v", NATSEnv, err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, probeTimeout)
	if err != nil {
		Unavailable(tb, "NATS", err)
		return "" // reached only when tb's Skipf does not stop the test
	}
	_ = conn.Close()
	return natsURL
}

// RandomName returns prefix followed by random hex digits: a name no other
// test run uses (schemas, NATS streams, subjects).
func RandomName(prefix string) string { return prefix + randomHex(8) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
