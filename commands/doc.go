// Package commands is the write path: it validates an incoming command, loads
// the ticket's stream, asks the domain to decide, and appends the resulting
// events with optimistic concurrency, retrying a bounded number of times when
// another writer got there first. Commands are idempotent by command id.
package commands
