package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections"
)

// strictPolicy is a second policy version with other points than the
// default's (merchant_response 2 → 5, vague message 1 → 3).
func strictPolicy(t testing.TB) policy.Policy {
	t.Helper()
	pol, err := policy.Parse([]byte(`{"version": "2026-12-strict", "penalties": {"merchant_response_expired": 5, "vague_message": 3}}`))
	require.NoError(t, err)
	require.NotEqual(t, policy.Default().Penalties.VagueMessage, pol.Penalties.VagueMessage)
	return pol
}

// twoVersionLedger records, in one ledger, facts decided under the default
// policy and under strictPolicy (a command handler each, as when an
// operator changes the policy), and returns it with the strict policy.
func twoVersionLedger(t *testing.T) (*ledger, policy.Policy) {
	t.Helper()
	l := newLedger(t)
	strict := strictPolicy(t)
	ls := *l
	ls.pol, ls.h = strict, commands.NewHandler(l.store, commands.WithPolicy(strict), commands.WithClientTime())

	// m-a: everything under the default: 1 + 2.
	a := l.ticket("T-ver-a", "m-a")
	a.open(t, epoch, events.KindRefundOnly, events.ReasonLogistics)
	a.byMerchant(t, epoch.Add(time.Minute), domain.PostMessage{Text: "马上发货"})
	a.expire(t, events.DeadlineMerchantResponse)

	// m-b: everything under the strict policy: 3 + 5.
	b := ls.ticket("T-ver-b", "m-b")
	b.open(t, epoch.Add(time.Hour), events.KindRefundOnly, events.ReasonLogistics)
	b.byMerchant(t, epoch.Add(time.Hour+time.Minute), domain.PostMessage{Text: "马上发货"})
	b.expire(t, events.DeadlineMerchantResponse)

	// m-c: opened under the default, then the policy changes: the message
	// records the strict version (3); the expiry records none and is scored
	// under the default that scheduled its deadline (2), though the strict
	// handler fired it.
	c := l.ticket("T-ver-c", "m-c")
	c.open(t, epoch.Add(2*time.Hour), events.KindRefundOnly, events.ReasonLogistics)
	c.l = &ls
	c.byMerchant(t, epoch.Add(2*time.Hour+time.Minute), domain.PostMessage{Text: "马上发货"})
	c.expire(t, events.DeadlineMerchantResponse)
	return l, strict
}

// TestPenaltiesScoredUnderEachEventsPolicyVersion: one ledger, two policy
// versions with different points; each fact is scored under the version its
// event recorded, or for an event that records none under the version that
// scheduled its deadline, and the score names the versions it spans.
func TestPenaltiesScoredUnderEachEventsPolicyVersion(t *testing.T) {
	t.Parallel()
	l, strict := twoVersionLedger(t)
	_, err := l.projectorWith(projections.NewMerchantPenalties(l.db, l.pol, strict)).Run(context.Background())
	require.NoError(t, err)

	scores, err := projections.Scores(context.Background(), l.db, epoch.Add(30*24*time.Hour), l.pol)
	require.NoError(t, err)
	def, str := policy.DefaultVersion, strict.Version
	for _, c := range []struct {
		merchant  string
		score     int
		breakdown map[projections.PenaltyReason]int
		versions  string
	}{
		{"m-a", 1 + 2, map[projections.PenaltyReason]int{policy.ReasonVagueMessage: 1, policy.ReasonMerchantResponseExpired: 2}, def},
		{"m-b", 3 + 5, map[projections.PenaltyReason]int{policy.ReasonVagueMessage: 3, policy.ReasonMerchantResponseExpired: 5}, str},
		{"m-c", 3 + 2, map[projections.PenaltyReason]int{policy.ReasonVagueMessage: 3, policy.ReasonMerchantResponseExpired: 2}, def + "," + str},
	} {
		s := score(t, scores, c.merchant)
		assert.Equal(t, c.score, s.Score, c.merchant)
		assert.Equal(t, c.breakdown, s.Breakdown, c.merchant)
		assert.Equal(t, c.versions, s.PolicyVersion, c.merchant)
	}
}

