package events_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/events"
)

// TestEffectiveTimes: an expiry takes effect at its due time, the events its
// command recorded after it in the same append take effect with it, and
// anything else takes effect when it was recorded.
func TestEffectiveTimes(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 11, 5, 2, 0, 0, 0, time.UTC)
	fired := due.Add(5 * time.Hour)
	env := func(cmd string, at time.Time, p events.Payload) events.Envelope {
		return events.Envelope{CommandID: cmd, OccurredAt: at, Type: p.EventType(), Payload: p}
	}
	expired := events.DeadlineExpired{Deadline: events.DeadlineMerchantResponse, DueAt: due}
	tests := []struct {
		name string
		envs []events.Envelope
		want []time.Time
	}{
		{"expiry and what it caused", []events.Envelope{
			env("open", due.Add(-72*time.Hour), events.RefundRequested{}),
			env("expire", fired, expired),
			env("expire", fired, events.MerchantAgreed{Auto: true}),
			env("expire", fired, events.RefundIssued{Amount: 1}),
		}, []time.Time{due.Add(-72 * time.Hour), due, due, due}},
		{"the next command's events are its own", []events.Envelope{
			env("expire", fired, expired),
			env("msg", fired, events.MessagePosted{Text: "hi"}),
		}, []time.Time{due, fired}},
		{"same command id at another time is not caused by it", []events.Envelope{
			env("expire", fired, expired),
			env("expire", fired.Add(time.Second), events.MessagePosted{Text: "hi"}),
		}, []time.Time{due, fired.Add(time.Second)}},
		{"an event after another command does not inherit", []events.Envelope{
			env("expire", fired, expired),
			env("msg", fired, events.MessagePosted{Text: "hi"}),
			env("expire", fired, events.MessagePosted{Text: "again"}),
		}, []time.Time{due, fired, fired}},
		{"events without command ids never inherit", []events.Envelope{
			env("", fired, expired),
			env("", fired, events.MerchantAgreed{}),
		}, []time.Time{due, fired}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, events.EffectiveTimes(tt.envs), tt.name)
	}
	assert.Equal(t, due, env("x", fired, expired).EffectiveAt())
	assert.Equal(t, fired, env("x", fired, events.TicketExpired{}).EffectiveAt())
}
