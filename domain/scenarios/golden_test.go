package scenarios_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
)

// update rewrites the golden streams and states from Play:
//
//	go test ./scenarios/ -run TestGolden -update
//
// A changed stream is a changed history: review the diff as a change of
// rules or wire format, not as a fixture refresh.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/scenarios")

// goldenDir is the repository's top-level testdata/scenarios folder.
const goldenDir = "../../testdata/scenarios"

// goldenStart is the demo's start: Monday 2 November 2026, 09:30 in Shanghai.
var goldenStart = time.Date(2026, 11, 2, 9, 30, 0, 0, time.FixedZone("Asia/Shanghai", 8*3600))

func goldenSeeds(t *testing.T) map[string]scenarios.Scenario {
	t.Helper()
	byName := map[string]scenarios.Scenario{}
	for _, sc := range scenarios.Seeds(goldenStart) {
		byName[sc.Name] = sc
	}
	require.Len(t, byName, 5, "five seed scenarios with distinct names")
	return byName
}

// wireLines is the stream as a .jsonl file: one event's wire bytes per line.
func wireLines(t *testing.T, envs []events.Envelope) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, env := range envs {
		b, err := events.Encode(env)
		require.NoError(t, err)
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

func stateJSON(t *testing.T, tk domain.Ticket) []byte {
	t.Helper()
	b, err := json.MarshalIndent(tk, "", "  ")
	require.NoError(t, err)
	return append(b, '\n')
}

func golden(t *testing.T, name string, got []byte) []byte {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		require.NoError(t, os.MkdirAll(goldenDir, 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file %s (create it with: go test ./scenarios/ -run TestGolden -update)", path)
	return want
}

// decodeStream reads a .jsonl golden file strictly and checks its chain.
func decodeStream(t *testing.T, data []byte) []events.Envelope {
	t.Helper()
	var envs []events.Envelope
	for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		env, err := events.Decode(line)
		require.NoError(t, err, "line %d", i+1)
		envs = append(envs, env)
	}
	require.NoError(t, events.VerifyChain(nil, envs))
	return envs
}

// TestGolden pins each seed's event stream and final state byte for byte,
// and checks that the stored bytes alone (decoded, verified and replayed)
// give the stored final state.
func TestGolden(t *testing.T) {
	pol := policy.Default()
	for name, sc := range goldenSeeds(t) {
		t.Run(name, func(t *testing.T) {
			envs, err := scenarios.Play(sc, pol, nil)
			require.NoError(t, err)
			final := domain.Replay(envs)

			wantStream := golden(t, name+".jsonl", wireLines(t, envs))
			assert.Equal(t, string(wantStream), string(wireLines(t, envs)), "stream of %s changed", name)
			wantState := golden(t, name+".state.json", stateJSON(t, final))
			assert.Equal(t, string(wantState), string(stateJSON(t, final)), "final state of %s changed", name)

			replayed := domain.Replay(decodeStream(t, wantStream))
			assert.Equal(t, string(wantState), string(stateJSON(t, replayed)), "replaying the golden stream gives another state")
			assert.Equal(t, domain.StatusClosed, replayed.Status)
			assert.Equal(t, len(envs), replayed.Events)
		})
	}
}

// goldenTicket replays a seed's golden stream (not Play's output), so that
// the facts below are facts about the stored history.
func goldenTicket(t *testing.T, name string) (domain.Ticket, []events.Envelope) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(goldenDir, name+".jsonl"))
	require.NoError(t, err)
	envs := decodeStream(t, data)
	return domain.Replay(envs), envs
}

func payloadsOf[P events.Payload](envs []events.Envelope) []P {
	var out []P
	for _, env := range envs {
		if p, ok := env.Payload.(P); ok {
			out = append(out, p)
		}
	}
	return out
}

