// Package forward publishes the ledger's global log to NATS JetStream
// through Watermill, so other systems can follow disputes without reading
// the event store.
//
// Each event becomes one message: the payload is the stored envelope byte for
// byte, the subject is "<prefix>.<event type>" (for example
// "disputes.events.refund.requested", so consumers can filter with
// wildcards), and headers carry the event's id, type, stream, ticket,
// revision and global position. The event id is also the JetStream message
// id (Nats-Msg-Id), so JetStream drops a second copy published within the
// stream's duplicate window.
//
// # Delivery
//
// The forwarder reads the log through a follow.Follower and publishes in
// global-position order, one message at a time, waiting for JetStream's
// acknowledgement before the next: messages land in the JetStream stream
// in log order, hence in revision order per ticket. A store or NATS failure
// is retried with capped, jittered backoff from the last acknowledged event
// (Status shows it). It records the last acknowledged position in a Checkpoint, every
// Config.CheckpointEvery events, every Config.CheckpointInterval and on a
// clean stop, and always after the acknowledgement. A restart resumes after
// the checkpoint:
//
//   - nothing is lost: every event after the checkpoint is published again;
//   - nothing is duplicated within JetStream's duplicate window: the events
//     acknowledged after the last checkpoint write (at most CheckpointEvery,
//     or the events of one CheckpointInterval) are published again under
//     the same message ids, and JetStream discards them. Keep the window
//     (EnsureStream's dupWindow) longer than a restart takes.
package forward
