package audit

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// TestCheckColumnsOfADecodedEventIsEventstoresCheck: the columns of an
// event that decoded are compared with its decoded header, and those of one
// that did not by eventstore.CheckColumns; either way the outcome is
// eventstore.CheckColumns', error for error, for columns as stored, each
// column edited, and stream names JSON escapes.
func TestCheckColumnsOfADecodedEventIsEventstoresCheck(t *testing.T) {
	t.Parallel()
	for _, stream := range []string{"ticket-T-1", `ticket-<"quoted"> & \ é`} {
		env := events.Envelope{ID: uuid.Must(uuid.NewV7()), Stream: stream, Revision: 3, Type: events.TypeRefundRequested,
			SchemaVersion: 1, OccurredAt: time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC),
			Actor: events.Actor{Role: "buyer", ID: "b-1"}, CommandID: "c-1", CorrelationID: "c-1", PrevHash: "",
			Payload: events.RefundRequested{TicketID: "T-1", OrderID: "o", BuyerID: "b-1", MerchantID: "m-1", Currency: "EUR"}}
		env, data, err := events.Seal(env)
		require.NoError(t, err)
		damaged := append([]byte(nil), data...)
		damaged[len(damaged)-3] ^= 1 // the hash's last digits: the header is intact, decoding fails
		same := Columns{ID: env.ID, Stream: env.Stream, Revision: env.Revision, Type: env.Type}
		edits := map[string]func(c *Columns){
			"as stored": func(*Columns) {},
			"id":        func(c *Columns) { c.ID = uuid.Must(uuid.NewV7()) },
			"stream":    func(c *Columns) { c.Stream += "x" },
			"revision":  func(c *Columns) { c.Revision++ },
			"type":      func(c *Columns) { c.Type = events.TypeRequestRevised },
		}
		for name, edit := range edits {
			for _, bytes := range [][]byte{data, damaged} {
				t.Run(fmt.Sprintf("%s/%s/%d", stream, name, len(bytes)), func(t *testing.T) {
					c := same
					edit(&c)
					p := PrepareOwned(7, append([]byte(nil), bytes...), nil, 0)
					p.CheckColumns(bytes, c)
					want := eventstore.CheckColumns(&eventstore.RecordedEvent{ID: c.ID, Stream: c.Stream, Revision: c.Revision, Type: c.Type, Data: bytes, Position: 7})
					if want == nil {
						assert.NoError(t, p.columnsErr)
						return
					}
					require.Error(t, p.columnsErr)
					assert.Equal(t, want.Error(), p.columnsErr.Error())
				})
			}
		}
		p := PrepareOwned(7, damaged, nil, 0)
		require.Error(t, p.err, "the damaged copy does not decode")
	}
}
