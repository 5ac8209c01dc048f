package projections

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
)

// TestSnapshotJSONIsMarshals holds snapshotEncoder to json.Marshal's bytes:
// at every event of the seed and generated tickets, and for the values the
// scenarios never reach (strings encoding/json escapes, a nil map, a
// deadline kind of no constant, times in other zones).
func TestSnapshotJSONIsMarshals(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	var snaps []domain.Snapshot
	for _, sc := range append(scenarios.Seeds(start), scenarios.Generate(7, 200, start, pol)...) {
		envs, err := scenarios.Play(sc, pol, nil)
		require.NoError(t, err)
		var tk domain.Ticket
		for _, env := range envs {
			tk = tk.Apply(env)
			snaps = append(snaps, tk.Snapshot())
		}
	}
	shanghai := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 5, 17, 13, 4, 5, 123456789, shanghai)
	odd := domain.Snapshot{
		ID: `t-<&>"\` + "\x00\x1f\u2028\u2029é\xff", OrderID: "订单-1", BuyerID: "\t\n\r\b\f", MerchantID: "",
		Kind: "k<", Reason: "r&", Currency: "CNY", AmountPaid: -1, Requested: 1 << 62, Status: "open",
		Deadlines: map[events.DeadlineKind]time.Time{"zz-unknown": at, events.DeadlineAppeal: at.UTC(), events.DeadlineEvidence: {}},
		Ruled:     true, InterventionAt: &at, ClosedAt: new(time.Time), Messages: 3, VagueMessages: -2,
		Effect: events.ExpiryEffect{CommandID: "c>", RecordedAt: at, DueAt: at.Add(time.Nanosecond)}, Revision: 1<<64 - 1, Events: 9,
	}
	snaps = append(snaps, odd, domain.Snapshot{}, domain.Snapshot{Deadlines: map[events.DeadlineKind]time.Time{}})
	var enc snapshotEncoder // one, as the deadlines read model keeps: its buffer reused
	for i := range snaps {
		want, err := json.Marshal(snaps[i])
		require.NoError(t, err)
		got, err := enc.encode(&snaps[i])
		require.NoError(t, err)
		require.Equal(t, string(want), got, "snapshot %d", i)
	}

	far := domain.Snapshot{OpenedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, marshalErr := json.Marshal(far)
	_, err := enc.encode(&far)
	assert.Error(t, marshalErr)
	assert.Error(t, err, "a time json.Marshal refuses is refused")
}
