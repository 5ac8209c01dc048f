package events

import "time"

// An event takes effect when it was recorded (Envelope.OccurredAt), with one
// exception: an expiry takes effect at its deadline's due time, however late
// it was fired, and so do the events its command recorded after it in the
// same append (the approval, the close, the refund it caused). The envelope
// keeps the recording time and DeadlineExpired.DueAt the effective time, so
// both are on record and nothing stored changes.

// EffectiveAt returns when env takes effect on its own: the due time of a
// deadline.expired event, the recording time of any other. The events an
// expiry caused cannot tell from their own envelope; ExpiryEffect carries the
// due time to them along a stream.
func (e Envelope) EffectiveAt() time.Time {
	if x, ok := e.Payload.(DeadlineExpired); ok && !x.DueAt.IsZero() {
		return x.DueAt.UTC()
	}
	return e.OccurredAt
}

// ExpiryEffect is what a fold over one stream must remember to date each
// event at its effective time: the last expiry's command and due time. The
// zero value is a stream's start. It is a plain value: copy it with the
// state it belongs to.
type ExpiryEffect struct {
	// CommandID is the command that recorded the last expiry, "" when the
	// last event was not an expiry or one of its consequences.
	CommandID string
	// RecordedAt is when that expiry was recorded.
	RecordedAt time.Time
	// DueAt is that expiry's due time: when it and its consequences take effect.
	DueAt time.Time
}

// At returns when env takes effect, given that x is the effect left by the
// events before it in its stream. An event recorded by the expiry's command,
// in the same append (same command id and recording time), takes effect at
// the expiry's due time.
func (x ExpiryEffect) At(env Envelope) time.Time {
	if _, ok := env.Payload.(DeadlineExpired); ok {
		return env.EffectiveAt()
	}
	if x.caused(env) {
		return x.DueAt
	}
	return env.OccurredAt
}

// After returns the effect left once env has been folded.
func (x ExpiryEffect) After(env Envelope) ExpiryEffect {
	if _, ok := env.Payload.(DeadlineExpired); ok && env.CommandID != "" {
		return ExpiryEffect{CommandID: env.CommandID, RecordedAt: env.OccurredAt, DueAt: env.EffectiveAt()}
	}
	if x.caused(env) {
		return x
	}
	return ExpiryEffect{}
}

func (x ExpiryEffect) caused(env Envelope) bool {
	return x.CommandID != "" && env.CommandID == x.CommandID && env.OccurredAt.Equal(x.RecordedAt)
}

// EffectiveTimes returns the effective time of each event of one stream, in
// order (see ExpiryEffect).
func EffectiveTimes(envs []Envelope) []time.Time {
	out := make([]time.Time, len(envs))
	var x ExpiryEffect
	for i, env := range envs {
		out[i] = x.At(env)
		x = x.After(env)
	}
	return out
}