// TestPenaltiesRefuseAnUnknownPolicyVersion: a fact whose event names a
// version the projection was not given stops the projection at that event,
// parked, with a reason naming the version, rather than scoring it under
// another version's points; given the version, it resumes there and ends
// as a clean build with both versions.
func TestPenaltiesRefuseAnUnknownPolicyVersion(t *testing.T) {
	t.Parallel()
	l, strict := twoVersionLedger(t)
	ctx := context.Background()

	rep, err := l.projectorWith(projections.NewMerchantPenalties(l.db, l.pol)).Run(ctx)
	require.ErrorIs(t, err, projections.ErrStopped)
	failed := rep.Failures()
	require.Len(t, failed, 1)
	f := failed[0].Failure
	assert.True(t, f.Parked)
	assert.Equal(t, events.TypeMessagePosted, f.EventType, "the first fact under the strict version is m-b's message")
	assert.Contains(t, f.Reason, `"2026-12-strict"`)
	assert.Contains(t, f.Reason, policy.DefaultVersion, "the reason lists the versions known")
	pos, err := l.db.Checkpoint(ctx, projections.MerchantPenaltiesName)
	require.NoError(t, err)
	assert.Equal(t, f.Position-1, pos, "nothing at or after the event is stored")
	var facts int
	require.NoError(t, l.db.SQL.QueryRow(`SELECT count(*) FROM rm_penalty_facts`).Scan(&facts))
	assert.Equal(t, 2, facts, "m-a's facts, under the default, are kept")

	_, err = l.projectorWith(projections.NewMerchantPenalties(l.db, l.pol, strict)).Run(ctx)
	require.NoError(t, err)
	tables := func(db *projections.DB) []string {
		return append(rowsOf(t, db.SQL, `SELECT * FROM rm_penalty_facts ORDER BY 1`), rowsOf(t, db.SQL, `SELECT * FROM rm_merchant_tickets ORDER BY 1`)...)
	}
	resumed := tables(l.db)
	clean, err := openSQLite(ctx, t.TempDir()+"/clean.db")
	require.NoError(t, err)
	defer clean.Close()
	_, err = projections.NewProjector(l.store, clean, []projections.Projection{projections.NewMerchantPenalties(clean, l.pol, strict)},
		projections.Options{}).Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, tables(clean), resumed)
	assert.Len(t, resumed, 6+3, "six facts, three tickets")
}

// TestAppealScoredUnderItsOwnPolicyVersion: an appeal decision records its
// policy (schema version 2), so the terms an overturn puts in place earn
// the points of the version in force at the decision, not the ruling's;
// the ruling's points, under its own version, are reversed. Changing one
// number (shared_liability 3 → 5) changes the score, its breakdown, the
// versions it names and the review flag together.
func TestAppealScoredUnderItsOwnPolicyVersion(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	later, err := policy.Parse([]byte(`{"version": "2026-12-shared5", "penalties": {"shared_liability": 5, "review_threshold": 5}}`))
	require.NoError(t, err)
	ll := *l
	ll.pol, ll.h = later, commands.NewHandler(l.store, commands.WithPolicy(later), commands.WithClientTime())

	k := l.ticket("T-appeal-ver", "m-appeal-ver")
	k.open(t, epoch, events.KindRefundOnly, events.ReasonQuality)
	review := k.toReview(t, epoch, true)
	k.rule(t, review.Add(time.Hour), merchantLiable) // 6 under the default
	k.byMerchant(t, review.Add(24*time.Hour), domain.FileAppeal{Grounds: "partly the carrier's fault"})
	k.l = &ll
	k.decideAppeal(t, review.Add(48*time.Hour), events.AppealOverturned, &sharedLiable)

	_, err = l.projectorWith(projections.NewMerchantPenalties(l.db, l.pol, later)).Run(context.Background())
	require.NoError(t, err)
	end := epoch.Add(30 * 24 * time.Hour)
	for _, c := range []struct {
		query   policy.Policy
		flagged bool
	}{{l.pol, false}, {later, true}} {
		scores, err := projections.Scores(context.Background(), l.db, end, c.query)
		require.NoError(t, err)
		s := score(t, scores, "m-appeal-ver")
		assert.Equal(t, 5, s.Score, "the overturned terms under the appeal's version, not the default's 3")
		assert.Equal(t, map[projections.PenaltyReason]int{policy.ReasonSharedLiability: 5}, s.Breakdown)
		assert.Equal(t, later.Version, s.PolicyVersion, "the reversed ruling no longer counts")
		assert.Equal(t, c.flagged, s.Flagged, "flagged at the threshold of the policy asked (%s)", c.query.Version)
	}
}
