package commands_test

import (
	"encoding/json"
	"testing"

	"github.com/disputes-ledger/disputes/commands"
)

// BenchmarkDecodeCommandBody is what the HTTP API does with an
// open_ticket command's body before the handler runs: the body decoded
// strictly, then its data as the command.
//
//	go test -run '^$' -bench DecodeCommandBody -benchmem ./commands/
func BenchmarkDecodeCommandBody(b *testing.B) {
	body := []byte(`{"data":{"amount_paid":5000,"currency":"CNY","description":"screen cracked","kind":"refund_only",` +
		`"merchant_id":"m-1","order_id":"O-1","order_shipped":true,"reason":"quality","requested":5000}}`)
	for b.Loop() {
		var v struct {
			CommandID     string          `json:"command_id,omitempty"`
			CorrelationID string          `json:"correlation_id,omitempty"`
			Data          json.RawMessage `json:"data,omitempty"`
		}
		if err := commands.DecodeStrict("body", body, &v); err != nil {
			b.Fatal(err)
		}
		if _, err := commands.DecodeCommand("open_ticket", v.Data); err != nil {
			b.Fatal(err)
		}
	}
}
