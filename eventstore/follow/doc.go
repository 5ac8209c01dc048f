// Package follow is the one follower of the ledger's global log: every
// consumer that keeps up with the log — the read models, the forwarder to
// NATS, the API's event stream, the sealer — reads it through a Follower.
//
// # Delivery
//
// A Follower asks its consumer where it stands (Config.Start: the position
// of the last event it has durably processed), reads the stored log after it
// in pages (catch-up), and once a read comes back short — the head of the
// log — subscribes to the store and delivers new events as they commit
// (live). Pages go to Config.Handle one at a time, in position order, with
// no gap and no repeat: the next page is handed over only after Handle
// returned for the current one. While Handle works on a page the Follower
// reads and decodes at most one page ahead, so a slow consumer holds back
// only its own follower and never makes it buffer the log.
//
// Each event is decoded once, by the Follower, before its page is handed
// over (Event.Env, or Event.Err for bytes that do not decode); a consumer
// that only moves bytes sets Config.Raw and nothing is decoded.
//
// # The position belongs to the consumer
//
// The Follower keeps no checkpoint of its own. A consumer commits its
// position where it keeps its state — a read model in the same transaction
// as its rows — and Start reads it back. Start is called when Run begins and
// again after every failure, so a consumer resumes exactly after what it
// committed, whatever was delivered in between.
//
// # Self-healing
//
// A failed read or subscription (a PostgreSQL restart, a killed connection,
// a dropped subscription) and an ordinary error from Handle are retried:
// the Follower waits a capped, jittered exponential backoff (Config.Backoff),
// asks Start again and resumes from there. The backoff starts over once a
// page is delivered. Two marks stop the Follower instead, and Run returns
// the error: Halt (this run ends here and its caller decides — a seal or a
// checkpoint that could not be stored; a supervisor restarts the job) and
// Broken (no retry can fix it — an event the consumer can never apply — so
// a supervisor must not restart the job either). Handle returns ErrStop to
// end the run cleanly.
//
// Status tells where a Follower is — catching up, live, retrying (with the
// last error and the attempt) or stopped — and how far behind the head of
// the log it is, for readiness checks and metrics.
package follow
