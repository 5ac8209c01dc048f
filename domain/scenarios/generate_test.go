package scenarios_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
)

var generatedStart = time.Date(2026, 8, 2, 9, 30, 0, 0, time.FixedZone("Asia/Shanghai", 8*3600))

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	a := scenarios.Generate(7, 50, generatedStart, pol)
	b := scenarios.Generate(7, 50, generatedStart, pol)
	require.Len(t, a, 50)
	assert.Equal(t, a, b, "same seed, same scenarios")
	c := scenarios.Generate(8, 50, generatedStart, pol)
	assert.NotEqual(t, a[0].Steps, c[0].Steps, "another seed, other scenarios")
}

// generatedRun is what playing a batch of generated scenarios produced.
type generatedRun struct {
	scs         []scenarios.Scenario
	tickets     []domain.Ticket
	resolutions map[domain.Resolution]int
	types       map[string]int
	expired     map[events.DeadlineKind]int
	appeals     map[events.AppealDecision]int
	vague       int
	merchants   map[string]int
	buyers      map[string]int
	kinds       map[events.TicketKind]int
}

func playGenerated(t *testing.T, seed int64, n int) generatedRun {
	t.Helper()
	pol := policy.Default()
	run := generatedRun{
		scs: scenarios.Generate(seed, n, generatedStart, pol), resolutions: map[domain.Resolution]int{},
		types: map[string]int{}, expired: map[events.DeadlineKind]int{}, appeals: map[events.AppealDecision]int{},
		merchants: map[string]int{}, buyers: map[string]int{}, kinds: map[events.TicketKind]int{},
	}
	require.Len(t, run.scs, n)
	for _, sc := range run.scs {
		envs, err := scenarios.Play(sc, pol, nil)
		require.NoError(t, err, "generated scenario %s must play", sc.Name)
		require.NoError(t, events.VerifyChain(nil, envs))
		tk := domain.Replay(envs)
		run.tickets = append(run.tickets, tk)
		run.resolutions[tk.Resolution]++
		run.merchants[tk.MerchantID]++
		run.buyers[tk.BuyerID]++
		run.kinds[tk.Kind]++
		for _, env := range envs {
			run.types[env.Type]++
			switch p := env.Payload.(type) {
			case events.DeadlineExpired:
				run.expired[p.Deadline]++
			case events.AppealDecided:
				run.appeals[p.Decision]++
			case events.MessagePosted:
				if p.VagueDeadline {
					run.vague++
				}
			}
		}
	}
	return run
}

// TestGeneratePlays plays generated tickets through Decide and Apply and
// checks that, together, they walk the whole lifecycle in marketplace-like
// proportions.
func TestGeneratePlays(t *testing.T) {
	t.Parallel()
	const n = 600
	run := playGenerated(t, 1, n)

	names, ids := map[string]bool{}, map[string]bool{}
	for i, sc := range run.scs {
		assert.False(t, names[sc.Name] || ids[sc.TicketID], "%s: names and ticket ids are unique", sc.Name)
		names[sc.Name], ids[sc.TicketID] = true, true
		assert.NotEmpty(t, sc.Title)
		if i > 0 {
			assert.False(t, sc.Start.Before(run.scs[i-1].Start), "scenarios are in opening order")
		}
		assert.True(t, run.tickets[i].Closed(), "%s plays to its close", sc.Name)
		assert.True(t, strings.HasPrefix(run.tickets[i].MerchantID, "m-"))
		assert.True(t, strings.HasPrefix(run.tickets[i].BuyerID, "b-"))
		assert.LessOrEqual(t, run.tickets[i].Refunded, run.tickets[i].AmountPaid)
	}
	span := run.scs[n-1].Start.Sub(run.scs[0].Start)
	assert.Greater(t, span, 60*24*time.Hour, "openings are staggered over months")
	assert.LessOrEqual(t, span, scenarios.GeneratedSpan+time.Hour)

	for _, typ := range events.Types() {
		assert.Positive(t, run.types[typ], "no generated ticket records %s", typ)
	}
	for _, kind := range events.DeadlineKinds() {
		assert.Positive(t, run.expired[kind], "no generated ticket lets %s expire", kind)
	}
	for _, r := range []domain.Resolution{domain.ResolutionRefunded, domain.ResolutionExchanged, domain.ResolutionAgreed,
		domain.ResolutionResolved, domain.ResolutionWithdrawn, domain.ResolutionExpired, domain.ResolutionAbandoned, domain.ResolutionRuled} {
		assert.Positive(t, run.resolutions[r], "no generated ticket closes as %s", r)
	}
	assert.Positive(t, run.appeals[events.AppealUpheld])
	assert.Positive(t, run.appeals[events.AppealOverturned])
	assert.Positive(t, run.vague, "some merchants answer vaguely")
	for _, k := range []events.TicketKind{events.KindRefundOnly, events.KindReturnRefund, events.KindExchange} {
		assert.Positive(t, run.kinds[k])
	}

	share := func(r domain.Resolution) float64 { return float64(run.resolutions[r]) / n }
	quick := share(domain.ResolutionRefunded) + share(domain.ResolutionExchanged) + share(domain.ResolutionAgreed)
	assert.Greater(t, quick, 0.6, "most tickets end by agreement or refund")
	assert.InDelta(t, 0.08, share(domain.ResolutionRuled), 0.06, "some are ruled")
	assert.Less(t, run.types[events.TypeAppealFiled], run.types[events.TypeRulingRecorded]/4, "a few rulings are appealed")

	assert.InDelta(t, 60, len(run.merchants), 10, "spread over ~60 merchants")
	assert.Greater(t, len(run.buyers), n/3, "many buyers")
	assert.Less(t, len(run.buyers), n, "some buyers come back")
}