func TestGoldenFacts(t *testing.T) {
	pol := policy.Default()
	loc := pol.BusinessCalendar().Location()

	t.Run("a quality exchange", func(t *testing.T) {
		tk, _ := goldenTicket(t, scenarios.SeedQualityExchange)
		assert.Equal(t, domain.ResolutionExchanged, tk.Resolution)
		assert.Equal(t, events.KindExchange, tk.Kind)
		assert.Equal(t, domain.ReturnReceived, tk.ReturnStatus)
		require.NotNil(t, tk.Replacement)
		assert.Zero(t, tk.Refunded)
		assert.Empty(t, tk.Liability, "agreement: no liability ruling")
		assert.Zero(t, tk.VagueMessages, "the buyer's 尽快 is not flagged, the merchant gave a time")
	})

	t.Run("b logistics refund", func(t *testing.T) {
		tk, envs := goldenTicket(t, scenarios.SeedLogisticsRefund)
		assert.Equal(t, domain.ResolutionRefunded, tk.Resolution)
		assert.Equal(t, tk.AmountPaid, tk.Refunded)
		refunds := payloadsOf[events.RefundIssued](envs)
		require.Len(t, refunds, 1)
		assert.Equal(t, events.RefundByMerchant, refunds[0].Origin)
		assert.Empty(t, payloadsOf[events.DeadlineExpired](envs))
	})

	t.Run("c counterfeit ruling", func(t *testing.T) {
		tk, envs := goldenTicket(t, scenarios.SeedCounterfeitRuling)
		assert.Equal(t, domain.ResolutionRuled, tk.Resolution)
		assert.Equal(t, events.LiabilityMerchant, tk.Liability)
		assert.Equal(t, tk.AmountPaid, tk.Refunded)
		assert.Equal(t, 10*tk.AmountPaid, tk.Compensation, "假一赔十")
		require.NotNil(t, tk.Ruling)
		assert.True(t, tk.Ruling.Terms.Counterfeit)
		assert.Nil(t, tk.Ruling.Appeal)
		for _, id := range tk.Ruling.Evidence {
			assert.Contains(t, tk.Evidence, id, "cited evidence is on record")
		}
		parties := map[events.Role]int{}
		for _, ev := range tk.Evidence {
			parties[ev.Party]++
			assert.False(t, ev.Late, "evidence %s was inside the working-hours window", ev.ID)
		}
		assert.Equal(t, map[events.Role]int{events.RoleBuyer: 2, events.RoleMerchant: 2}, parties)

		// The evidence window opens on Friday afternoon and runs over the weekend.
		requested := payloadsOf[events.EvidenceRequested](envs)
		require.Len(t, requested, 1)
		require.Len(t, requested[0].Deadlines, 1)
		due := requested[0].Deadlines[0].DueAt.In(loc)
		assert.Equal(t, time.Monday, due.Weekday())
		assert.Equal(t, "11:00", due.Format("15:04"))
		var opened time.Time
		for _, env := range envs {
			if env.Type == events.TypeEvidenceRequested {
				opened = env.OccurredAt.In(loc)
			}
		}
		assert.Equal(t, time.Friday, opened.Weekday())
		assert.Equal(t, 4*time.Hour, pol.BusinessCalendar().WorkingTimeBetween(opened, due))
		// The weekend also pushed the ruling past the platform's 72 h: a breach against the platform.
		assert.True(t, tk.SLABreached)
		assert.True(t, tk.Ruling.Late)
		for _, exp := range payloadsOf[events.DeadlineExpired](envs) {
			assert.False(t, exp.MerchantPenalised, "the merchant met every deadline (%s)", exp.Deadline)
		}
	})

	t.Run("d merchant silent", func(t *testing.T) {
		tk, envs := goldenTicket(t, scenarios.SeedMerchantSilent)
		expired := payloadsOf[events.DeadlineExpired](envs)
		require.Len(t, expired, 1)
		assert.Equal(t, events.DeadlineMerchantResponse, expired[0].Deadline)
		assert.True(t, expired[0].MerchantPenalised)
		agreed := payloadsOf[events.MerchantAgreed](envs)
		require.Len(t, agreed, 1)
		assert.True(t, agreed[0].Auto)
		refunds := payloadsOf[events.RefundIssued](envs)
		require.Len(t, refunds, 1)
		assert.Equal(t, events.RefundBySystem, refunds[0].Origin)
		assert.Equal(t, domain.ResolutionRefunded, tk.Resolution)
		assert.Equal(t, tk.Requested, tk.Refunded)
		assert.Less(t, tk.Refunded, tk.AmountPaid, "a partial refund-only request")
		assert.Equal(t, 72*time.Hour, tk.ClosedAt.Sub(tk.OpenedAt))
		assert.Nil(t, tk.FirstResponseAt, "the merchant never acted")
	})

	t.Run("e never shipped, overturned on appeal", func(t *testing.T) {
		tk, envs := goldenTicket(t, scenarios.SeedNeverShipped)
		assert.False(t, tk.OrderShipped)
		assert.Equal(t, events.RoleBuyer, tk.InterventionBy)
		assert.Equal(t, tk.OpenedAt.Add(5*time.Minute), *tk.InterventionAt, "intervention straight away")
		assert.Equal(t, 1, tk.VagueMessages, "马上 is flagged")
		var evidenceExpiry *events.DeadlineExpired
		for _, exp := range payloadsOf[events.DeadlineExpired](envs) {
			if exp.Deadline == events.DeadlineEvidence {
				evidenceExpiry = &exp
			}
		}
		require.NotNil(t, evidenceExpiry)
		assert.True(t, evidenceExpiry.MerchantPenalised, "no merchant evidence")
		for _, ev := range tk.Evidence {
			assert.Equal(t, events.RoleBuyer, ev.Party)
		}

		require.NotNil(t, tk.Ruling)
		require.NotNil(t, tk.Ruling.Appeal)
		assert.Equal(t, events.RoleMerchant, tk.Ruling.Appeal.Party)
		assert.Equal(t, events.AppealOverturned, tk.Ruling.Appeal.Decision)
		assert.NotEqual(t, tk.Ruling.ArbitratorID, tk.Ruling.Appeal.DecidedBy, "decided by another arbitrator")
		assert.Equal(t, events.LiabilityMerchant, tk.Ruling.Terms.Liability, "arbitrator A's ruling")
		assert.Equal(t, events.LiabilityShared, tk.Liability, "senior arbitrator B's final liability")
		assert.Equal(t, tk.AmountPaid, tk.Refunded)
		assert.Zero(t, tk.Compensation)
		assert.False(t, tk.SLABreached)
		decided := payloadsOf[events.AppealDecided](envs)
		require.Len(t, decided, 1)
		require.NotNil(t, decided[0].Terms)
		final := payloadsOf[events.RulingFinalized](envs)
		require.Len(t, final, 1)
		assert.Equal(t, *decided[0].Terms, final[0].Terms)
	})
}
