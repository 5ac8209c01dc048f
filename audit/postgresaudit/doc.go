// Package postgresaudit is the audit's adapter to a PostgreSQL ledger: a
// SealStore (package audit) kept in the event store's own schema, so the
// seals live and are backed up with the events they sign, and a raw reader
// of the events table for verification.
//
// It opens its own pool, keeps its tables prefixed "audit_" with their own
// migrations table (package internal/pgmigrate, whose per-schema lock makes
// concurrent start-up safe), and never writes to the event store's tables.
// Opened read-only it creates and migrates nothing, and its sessions refuse
// writes.
package postgresaudit
