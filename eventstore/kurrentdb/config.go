package kurrentdb

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// Config tunes a Store. The zero value is ready to use.
type Config struct {
	// Namespace lets several ledgers (or test runs) share one server: it is
	// prepended to every stream name and recorded in each event's metadata,
	// and only events of the same namespace make up the store's log.
	// Empty means streams are named as the ledger names them.
	Namespace string

	// EventTypePrefixes restricts the $all subscriptions server-side to
	// event types starting with one of these (e.g. the ledger catalogue's
	// wire names). Empty means every non-system type (not starting with $).
	// Events of the store are recognised by their metadata in any case; the
	// filter only spares the network the rest of the server's traffic.
	EventTypePrefixes []string

	// ReadBatch is how many $all events one read asks for. Default 512,
	// at least 2.
	ReadBatch int

	// IndexWait bounds how long an operation waits for the store's position
	// index to reach an event the server has already acknowledged. Default 30s.
	IndexWait time.Duration

	// RetryInterval is the pause before the index follower resubscribes
	// after the server dropped it. Default 500ms.
	RetryInterval time.Duration

	// Logger receives the client library's log lines. Default: none.
	Logger esdb.LoggingFunc
}

func (c Config) withDefaults() Config {
	if c.ReadBatch <= 0 {
		c.ReadBatch = 512
	}
	c.ReadBatch = max(c.ReadBatch, 2) // a page may repeat the event it starts at
	if c.IndexWait <= 0 {
		c.IndexWait = 30 * time.Second
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = 500 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = esdb.NoopLogging()
	}
	return c
}

// Schemes accepted by ParseURL. kurrentdb:// is the server's current name
// and is rewritten to the esdb:// form that client v4 parses.
var schemes = map[string]string{
	"esdb":               "esdb",
	"esdb+discover":      "esdb+discover",
	"kurrentdb":          "esdb",
	"kurrentdb+discover": "esdb+discover",
	"kurrent":            "esdb",
	"kurrent+discover":   "esdb+discover",
}

// ParseURL turns a connection string (esdb://, esdb+discover://,
// kurrentdb://, kurrentdb+discover://, kurrent://) into the client's
// configuration.
func ParseURL(url string) (*esdb.Configuration, error) {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return nil, errors.New("kurrentdb: connection string without a scheme")
	}
	mapped, ok := schemes[strings.ToLower(scheme)]
	if !ok {
		return nil, fmt.Errorf("kurrentdb: unknown scheme %q (want esdb://, kurrentdb:// or their +discover forms)", scheme)
	}
	conf, err := esdb.ParseConnectionString(mapped + "://" + rest)
	if err != nil {
		return nil, fmt.Errorf("kurrentdb: %w", err)
	}
	return conf, nil
}
