// Package sqliteaudit is the audit's adapter to the SQLite ledger file: a
// SealStore (package audit) kept in the ledger's own file, and a raw reader
// of its events table for verification, which also names the rows a
// ticket's stream read and the global log see differently: those of another
// storage class as it reads them, those at position 0 or below in a query
// of their own (audit.StrayScanner). That read runs on the driver's
// connection (rows.go): each row's values as the driver hands them over,
// an event's data the driver's own copy of its blob, kept without being
// copied again as database/sql would copy it.
//
// It opens its own *sql.DB with sqlite.DSN, as the event store's
// documentation asks of anything sharing the file, keeps its tables
// prefixed "audit_" with their own migrations table, and never writes to
// the events table. Open only adds its tables to a file that already holds
// a ledger; OpenReadOnly (verify, export, prove) creates and changes
// nothing, so a ledger never sealed reads as one without seals.
package sqliteaudit
