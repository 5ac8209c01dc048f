// Package commands is the write path: it validates an incoming command, loads
// the ticket's stream, authorizes the actor against it before anything else,
// asks the domain to decide, and appends the resulting events with optimistic
// concurrency, retrying a bounded number of times when another writer got
// there first. Commands are idempotent by (ticket, principal, command id).
package commands
