package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections/views"
)

// TestCommandResponseEncodesAsWriteJSON: the command answer's own encoder
// writes, byte for byte, what writeJSON (encoding/json, no HTML escaping)
// writes for the same CommandResponse — ids that need escaping, text with
// HTML and line separators, no events, a duplicate — and says how long it is.
func TestCommandResponseEncodesAsWriteJSON(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 2, 2, 0, 0, 123456789, time.UTC)
	rich := views.TicketView{TicketID: "T-1", OrderID: "O-1", BuyerID: "b-1", MerchantID: "m-1", Kind: events.KindReturnRefund,
		Reason: events.ReasonQuality, Description: "屏幕碎了 <b>&amp;</b> \u2028 \u2029 \"quoted\" \\ \t", Status: domain.StatusAwaitingMerchant,
		Currency: "CNY", AmountPaid: 5000, Requested: 4000, Refunded: 1, Compensation: 2,
		Offer:     &views.OfferView{Amount: 10},
		Return:    &events.Shipment{Carrier: "SF <express>", TrackingNumber: "SF1"},
		Deadlines: []events.ScheduledDeadline{{Kind: events.DeadlineMerchantResponse, DueAt: at}},
		Evidence:  []views.EvidenceView{}, OpenedAt: at, UpdatedAt: at.Add(time.Hour), ClosedAt: &at, Revision: 7, LastHash: "ab"}
	event := json.RawMessage(`{"id":"0193","stream":"ticket-T-1","type":"ticket.opened","data":{"text":"<&>\u2028"}}`)
	for name, r := range map[string]CommandResponse{
		"recorded":      {TicketID: "T-1", CommandID: "c-1", Revision: 1, Events: []json.RawMessage{event}, Ticket: rich},
		"two events":    {TicketID: "T-1", CommandID: "c-2", Revision: 9, Events: []json.RawMessage{event, event}, Ticket: rich},
		"duplicate":     {TicketID: "T-1", CommandID: "c-1", Duplicate: true, Revision: 1, Events: []json.RawMessage{}, Ticket: rich},
		"no events":     {TicketID: "T-1", CommandID: "c-1", Ticket: views.TicketView{}},
		"escaped ids":   {TicketID: "T\"1\\<>&", CommandID: "c\u2028\x01é", Events: []json.RawMessage{event}, Ticket: rich},
		"invalid UTF-8": {TicketID: "T\xff", CommandID: "c\xe4", Ticket: rich},
		"long":          {TicketID: strings.Repeat("T", 200), CommandID: "c-1", Revision: math.MaxUint64, Events: []json.RawMessage{event}, Ticket: rich},
	} {
		t.Run(name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			require.NoError(t, enc.Encode(r))

			rb := responseBuffers.Get().(*responseBuffer)
			require.NoError(t, rb.commandResponse(r))
			assert.Equal(t, want.String(), rb.buf.String())
			rb.release()

			rec := httptest.NewRecorder()
			writeCommandResponse(rec, http.StatusCreated, r)
			assert.Equal(t, http.StatusCreated, rec.Code)
			assert.Equal(t, want.String(), rec.Body.String())
			assert.Equal(t, strconv.Itoa(want.Len()), rec.Header().Get("Content-Length"))
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))

			// The headers are what the Header().Set of each would make.
			set := http.Header{}
			if r.Duplicate {
				set.Set("Idempotent-Replayed", "true")
			}
			set.Set("ETag", etag(r.Revision))
			set.Set("Location", "/v1/tickets/"+r.TicketID)
			set.Set("Content-Type", "application/json")
			set.Set("Cache-Control", "no-store")
			set.Set("Content-Length", strconv.Itoa(want.Len()))
			assert.Equal(t, set, rec.Header())
		})
	}
}

// BenchmarkCommandResponse encodes an open_ticket answer (one event of
// about 700 bytes and the ticket) with encoding/json, as every answer was
// written before, and with writeCommandResponse.
//
//	go test -run '^$' -bench CommandResponse -benchmem ./edge/httpapi/
func BenchmarkCommandResponse(b *testing.B) {
	at := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
	event := json.RawMessage(`{"id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","stream":"ticket-H-1","revision":0,"type":"refund.requested",` +
		`"schema":1,"occurred_at":"2026-11-02T02:00:00.123456Z","actor":{"role":"buyer","id":"b-1"},"command_id":"c-1",` +
		`"command_fingerprint":"sha256:5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592","correlation_id":"c-1",` +
		`"data":{"ticket_id":"H-1","order_id":"O-1","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY",` +
		`"amount_paid":5000,"requested":5000,"description":"screen cracked","order_shipped":true},` +
		`"prev_hash":"","hash":"sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"}`)
	r := CommandResponse{TicketID: "H-1", CommandID: "c-1", Events: []json.RawMessage{event},
		Ticket: views.TicketView{TicketID: "H-1", OrderID: "O-1", BuyerID: "b-1", MerchantID: "m-1", Kind: events.KindRefundOnly,
			Reason: events.ReasonQuality, Description: "screen cracked", Status: domain.StatusAwaitingMerchant, Currency: "CNY",
			AmountPaid: 5000, Requested: 5000, Deadlines: []events.ScheduledDeadline{{Kind: events.DeadlineMerchantResponse, DueAt: at}},
			Evidence: []views.EvidenceView{}, OpenedAt: at, UpdatedAt: at, LastHash: "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"}}
	for name, write := range map[string]func(http.ResponseWriter, int, CommandResponse){
		"writeJSON":            func(w http.ResponseWriter, s int, r CommandResponse) { writeJSON(w, s, r) },
		"writeCommandResponse": writeCommandResponse,
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				write(discardWriter{h: http.Header{}}, http.StatusCreated, r)
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing but its headers.
type discardWriter struct{ h http.Header }

func (w discardWriter) Header() http.Header         { return w.h }
func (w discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w discardWriter) WriteHeader(int)             {}
