package audit_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/sqliteaudit"
	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
)

// TestAnotherPrincipalsKeyIsAnotherDecision is the attack found against the
// running server: command ids are scoped to their principal, so a merchant
// may send the key a buyer just used, and both commands are recorded, one
// after the other, with one command id. The verifier grouped a ticket's
// events into decisions by command id alone, so it replayed the two as one
// command and reported a false event_rules finding: any party could make an
// honest ledger fail verification. A decision is now one command id and one
// actor.
func TestAnotherPrincipalsKeyIsAnotherDecision(t *testing.T) {
	t.Parallel()
	buyer := events.Actor{Role: events.RoleBuyer, ID: "b-1"}
	merchant := events.Actor{Role: events.RoleMerchant, ID: "m-1"}
	for _, tc := range []struct {
		name string
		// second is sent by the merchant with the key of the buyer's last command.
		buyerLast string
		buyerData string
		second    string
		data      string
	}{
		{"a message after a message", "post_message", `{"text":"where is my refund?"}`, "post_message", `{"text":"on its way"}`},
		{"a reply after a message", "post_message", `{"text":"it arrived broken"}`, "reject", `{"reason":"the buyer damaged it"}`},
		{"a reply after the open", "", "", "reject", `{"reason":"the buyer damaged it"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "ledger.db")
			store, err := sqlite.Open(ctx, path, sqlite.Config{})
			require.NoError(t, err)
			h := commands.NewHandler(store)
			send := func(id string, actor events.Actor, name, data string) {
				t.Helper()
				req := commands.Request{CommandID: id, TicketID: "T-1", Actor: actor, Command: name, Data: []byte(data)}
				cmd, err := commands.DecodeCommand(name, req.Data)
				require.NoError(t, err)
				_, err = h.Handle(ctx, req, cmd)
				require.NoError(t, err)
			}
			send("k-open", buyer, "open_ticket", `{"order_id":"O-1","merchant_id":"m-1","kind":"refund_only","reason":"quality",
				"currency":"CNY","amount_paid":5000,"requested":5000,"order_shipped":true}`)
			shared := "k-open"
			if tc.buyerLast != "" {
				shared = "k-shared"
				send(shared, buyer, tc.buyerLast, tc.buyerData)
			}
			send(shared, merchant, tc.second, tc.data)
			require.NoError(t, store.Close())

			raw, err := sqliteaudit.OpenReadOnly(ctx, path)
			require.NoError(t, err)
			defer raw.Close()
			rep, err := audit.VerifyLog(ctx, path, raw, raw, audit.Options{TrustOnFirstUse: true, Policies: audit.NewPolicySet(policy.Default())})
			require.NoError(t, err)
			for check := range rep.Counts {
				assert.Equal(t, audit.CheckSealMissing, check, "an honest ledger has no finding but its missing seals: %+v", rep.Findings)
			}
		})
	}
}
