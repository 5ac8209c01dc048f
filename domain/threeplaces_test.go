package domain_test

import (
	"reflect"
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

// TestACommandIsThreePlaces documents what adding a command touches, and
// holds every list read from it to the registry:
//
//  1. its type, with CommandName (commands.go);
//  2. its entry in Registry (registry.go): roles and summary; Commands,
//     Permissions, LookupCommand, the command API's decoder, routes and
//     OpenAPI summaries, and docs/domain.md's role table (checked by
//     TestDomainDocRoleTableIsTheRegistry) are read from it;
//  3. its case in Decide (decide.go), which records its events.
//
// A command whose first event is a new event type also adds that type to
// the events catalogue and its CommandOf case, which the auditor's
// legality check needs; this test fails until it does.
func TestACommandIsThreePlaces(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	// What CommandOf rebuilds from the first event of each decision of the
	// generator's tickets (every path of the lifecycle) and the seeds.
	rebuilt := map[reflect.Type]bool{}
	start := time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC)
	var streams [][]events.Envelope
	for _, sc := range append(scenarios.Generate(7, 200, start, pol), scenarios.Seeds(start)...) {
		stream, err := scenarios.Play(sc, pol, nil)
		require.NoError(t, err)
		streams = append(streams, stream)
	}
	// What the generator leaves out: the agent opening the evidence window.
	streams = append(streams, newLedger(t).given(append(stageNegotiation, step{4 * h, agent, domain.RequestEvidence{}})...).stream)
	for _, stream := range streams {
		for _, d := range decisions(stream) {
			if cmd, ok := domain.CommandOf(d[0].Payload); ok {
				rebuilt[reflect.TypeOf(cmd)] = true
			}
		}
	}
	for _, spec := range domain.Registry() {
		name := spec.Name()
		// 3: Decide has a case: on an existing ticket, by a role the entry
		// allows and a party of the ticket, it never answers "not a known
		// command" (whatever else it refuses).
		role := spec.Roles[0]
		actor := events.Actor{Role: role, ID: map[events.Role]string{events.RoleBuyer: "b-1", events.RoleMerchant: "m-1"}[role]}
		if actor.ID == "" {
			actor.ID = string(role) + "-1"
		}
		tk := domain.Ticket{ID: "T-1", BuyerID: "b-1", MerchantID: "m-1", Status: domain.StatusAwaitingMerchant, Events: 1}
		_, err := domain.Decide(tk, actor, spec.Zero, t0, pol)
		if err != nil {
			assert.NotContains(t, err.Error(), "is not a known command", "%s has no case in Decide", name)
		}
		// A recorded decision's first event rebuilds the command (CommandOf).
		assert.True(t, rebuilt[reflect.TypeOf(spec.Zero)], "no event type rebuilds %s through CommandOf: add its case", name)
		// 2: the derived lists are the entry.
		assert.Equal(t, spec.Roles, domain.Permissions()[name], name)
		got, ok := domain.LookupCommand(name)
		require.True(t, ok, name)
		assert.Equal(t, spec.Zero, got.Zero, name)
		assert.NotEmpty(t, strings.TrimSpace(spec.Summary), name)
	}
	assert.Len(t, domain.Commands(), len(domain.Registry()))
}
