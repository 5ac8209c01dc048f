package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
)

// TestEveryRefusedCommandRecordsNothing has every principal a token can
// carry try every command on a ticket whose merchant response deadline is
// overdue, and checks the answer: 403 for a command the role may not issue
// (the domain's permission table), 404 exactly like a ticket that does not
// exist for a non-party (even with If-Match), 422 ticket_exists for opening
// a taken id; the parties' and the platform's permitted commands, with
// well-formed data, are decided against what the overdue deadline caused
// (the silent merchant's request auto-approved and refunded: the ticket is
// closed) and refused by the rules. Every cell checks that the ledger is
// unchanged: no overdue deadline is fired on a refused command's account,
// whether it was refused by authorization or by the rules. (The whole
// matrix, with accepted cells, runs through commands.Handler in
// TestAuthorityMatrix.)
func TestEveryRefusedCommandRecordsNothing(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); refusedCommands(t, newLedger(t, options{})) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); refusedCommands(t, newLedger(t, options{postgres: true})) })
}

func refusedCommands(t *testing.T, l *ledger) {
	l.as("buyer:b-1").ok("T-1", "open_ticket", "c-open", openData("m-1"))
	l.clock.Advance(10 * 24 * time.Hour) // merchant_response is overdue; no scheduler runs
	head := l.head()

	principals := []string{"buyer:b-1", "buyer:b-2", "merchant:m-1", "merchant:m-2", "agent:cs-1", "auditor:au-1",
		"arbitrator:arb-1", "arbitrator:arb-2", "senior_arbitrator:sr-1"}
	perms := domain.Permissions()
	tried, ruleRefused := 0, 0
	for _, who := range principals {
		c := l.as(who)
		role, id := splitPrincipal(who)
		for _, name := range httpapi.APICommands() {
			allowed := slices.Contains(perms[name], role)
			owner := (role == events.RoleBuyer && id == "b-1") || (role == events.RoleMerchant && id == "m-1") ||
				(role != events.RoleBuyer && role != events.RoleMerchant)
			key := fmt.Sprintf("x-%s-%s", id, name)
			if allowed && owner {
				res := c.command("T-1", name, key, sampleData(t, name))
				if name == "open_ticket" {
					require.Equal(t, http.StatusUnprocessableEntity, res.status, "%s %s: %s", who, name, res.body)
					assert.Equal(t, "ticket_exists", res.problem(t).Code, "%s %s", who, name)
				} else {
					require.Equal(t, http.StatusUnprocessableEntity, res.status, "%s %s: %s", who, name, res.body)
					assert.Equal(t, "ticket_closed", res.problem(t).Code, "%s %s: refused by the rules, against the expiry's effect", who, name)
					ruleRefused++
				}
				assert.Equal(t, head, l.head(), "%s %s: refused, nothing recorded", who, name)
				continue
			}
			tried++
			res := c.command("T-1", name, key, nil)
			switch {
			case !allowed:
				require.Equal(t, http.StatusForbidden, res.status, "%s %s: %s", who, name, res.body)
				assert.Equal(t, "role_not_allowed", res.problem(t).Code, "%s %s", who, name)
			case name == "open_ticket":
				require.Equal(t, http.StatusUnprocessableEntity, res.status, "%s %s: %s", who, name, res.body)
				assert.Equal(t, "ticket_exists", res.problem(t).Code, "%s %s", who, name)
			default:
				assertLikeMissing(t, l, c, name, res)
				withIfMatch := c.command("T-1", name, key, nil, "If-Match", `"0"`)
				assertLikeMissing(t, l, c, name, withIfMatch)
			}
			assert.Equal(t, head, l.head(), "%s %s: refused, nothing recorded", who, name)
		}
	}
	assert.Equal(t, head, l.head(), "nothing recorded")
	assert.Greater(t, tried, 100)
	assert.Greater(t, ruleRefused, 20, "permitted commands refused by the rules")
	auditorTried := 0
	for _, name := range httpapi.APICommands() {
		if res := l.as("auditor:au-1").command("T-1", name, "a-"+name, nil); res.status == http.StatusForbidden {
			auditorTried++
		}
	}
	assert.Len(t, httpapi.APICommands(), auditorTried, "an auditor writes nothing")

	// expire_deadline belongs to the scheduler: no route offers it.
	res := l.as("agent:cs-1").command("T-1", "expire_deadline", "x-exp", map[string]any{"deadline": "merchant_response"})
	assert.Equal(t, http.StatusNotFound, res.status)
	assert.Equal(t, head, l.head())
}

