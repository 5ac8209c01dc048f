// Package coord is what the replicas of one ledger agree on through its
// database: leases that give each shared background job (projector,
// sealer, scheduler, forwarder) one owner, with fencing tokens so that a
// stale owner's writes are refused, and the origin of a demo clock
// (--clock-speed) so that every replica reads the same time after any
// restart.
//
// On PostgreSQL (Postgres) a lease is a row: name, holder, token and an
// expiry taken from the database's clock, so replicas' clocks never decide
// who owns what. A holder renews its grant before it expires; once it
// stops (SIGKILL, a lost network), the grant runs out and the next replica
// to ask gets it with the token increased by one. A write fenced by a token
// (CheckTx inside the seal's transaction; HighWater inside the read
// models') is refused once a higher token exists. On SQLite the processes
// sharing a ledger file (serve, a standalone scheduler) share its jobs'
// leases through a table in the file (SQLite), expiring by the machine's
// clock; a lease only one process can need is Local's, granted at once.
package coord
