package commands_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/projections"
)

// ledgerClock is a test clock that can be moved while a handler runs.
type ledgerClock struct{ unix atomic.Int64 }

func (c *ledgerClock) now() time.Time      { return time.Unix(c.unix.Load(), 0).UTC() }
func (c *ledgerClock) set(t time.Time)     { c.unix.Store(t.Unix()) }
func newClock(t time.Time) *ledgerClock    { c := &ledgerClock{}; c.set(t); return c }
func (c *ledgerClock) add(d time.Duration) { c.set(c.now().Add(d)) }

func newClockedHandler(t *testing.T) (*commands.Handler, eventstore.Store, *ledgerClock) {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"), sqlite.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	clock := newClock(now)
	return commands.NewHandler(store, commands.WithClock(clock.now)), store, clock
}

var (
	buyer      = events.Actor{Role: events.RoleBuyer, ID: "b-1"}
	otherBuyer = events.Actor{Role: events.RoleBuyer, ID: "b-2"}
	merchant   = events.Actor{Role: events.RoleMerchant, ID: "m-1"}
	otherMerch = events.Actor{Role: events.RoleMerchant, ID: "m-2"}
	// everyone is every role: the ticket's own parties, other buyers and
	// merchants, the platform, an auditor and the scheduler.
	everyone = []events.Actor{buyer, otherBuyer, merchant, otherMerch,
		{Role: events.RoleAgent, ID: "cs-1"}, {Role: events.RoleArbitrator, ID: "arb-1"},
		{Role: events.RoleSeniorArbitrator, ID: "sr-1"}, {Role: events.RoleAuditor, ID: "au-1"}, events.SystemActor()}
)

// openReturn opens ticket id for b-1 against m-1: a return and refund whose
// merchant_response deadline starts now.
func openReturn(id string) domain.OpenTicket {
	delivered := now.Add(-48 * time.Hour)
	return domain.OpenTicket{TicketID: id, OrderID: "O-" + id, MerchantID: "m-1", Kind: events.KindReturnRefund,
		Reason: events.ReasonQuality, Currency: "CNY", AmountPaid: 19900, Requested: 19900, Description: "cracked",
		OrderShipped: true, DeliveredAt: &delivered}
}

// sampleCommand is a well-formed instance of every command, so that a
// permitted actor's command gets as far as the rules of the ticket's state.
func sampleCommand(name, ticketID string) domain.Command {
	ship := events.Shipment{Carrier: "SF", TrackingNumber: "SF1"}
	item := events.EvidenceItem{ID: "ev-1", Kind: "photo", Description: "photo", SHA256: strings.Repeat("ab", 32), URI: "oss://ev-1"}
	samples := []domain.Command{
		openReturn(ticketID), domain.ReviseRequest{Requested: 100, Description: "less"}, domain.Withdraw{Note: "done"},
		domain.Agree{ReturnAddress: "A"}, domain.Reject{Reason: "no"},
		domain.MakeOffer{Kind: events.OfferPartialRefund, Amount: 100, Note: "some"}, domain.AcceptOffer{},
		domain.DeclineOffer{Reason: "no"}, domain.ShipReturn{Shipment: ship}, domain.ConfirmReceipt{},
		domain.IssueRefund{Amount: 19900}, domain.ShipReplacement{Shipment: ship}, domain.ConfirmReplacement{},
		domain.RequestIntervention{Reason: "help"}, domain.RequestEvidence{Note: "please"},
		domain.SubmitEvidence{Items: []events.EvidenceItem{item}}, domain.MarkResolved{Note: "ok"},
		domain.Rule{Terms: events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant, Refund: 19900}, Rationale: "r"},
		domain.FileAppeal{Grounds: "g"}, domain.DecideAppeal{Decision: events.AppealUpheld, Rationale: "r"},
		domain.PostMessage{Text: "hi"}, domain.ExpireDeadline{Deadline: events.DeadlineMerchantResponse},
	}
	for _, c := range samples {
		if c.CommandName() == name {
			return c
		}
	}
	panic("no sample of " + name)
}

func head(t *testing.T, store eventstore.Store) uint64 {
	t.Helper()
	h, err := projections.Head(context.Background(), store)
	require.NoError(t, err)
	return h
}

func appendedSince(t *testing.T, store eventstore.Store, after uint64) []events.Envelope {
	t.Helper()
	recs, err := store.ReadAll(context.Background(), after, 0)
	require.NoError(t, err)
	out := make([]events.Envelope, len(recs))
	for i, rec := range recs {
		out[i], err = events.Decode(rec.Data)
		require.NoError(t, err)
	}
	return out
}