// assertLikeMissing checks that res, a non-party's answer on T-1, is the
// answer the same principal gets for the same command on a ticket that does
// not exist, in every member but the request's own id and path.
func assertLikeMissing(t *testing.T, l *ledger, c client, name string, res response) {
	t.Helper()
	missing := c.command("T-none", name, "x-missing-"+name, nil)
	require.Equal(t, http.StatusNotFound, missing.status, string(missing.body))
	require.Equal(t, http.StatusNotFound, res.status, "%s %s: %s", c.name, name, res.body)
	got, want := res.problem(t), missing.problem(t)
	got.RequestID, got.Instance, want.RequestID, want.Instance = "", "", "", ""
	assert.Equal(t, want, got, "%s %s", c.name, name)
	assert.Equal(t, missing.header.Get("ETag"), res.header.Get("ETag"), "no revision leaks")
}

// TestReadsAreScoped checks that buyers and merchants read only their own
// tickets and scores, and that the platform reads everything.
func TestReadsAreScoped(t *testing.T) {
	t.Parallel()
	l := newLedger(t, options{})
	l.as("buyer:b-1").ok("T-1", "open_ticket", "c-open", openData("m-1"))

	tests := []struct {
		who, path string
		status    int
	}{
		{"buyer:b-1", "/v1/tickets/T-1", 200},
		{"merchant:m-1", "/v1/tickets/T-1/history", 200},
		{"agent:cs-1", "/v1/tickets/T-1", 200},
		{"auditor:au-1", "/v1/tickets/T-1/history", 200},
		{"senior_arbitrator:sr-1", "/v1/tickets/T-1", 200},
		{"buyer:b-2", "/v1/tickets/T-1", 404},
		{"buyer:b-2", "/v1/tickets/T-1/history", 404},
		{"merchant:m-2", "/v1/tickets/T-1", 404},
		{"merchant:m-2", "/v1/tickets/T-1/audit", 404},
		{"buyer:b-2", "/v1/tickets?buyer_id=b-1", 200},
		{"merchant:m-2", "/v1/tickets?merchant_id=m-1", 200},
		{"merchant:m-2", "/v1/merchants/m-1/score", 404},
		{"buyer:b-1", "/v1/merchants/m-1/score", 403},
		{"buyer:b-1", "/v1/merchants/scores", 403},
		{"buyer:b-2", "/v1/events?ticket_id=T-1", 404},
		{"merchant:m-2", "/v1/events?ticket_id=T-1", 404},
		{"auditor:au-1", "/v1/tickets/T-9", 404},
	}
	for _, tc := range tests {
		res := l.as(tc.who).get(tc.path)
		assert.Equal(t, tc.status, res.status, "%s GET %s: %s", tc.who, tc.path, res.body)
		if tc.status >= 400 {
			res.problem(t)
		}
	}
}

func splitPrincipal(s string) (events.Role, string) {
	for i := range s {
		if s[i] == ':' {
			return events.Role(s[:i]), s[i+1:]
		}
	}
	return events.Role(s), ""
}

// sampleData is well-formed data for every command, so that a permitted
// principal's command gets past validation to the rules of the ticket's state.
func sampleData(t *testing.T, name string) json.RawMessage {
	t.Helper()
	ship := events.Shipment{Carrier: "SF", TrackingNumber: "SF1"}
	item := events.EvidenceItem{ID: "ev-1", Kind: "photo", Description: "photo", SHA256: strings.Repeat("ab", 32), URI: "https://files.example/ev-1"}
	samples := []domain.Command{
		domain.OpenTicket{TicketID: "T-1", OrderID: "O-1", MerchantID: "m-1", Kind: events.KindRefundOnly, Reason: events.ReasonQuality,
			Currency: "CNY", AmountPaid: 5000, Requested: 5000, Description: "again", OrderShipped: true},
		domain.ReviseRequest{Requested: 100, Description: "less"}, domain.Withdraw{Note: "done"},
		domain.Agree{ReturnAddress: "A"}, domain.Reject{Reason: "no"},
		domain.MakeOffer{Kind: events.OfferPartialRefund, Amount: 100, Note: "some"}, domain.AcceptOffer{},
		domain.DeclineOffer{Reason: "no"}, domain.ShipReturn{Shipment: ship}, domain.ConfirmReceipt{},
		domain.IssueRefund{Amount: 100}, domain.ShipReplacement{Shipment: ship}, domain.ConfirmReplacement{},
		domain.RequestIntervention{Reason: "help"}, domain.RequestEvidence{Note: "please"},
		domain.SubmitEvidence{Items: []events.EvidenceItem{item}}, domain.MarkResolved{Note: "ok"},
		domain.Rule{Terms: events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant, Refund: 100}, Rationale: "r", Evidence: []string{}},
		domain.FileAppeal{Grounds: "g"}, domain.DecideAppeal{Decision: events.AppealUpheld, Rationale: "r"},
		domain.PostMessage{Text: "hi"},
	}
	for _, c := range samples {
		if c.CommandName() == name {
			data, err := json.Marshal(c)
			require.NoError(t, err)
			return data
		}
	}
	t.Fatalf("no sample of %s", name)
	return nil
}
