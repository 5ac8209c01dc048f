package domain_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// Monday 2026-11-02 10:00 in Shanghai.
var t0 = time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)

var (
	buyer      = events.Actor{Role: events.RoleBuyer, ID: "b-1"}
	otherBuyer = events.Actor{Role: events.RoleBuyer, ID: "b-2"}
	merchant   = events.Actor{Role: events.RoleMerchant, ID: "m-1"}
	otherMerch = events.Actor{Role: events.RoleMerchant, ID: "m-2"}
	agent      = events.Actor{Role: events.RoleAgent, ID: "cs-1"}
	arbitrator = events.Actor{Role: events.RoleArbitrator, ID: "arb-1"}
	senior     = events.Actor{Role: events.RoleSeniorArbitrator, ID: "sr-1"}
	seniorArb1 = events.Actor{Role: events.RoleSeniorArbitrator, ID: "arb-1"}
	auditor    = events.Actor{Role: events.RoleAuditor, ID: "au-1"}
	system     = events.SystemActor()
)

type step struct {
	at    time.Duration // after t0
	actor events.Actor
	cmd   domain.Command
}

// ledger is an in-memory stream driven through Decide and Apply, as the
// command handler does, but without a store.
type ledger struct {
	tb     testing.TB
	pol    policy.Policy
	ticket domain.Ticket
	stream []events.Envelope
}

func newLedger(tb testing.TB) *ledger { return &ledger{tb: tb, pol: policy.Default()} }

// do decides and, if accepted, records the command's events.
func (l *ledger) do(s step) ([]events.Payload, error) {
	now := t0.Add(s.at)
	payloads, err := domain.Decide(l.ticket, s.actor, s.cmd, now, l.pol)
	if err != nil {
		return nil, err
	}
	var last *events.Envelope
	if n := len(l.stream); n > 0 {
		last = &l.stream[n-1]
	}
	cause := events.Cause{OccurredAt: now, Actor: s.actor, CommandID: fmt.Sprintf("cmd-%d", len(l.stream)), CorrelationID: "T-1"}
	sealed, _, err := events.Record(last, events.StreamFor("T-1"), cause, payloads, events.NewV7)
	require.NoError(l.tb, err)
	for _, env := range sealed {
		l.ticket = l.ticket.Apply(env)
	}
	l.stream = append(l.stream, sealed...)
	return payloads, nil
}

// given plays steps that must all be accepted.
func (l *ledger) given(steps ...step) *ledger {
	l.tb.Helper()
	for i, s := range steps {
		_, err := l.do(s)
		require.NoErrorf(l.tb, err, "given step %d (%s by %s)", i, s.cmd.CommandName(), s.actor)
	}
	return l
}

func types(ps []events.Payload) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.EventType()
	}
	return out
}

func delivered() *time.Time { d := t0.Add(-48 * time.Hour); return &d }

func open(kind events.TicketKind) step {
	reason := events.ReasonQuality
	return step{0, buyer, domain.OpenTicket{TicketID: "T-1", OrderID: "O-1", MerchantID: "m-1", Kind: kind,
		Reason: reason, Currency: "CNY", AmountPaid: 19900, Requested: 19900, Description: "屏幕有坏点",
		OrderShipped: true, DeliveredAt: delivered()}}
}

const h = time.Hour

func evidenceItem(id string) events.EvidenceItem {
	return events.EvidenceItem{ID: id, Kind: "photo", Description: "unboxing photo",
		SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", URI: "oss://evidence/" + id}
}

// Stages: step lists that bring a fresh ticket to a stage of the lifecycle.
var (
	stageAwaitingMerchant = []step{open(events.KindReturnRefund)}
	stageRejected         = append(stageAwaitingMerchant[:1:1], step{1 * h, merchant, domain.Reject{Reason: "人为损坏"}})
	stageOfferPending     = append(stageAwaitingMerchant[:1:1], step{1 * h, merchant, domain.MakeOffer{Kind: events.OfferPartialRefund, Amount: 5000}})
	stageAwaitingReturn   = append(stageAwaitingMerchant[:1:1], step{1 * h, merchant, domain.Agree{ReturnAddress: "杭州市余杭区"}})
	stageReturnInTransit  = append(stageAwaitingReturn[:2:2], step{2 * h, buyer, domain.ShipReturn{Shipment: events.Shipment{Carrier: "SF", TrackingNumber: "SF100"}}})
	stageAwaitingRefund   = append(stageReturnInTransit[:3:3], step{30 * h, merchant, domain.ConfirmReceipt{}})
	stageNegotiation      = append(stageRejected[:2:2], step{3 * h, buyer, domain.RequestIntervention{Reason: "商家拒绝"}})
	stageAwaitingEvidence = append(stageNegotiation[:3:3], step{27 * h, system, domain.ExpireDeadline{Deadline: events.DeadlineNegotiation}})
	stageUnderReview      = append(stageAwaitingEvidence[:4:4],
		step{27*h + 10*time.Minute, merchant, domain.SubmitEvidence{Items: []events.EvidenceItem{evidenceItem("ev-m1")}}},
		step{27*h + 20*time.Minute, buyer, domain.SubmitEvidence{Items: []events.EvidenceItem{evidenceItem("ev-b1")}}},
		step{60 * h, system, domain.ExpireDeadline{Deadline: events.DeadlineEvidence}})
	stageRuled = append(stageUnderReview[:7:7], step{61 * h, arbitrator, domain.Rule{
		Terms:     events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant, Refund: 19900},
		Rationale: "photos show a defect", Evidence: []string{"ev-m1", "ev-b1"}}})
	stageUnderAppeal = append(stageRuled[:8:8], step{62 * h, merchant, domain.FileAppeal{Grounds: "photos are of another unit"}})
	stageWithdrawn   = append(stageAwaitingMerchant[:1:1], step{1 * h, buyer, domain.Withdraw{}})
	exchangeReship   = []step{open(events.KindExchange), {1 * h, merchant, domain.Agree{ReturnAddress: "A"}},
		{2 * h, buyer, domain.ShipReturn{Shipment: events.Shipment{Carrier: "SF", TrackingNumber: "1"}}},
		{3 * h, merchant, domain.ConfirmReceipt{}}}
)
