package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// TestParcelReportedNotReceivedMayStillArrive (docs/domain.md lifecycle 3 and 6):
// after the merchant reported the return not received, its receipt can
// still be confirmed, plainly or with another problem, while that rejection
// stands or under intervention.
func TestParcelReportedNotReceivedMayStillArrive(t *testing.T) {
	t.Parallel()
	notReceived := step{30 * h, merchant, domain.ConfirmReceipt{Problem: events.ProblemNotReceived, Note: "物流显示签收，仓库未收到"}}
	reported := append(stageReturnInTransit[:3:3], notReceived)                                              // rejected, buyer may escalate
	escalated := append(reported[:4:4], step{31 * h, buyer, domain.RequestIntervention{Reason: "商家称未收到退货"}}) // locked
	ruled := append(escalated[:5:5],
		step{55 * h, system, domain.ExpireDeadline{Deadline: events.DeadlineNegotiation}},
		step{80 * h, system, domain.ExpireDeadline{Deadline: events.DeadlineEvidence}},
		step{81 * h, arbitrator, domain.Rule{Terms: events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant, Refund: 19900}, Rationale: "签收记录"}})
	exchangeReported := []step{open(events.KindExchange), stageAwaitingReturn[1], stageReturnInTransit[2], notReceived}
	arrived := 50 * h

	tests := []struct {
		name        string
		given       []step
		when        step
		wantErr     error
		want        []string
		status      domain.Status
		ret         domain.ReturnStatus
		locked      bool
		deadlines   map[events.DeadlineKind]time.Time
		mayEscalate bool
	}{
		// While the not-received rejection stands.
		{name: "report makes a rejection the buyer may escalate", given: stageReturnInTransit, when: notReceived,
			want: []string{events.TypeReturnProblemReported}, status: domain.StatusRejected, ret: domain.ReturnNotReceived,
			deadlines: map[events.DeadlineKind]time.Time{events.DeadlineBuyerEscalation: t0.Add(30*h + 7*24*h)}, mayEscalate: true},
		{name: "arrived: refund kind awaits the refund, 7 days from the confirmation", given: reported,
			when: step{arrived, merchant, domain.ConfirmReceipt{}},
			want: []string{events.TypeReturnReceived}, status: domain.StatusAwaitingRefund, ret: domain.ReturnReceived,
			deadlines: map[events.DeadlineKind]time.Time{events.DeadlineMerchantRefund: t0.Add(arrived + 7*24*h)}},
		{name: "arrived: exchange awaits the reship, 72 h from the confirmation", given: exchangeReported,
			when: step{arrived, merchant, domain.ConfirmReceipt{}},
			want: []string{events.TypeReturnReceived}, status: domain.StatusAwaitingReship, ret: domain.ReturnReceived,
			deadlines: map[events.DeadlineKind]time.Time{events.DeadlineMerchantReship: t0.Add(arrived + 72*h)}},
		{name: "arrived damaged: a new rejection, a new escalation window", given: reported,
			when: step{arrived, merchant, domain.ConfirmReceipt{Problem: events.ProblemDamaged, Note: "外箱破损"}},
			want: []string{events.TypeReturnProblemReported}, status: domain.StatusRejected, ret: domain.ReturnProblem,
			deadlines: map[events.DeadlineKind]time.Time{events.DeadlineBuyerEscalation: t0.Add(arrived + 7*24*h)}, mayEscalate: true},
		{name: "not received twice is refused", given: reported,
			when:    step{arrived, merchant, domain.ConfirmReceipt{Problem: events.ProblemNotReceived}},
			wantErr: domain.ErrWrongState},
		{name: "another merchant cannot confirm", given: reported,
			when: step{arrived, otherMerch, domain.ConfirmReceipt{}}, wantErr: domain.ErrNotYourTicket},
		{name: "the buyer cannot confirm", given: reported,
			when: step{arrived, buyer, domain.ConfirmReceipt{}}, wantErr: domain.ErrRoleNotAllowed},
		{name: "after a revised request the late receipt is refused", given: append(reported[:4:4], step{40 * h, buyer, domain.ReviseRequest{Requested: 9900}}),
			when: step{arrived, merchant, domain.ConfirmReceipt{}}, wantErr: domain.ErrWrongState},
		{name: "after the ticket expired it is closed", given: append(reported[:4:4], step{30*h + 7*24*h, system, domain.ExpireDeadline{Deadline: events.DeadlineBuyerEscalation}}),
			when: step{30*h + 7*24*h + h, merchant, domain.ConfirmReceipt{}}, wantErr: domain.ErrTicketClosed},
		{name: "a problem after a plain receipt is refused", given: append(reported[:4:4], step{arrived, merchant, domain.ConfirmReceipt{}}),
			when: step{arrived + h, merchant, domain.ConfirmReceipt{Problem: events.ProblemDamaged}}, wantErr: domain.ErrWrongState},

		// Under intervention: locked, on record for the arbitrator, no party deadline.
		{name: "arrived under intervention: recorded, still locked", given: escalated,
			when: step{arrived, merchant, domain.ConfirmReceipt{}},
			want: []string{events.TypeReturnReceived}, status: domain.StatusNegotiation, ret: domain.ReturnReceived, locked: true,
			deadlines: map[events.DeadlineKind]time.Time{
				events.DeadlineNegotiation: t0.Add(31*h + 24*h), events.DeadlineRulingSLA: t0.Add(31*h + 72*h)}},
		{name: "arrived damaged under intervention: recorded, still locked", given: escalated,
			when: step{arrived, merchant, domain.ConfirmReceipt{Problem: events.ProblemPartsMissing, Note: "缺配件"}},
			want: []string{events.TypeReturnProblemReported}, status: domain.StatusNegotiation, ret: domain.ReturnProblem, locked: true,
			deadlines: map[events.DeadlineKind]time.Time{
				events.DeadlineNegotiation: t0.Add(31*h + 24*h), events.DeadlineRulingSLA: t0.Add(31*h + 72*h)}},
		{name: "arrived after the ruling: recorded for the appeal, ruling stands", given: ruled,
			when: step{82 * h, merchant, domain.ConfirmReceipt{}},
			want: []string{events.TypeReturnReceived}, status: domain.StatusRuled, ret: domain.ReturnReceived, locked: true,
			deadlines: map[events.DeadlineKind]time.Time{events.DeadlineAppeal: t0.Add(81*h + 7*24*h)}},
		{name: "locked merchant still may not refund instead", given: escalated,
			when: step{arrived, merchant, domain.IssueRefund{}}, wantErr: domain.ErrTicketLocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newLedger(t).given(tt.given...)
			before := l.ticket
			got, err := l.do(tt.when)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Empty(t, got)
				assert.Equal(t, before.Revision, l.ticket.Revision, "a refusal records nothing")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, types(got))
			assert.Equal(t, tt.status, l.ticket.Status)
			assert.Equal(t, tt.ret, l.ticket.ReturnStatus)
			assert.Equal(t, tt.locked, l.ticket.Locked)
			assert.Equal(t, tt.deadlines, l.ticket.Deadlines)
			assert.Equal(t, tt.mayEscalate, l.ticket.BuyerMayEscalate)
		})
	}
}
