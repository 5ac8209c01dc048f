package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections"
)

// fuzzPrincipals are the callers a fuzzed command comes from.
var fuzzPrincipals = []string{"buyer:b-1", "buyer:b-2", "merchant:m-1", "merchant:m-2", "agent:cs-1",
	"auditor:au-1", "arbitrator:arb-1", "senior_arbitrator:sr-1"}

// FuzzCommandBody sends arbitrary command bodies, as any principal, to any
// command route through the whole HTTP handler and the ledger behind it,
// and checks what must hold for every request:
//
//   - the answer is never a 5xx and the handler never panics;
//   - a 4xx records nothing;
//   - a 2xx records only events that decode (their hashes hold) and chain
//     onto the ticket's stream, which still folds.
//
// In CI it runs its seeds (testdata/fuzz/FuzzCommandBody and the f.Add
// calls); `make fuzz` runs it for long.
func FuzzCommandBody(f *testing.F) {
	l := newLedger(f, options{})
	l.as("buyer:b-1").ok("T-1", "open_ticket", "seed-open", openData("m-1"))
	names := httpapi.APICommands()
	var n atomic.Int64

	// Indices into APICommands: 0 open_ticket, 4 reject, 5 make_offer,
	// 17 rule, 20 post_message; into fuzzPrincipals: 0 b-1, 2 m-1, 3 m-2,
	// 6 arb-1; who ≥ 128 sends no Idempotency-Key.
	f.Add(uint8(2), uint8(20), "T-1", []byte(`{"data":{"text":"hello"}}`))
	f.Add(uint8(0), uint8(0), "T-2", []byte(`{"data":{"order_id":"O-2","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":100,"requested":100,"order_shipped":true}}`))
	f.Add(uint8(0), uint8(0), "T-3", []byte(`{"data":{"order_id":"O-3","merchant_id":"m-1","kind":"refund_only","reason":"quality","currency":"CNY","amount_paid":9223372036854775807,"requested":1,"order_shipped":true}}`))
	f.Add(uint8(2), uint8(4), "T-1", []byte(`{"data":{"reason":"\u202eevil"}}`))
	f.Add(uint8(0), uint8(20), "T-1", []byte("{\"data\":{\"text\":\"\xff\xfe\"}}"))
	f.Add(uint8(6), uint8(17), "T-1", []byte(`{"data":{"outcome":"buyer_favoured","liability":"merchant","refund":1844674407370955162,"compensation":4,"counterfeit":true}}`))
	f.Add(uint8(128), uint8(0), "T-1", []byte(`{"command_id":"seed-open","data":null}`))
	f.Add(uint8(3), uint8(5), "T-1", []byte(`{"data":{"kind":"partial_refund","amount":1}}`))
	f.Add(uint8(3), uint8(7), "../T-1", []byte(`[`))
	f.Add(uint8(0), uint8(20), "T-1", []byte(`{"data":{"text":"ok","Text":"x"}}`))
	f.Add(uint8(0), uint8(20), "T-1", []byte(`{"Data":{"TEXT":"x"},"data":{"text":"y"}}`))

	f.Fuzz(func(t *testing.T, who, command uint8, ticket string, body []byte) {
		ctx := context.Background()
		name := names[int(command)%len(names)]
		principal := fuzzPrincipals[int(who)%len(fuzzPrincipals)]
		path := "/v1/tickets/" + url.PathEscape(ticket) + "/commands/" + name
		req := httptest.NewRequest("POST", "http://ledger"+path, strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+l.tokens[principal])
		req.Header.Set("Content-Type", "application/json")
		if who < 128 { // else the id must come from the body
			req.Header.Set("Idempotency-Key", fmt.Sprintf("fz-%d", n.Add(1)))
		}
		head := func() uint64 { // l.head reports to f, which a fuzz function may not use
			h, err := projections.Head(ctx, l.store)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
		before := head()
		rec := httptest.NewRecorder()
		checkContract(t, l.api).ServeHTTP(rec, req)
		after := head()

		switch status := rec.Code; {
		case status >= 500:
			t.Fatalf("%s %s as %s: %d %s", name, ticket, principal, status, rec.Body)
		case status >= 400:
			if after != before {
				t.Fatalf("%s %s as %s: %d yet %d events recorded: %s", name, ticket, principal, status, after-before, rec.Body)
			}
		case status == http.StatusOK || status == http.StatusCreated:
			if after == before {
				return // a replay: nothing new
			}
			recs, err := l.store.ReadAll(ctx, before, int(after-before))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				env, err := events.Decode(r.Data)
				if err != nil {
					t.Fatalf("%s as %s recorded an event that does not decode: %v", name, principal, err)
				}
				if _, _, err := commands.LoadTicket(ctx, l.store, events.TicketOf(env.Stream)); err != nil {
					t.Fatalf("%s as %s left a stream that does not fold: %v", name, principal, err)
				}
			}
		default:
			t.Fatalf("%s as %s: unexpected status %d: %s", name, principal, status, rec.Body)
		}
	})
}