// TestAuthorityMatrix walks every role × every command × party and
// non-party on tickets whose merchant_response deadline is overdue, through
// commands.Handler on SQLite. A command the actor may not issue — by role,
// or on a ticket it is not a party of — is answered by its class
// (forbidden, or not found exactly like a missing ticket). Every refused
// command — by authorization or by the rules — appends nothing at all: no
// overdue deadline is fired on its account. An accepted command appends, in
// one append, the overdue expiry (as the scheduler would record it) and its
// own events, and nothing else.
func TestAuthorityMatrix(t *testing.T) {
	t.Parallel()
	h, inner, clock := newClockedHandler(t)
	store := &countingStore{Store: inner}
	h = commands.NewHandler(store, commands.WithClock(clock.now))
	ctx := context.Background()
	perms := domain.Permissions()
	cells, refusals, accepted := 0, 0, 0
	for _, actor := range everyone {
		for _, zero := range domain.Commands() {
			name := zero.CommandName()
			cells++
			// A fresh ticket per cell, so that each one starts overdue.
			clock.set(now)
			ticket := fmt.Sprintf("T-%d", cells)
			_, err := h.Handle(ctx, commands.Request{CommandID: "open", TicketID: ticket, Actor: buyer, Command: "open_ticket"}, openReturn(ticket))
			require.NoError(t, err)
			// 4 days: merchant_response (72 h) is overdue; the return window
			// its auto-approval opens is not, so some commands are accepted.
			clock.add(4 * 24 * time.Hour)
			before, appends := head(t, store), store.appends.Load()

			req := commands.Request{CommandID: "cell-" + name, TicketID: ticket, Actor: actor, Command: name}
			res, err := h.Handle(ctx, req, sampleCommand(name, ticket))
			got := appendedSince(t, store, before)
			what := fmt.Sprintf("%s %s", actor, name)

			allowed := slices.Contains(perms[name], actor.Role)
			party := actor != otherBuyer && actor != otherMerch
			switch {
			case !allowed:
				assert.Equal(t, commands.KindForbidden, commands.Classify(err).Kind, "%s: %v", what, err)
			case name == "open_ticket":
				assert.ErrorIs(t, err, domain.ErrTicketExists, what)
			case !party:
				assert.Equal(t, commands.KindNotFound, commands.Classify(err).Kind, "%s: %v", what, err)
				assert.Equal(t, "ticket_not_found", commands.Classify(err).Code, what)
			}
			if !allowed || !party {
				refusals++
				assert.Empty(t, got, "%s was refused and must append nothing", what)
				continue
			}
			if err != nil {
				refusals++
				kind := commands.Classify(err).Kind
				assert.Contains(t, []commands.ErrorKind{commands.KindRefused, commands.KindValidation}, kind, "%s: %v", what, err)
				assert.Empty(t, got, "%s was refused by the rules (%v) and must append nothing", what, err)
				continue
			}
			// Accepted: the overdue expiry, as the scheduler would record
			// it, then the command's own events, in one append.
			accepted++
			assert.Equal(t, appends+1, store.appends.Load(), "%s: one append", what)
			require.Equal(t, ids(append(slices.Clone(res.Fired), res.Events...)), ids(got), what)
			assert.NotEmpty(t, res.Events, what)
			for i, env := range got {
				assert.Equal(t, got[0].Revision+uint64(i), env.Revision, what)
				if i < len(res.Fired) {
					assert.Equal(t, events.SystemActor(), env.Actor, what)
					assert.True(t, strings.HasPrefix(env.CommandID, commands.SystemCommandIDPrefix+ticket+":"), "%s: %s", what, env.CommandID)
				} else {
					assert.Equal(t, actor, env.Actor, what)
					assert.Equal(t, req.CommandID, env.CommandID, what)
				}
			}
			if name != "expire_deadline" {
				assert.NotEmpty(t, res.Fired, "%s: an accepted command records the overdue deadline with it", what)
			}
		}
	}
	assert.Equal(t, len(everyone)*len(domain.Commands()), cells)
	assert.Greater(t, refusals, 150, "most of the matrix is refusals")
	assert.Positive(t, accepted, "some permitted commands are accepted")
	t.Logf("%d cells: %d refused, %d accepted", cells, refusals, accepted)
}
