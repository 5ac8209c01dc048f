// Package globallog exposes the ledger's global log as a Watermill
// message.Subscriber, so that every read model is an ordinary Watermill
// handler on a message.Router, with the router's middlewares (recoverer,
// retry with backoff, poison handling).
//
// # Messages
//
// A message carries a page: one or more consecutive events of the global
// log, in position order. While catching up a page holds up to
// Config.PageSize events; once live, a page holds what has committed and not
// yet been delivered, usually a single event. With PageSize 1 every message
// is exactly one event. Pages exist because the router costs several
// goroutine hand-offs per message: one event per message caps a projection
// at a few tens of thousands of events per second, far below what a rebuild
// needs, and a page is also the natural unit of a read model's transaction.
//
//   - UUID: the id of the page's first event.
//   - Payload: the pages's envelopes as stored (package events' canonical
//     JSON), one per line (JSON Lines). A one-event page is the envelope's
//     bytes exactly.
//   - Metadata: MetaPosition (first position), MetaLastPosition, MetaCount,
//     MetaTail ("true" when the page reached the head of the log as it was
//     read) and, for a one-event page, MetaStream, MetaType and MetaRevision.
//   - Context: in-process subscribers also attach the decoded page, so a
//     handler calls PageOf and never decodes twice; a message that crossed a
//     process boundary is decoded from its payload instead.
//
// # Delivery
//
// Delivery is ordered and one message at a time: the next page is sent only
// after the current one is acked. A nacked page is sent again, unchanged,
// after Config.NackResendSleep (the router's retry middleware does the fast
// retries). The subscriber never stores a position of its own: on every
// Subscribe it asks Config.Checkpoint where the consumer's durable state
// ends, so a consumer that keeps its checkpoint in the same transaction as
// its state resumes exactly after the last event it committed, whatever
// happened to the process in between.
//
// Catch-up reads the log in pages aligned to multiples of Pager's page size
// through a shared Pager, so subscribers that rebuild side by side read and
// decode each event once; at the head the subscriber switches to
// eventstore.Store.Subscribe and delivers new events as they commit.
package globallog
