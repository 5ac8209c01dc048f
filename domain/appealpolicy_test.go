package domain_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// TestAppealDecisionRecordsItsPolicy: an appeal decision records the policy
// it was decided under, like every other decision, so an overturn to a
// counterfeit ruling after the compensation multiple changed is checked
// under the multiple in force at the decision, not the ruling's.
func TestAppealDecisionRecordsItsPolicy(t *testing.T) {
	t.Parallel()
	l := newLedger(t).given(stageUnderAppeal...)
	ruling := l.pol
	later := policy.Default()
	later.Version, later.CompensationMultiple = "2026-12-three", 3
	require.NoError(t, later.Validate())
	l.pol = later

	terms := events.Terms{Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant,
		Refund: 19900, Compensation: 3 * 19900, Counterfeit: true}
	before := l.ticket
	n := len(l.stream)
	l.given(step{63 * h, senior, domain.DecideAppeal{Decision: events.AppealOverturned, Rationale: "counterfeit after all", Terms: &terms}})
	decision := l.stream[n:]
	require.Equal(t, events.TypeAppealDecided, decision[0].Type)

	decided := decision[0].Payload.(events.AppealDecided)
	assert.Equal(t, later.Version, decided.PolicyVersion)
	assert.Equal(t, later.SHA256(), decided.PolicySHA256)
	assert.Equal(t, 2, decision[0].SchemaVersion)

	version, named := domain.DecisionPolicy(&before, decision)
	require.True(t, named)
	assert.Equal(t, later.Version, version, "checked under its own version, not the ruling's %s", ruling.Version)
	require.NoError(t, domain.CheckDecision(&before, decision, &later))
	err := domain.CheckDecision(&before, decision, &ruling)
	assert.ErrorIs(t, err, domain.ErrRulingTerms, "under the ruling's multiple of 10 the compensation is wrong")
}

// TestAppealDecisionOfSchemaVersion1StillLegal: a stored stream whose appeal
// decision was recorded before appeal decisions carried a policy (schema
// version 1) decodes, links and passes the legality check decision by
// decision, the appeal under its ruling's version, as before.
func TestAppealDecisionOfSchemaVersion1StillLegal(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../testdata/scenarios-before-appeal-policy/e-never-shipped-appeal.jsonl")
	require.NoError(t, err)
	var stream []events.Envelope
	for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		env, err := events.Decode(line)
		require.NoError(t, err)
		stream = append(stream, env)
	}
	require.NoError(t, events.VerifyChain(nil, stream))
	var appeals int
	for _, env := range stream {
		if d, ok := env.Payload.(events.AppealDecided); ok {
			appeals++
			assert.Equal(t, 1, env.SchemaVersion)
			assert.Empty(t, d.PolicyVersion)
		}
	}
	require.Equal(t, 1, appeals, "the stream holds a version 1 appeal decision")
	requireLegalStream(t, stream, policy.Default())
}
