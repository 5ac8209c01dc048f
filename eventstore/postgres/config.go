package postgres

import (
	"errors"
	"time"
)

// Config tunes a Store. The zero value is usable: every zero field takes its
// default.
type Config struct {
	// Schema is the PostgreSQL schema that holds the store's tables; Open
	// creates it if it is missing. Empty means the connection's current
	// schema (the first existing one on its search_path), resolved once by
	// Open.
	Schema string

	// ReadOnly opens an existing store for reading only: no schema or table
	// is created or migrated, sessions refuse writes, and Append fails with
	// ErrReadOnly. A schema without the store's tables is refused with
	// ErrNotLedger.
	ReadOnly bool

	// MaxBatch caps the number of appends grouped into one transaction.
	// Default 256.
	MaxBatch int

	// QueueSize is the number of appends that may wait for the writer before
	// Append blocks. Default 1024.
	QueueSize int

	// BatchTimeout bounds one group-commit transaction, so a connection that
	// hangs fails the appends waiting on it instead of stalling the writer
	// for ever. Default 30s.
	BatchTimeout time.Duration

	// PollInterval is how often an idle subscription reads the log even
	// without a notification. Notifications (LISTEN/NOTIFY, and in-process
	// commits) wake subscriptions at once; the poll only matters while the
	// listening connection is down. Default 1s.
	PollInterval time.Duration

	// SubscriptionBatch is the number of events a subscription reads per
	// query while catching up. Default 512.
	SubscriptionBatch int
}

func (c *Config) setDefaults() {
	if c.MaxBatch == 0 {
		c.MaxBatch = 256
	}
	if c.QueueSize == 0 {
		c.QueueSize = 1024
	}
	if c.BatchTimeout == 0 {
		c.BatchTimeout = 30 * time.Second
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.SubscriptionBatch == 0 {
		c.SubscriptionBatch = 512
	}
}

// Validate reports a configuration that cannot work. Zero fields are valid:
// they mean the default.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBatch < 0 || c.QueueSize < 0 || c.SubscriptionBatch < 0 {
		errs = append(errs, errors.New("MaxBatch, QueueSize and SubscriptionBatch must not be negative"))
	}
	if c.BatchTimeout < 0 || c.PollInterval < 0 {
		errs = append(errs, errors.New("BatchTimeout and PollInterval must not be negative"))
	}
	if len(c.Schema) > maxIdentifier {
		errs = append(errs, errors.New("Schema is longer than PostgreSQL's 63-byte identifiers"))
	}
	return errors.Join(errs...)
}

// maxIdentifier is PostgreSQL's NAMEDATALEN-1: longer names are truncated.
const maxIdentifier = 63
