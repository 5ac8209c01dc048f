package events_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/events"
)

// TestPolicyStampOfEveryType: every catalogue type that embeds a Schedule,
// a message and an appeal decision read back the stamp its fixture records; the others
// record none. WithPolicySHA256 changes the address and nothing else. Not
// parallel: it counts allocations.
func TestPolicyStampOfEveryType(t *testing.T) {
	want := events.PolicyStamp{Version: "2026-03-01", SHA256: policySHA256}
	stamped := 0
	for typ, f := range fixtures() {
		_, embeds := reflect.TypeOf(f.payload).FieldByName("Schedule")
		records := embeds || typ == events.TypeMessagePosted || typ == events.TypeAppealDecided
		got, ok := events.PolicyStampOf(f.payload)
		assert.Equal(t, records, ok, typ)
		if !records {
			assert.Equal(t, f.payload, events.WithPolicySHA256(f.payload, "other"), "%s records no address to change", typ)
			continue
		}
		stamped++
		assert.Equal(t, want, got, typ)
		changed := events.WithPolicySHA256(f.payload, "other")
		again, _ := events.PolicyStampOf(changed)
		assert.Equal(t, events.PolicyStamp{Version: want.Version, SHA256: "other"}, again, typ)
		assert.Equal(t, f.payload, events.WithPolicySHA256(changed, policySHA256), "%s: only the address changed", typ)
		assert.Zero(t, testing.AllocsPerRun(10, func() { events.PolicyStampOf(f.payload) }), "%s: reading a stamp allocates nothing", typ)
	}
	assert.Greater(t, stamped, 10, "the fixtures hold stamped types")
}
