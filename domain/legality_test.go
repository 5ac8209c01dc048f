package domain_test

import (
	"errors"
	"slices"
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

// decisions splits a stream into its decisions: runs of consecutive events
// with one command id.
func decisions(stream []events.Envelope) [][]events.Envelope {
	var out [][]events.Envelope
	for i, env := range stream {
		if i == 0 || env.CommandID != stream[i-1].CommandID {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], env)
	}
	return out
}

// requireLegalStream checks a stream decision by decision, as an auditor
// replays it, and that the check leaves the ticket and the policy it reads
// in place exactly as they were: the auditor's replay goes on from them.
func requireLegalStream(t *testing.T, stream []events.Envelope, pol policy.Policy) {
	t.Helper()
	var (
		tk   domain.Ticket
		seen []events.Envelope
	)
	polAsGiven := pol.Canonical()
	for _, d := range decisions(stream) {
		version, named := domain.DecisionPolicy(&tk, d)
		if named {
			require.Equal(t, pol.Version, version, "%s names its policy", d[0].Type)
		}
		require.NoError(t, domain.CheckDecision(&tk, d, &pol), "%s at revision %d", d[0].Type, d[0].Revision)
		require.Equal(t, domain.Replay(seen), tk, "checking %s changed the ticket it was decided on", d[0].Type)
		require.Equal(t, polAsGiven, pol.Canonical(), "checking %s changed the policy", d[0].Type)
		for _, env := range d {
			tk = tk.Apply(env)
		}
		seen = append(seen, d...)
	}
}

// TestCheckDecisionPassesGeneratedTickets replays the deterministic
// generator's tickets (every path of the lifecycle) through the check, and
// every mutation of each of their decisions that applies through it too.
func TestCheckDecisionPassesGeneratedTickets(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	start := time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC)
	seen, tried := map[string]int{}, map[string]int{}
	for _, sc := range scenarios.Generate(7, 400, start, pol) {
		stream, err := scenarios.Play(sc, pol, nil)
		require.NoError(t, err)
		requireLegalStream(t, stream, pol)
		var tk domain.Ticket
		for _, d := range decisions(stream) {
			checkLegality(t, tk, d, pol, tried)
			for _, env := range d {
				tk = tk.Apply(env)
				seen[env.Type]++
			}
		}
	}
	for _, sc := range scenarios.Seeds(start) {
		stream, err := scenarios.Play(sc, pol, nil)
		require.NoError(t, err)
		requireLegalStream(t, stream, pol)
	}
	assert.Greater(t, len(seen), 20, "the generated tickets cover most event types: %v", seen)
	for _, name := range []string{"wrong role", "wrong party", "late ruling not flagged", "same arbitrator decides the appeal",
		"wrong compensation", "evidence cited that does not exist", "expiry before its due time", "event after close"} {
		assert.Positive(t, tried[name], "no generated decision was mutated by %q", name)
	}
	t.Logf("mutated: %v", tried)
}

// mutation turns an accepted decision into one the rules did not allow.
type mutation struct {
	name string
	// apply returns the mutated decision, the state to check it against, and
	// false when the mutation does not apply to this decision.
	apply func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool)
	// want checks the error the check must give.
	want func(t *testing.T, err error)
}

func wantIs(sentinel error) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		require.ErrorIs(t, err, sentinel)
		var ill *domain.IllegalEventError
		require.ErrorAs(t, err, &ill)
	}
}

func wantField(field string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var ill *domain.IllegalEventError
		require.ErrorAs(t, err, &ill)
		require.ErrorIs(t, err, domain.ErrNotAsDecided)
		require.Equal(t, field, ill.Field, "%v", err)
	}
}

// edit returns a copy of d with each event changed by fn.
func edit(d []events.Envelope, fn func(i int, env *events.Envelope)) []events.Envelope {
	out := slices.Clone(d)
	for i := range out {
		fn(i, &out[i])
	}
	return out
}

func leadIs[P events.Payload](d []events.Envelope) (P, bool) {
	p, ok := d[0].Payload.(P)
	return p, ok
}

func withLead(d []events.Envelope, p events.Payload) []events.Envelope {
	return edit(d, func(i int, env *events.Envelope) {
		if i == 0 {
			env.Payload = p
		}
	})
}

// mutations are the ways a forger (or a drifted rule) could make history
// say what the rules never allowed.
var mutations = []mutation{
	{"wrong role", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		cmd, ok := domain.CommandOf(d[0].Payload)
		if !ok {
			return before, nil, false
		}
		allowed := domain.Permissions()[cmd.CommandName()]
		i := slices.IndexFunc(events.Roles(), func(r events.Role) bool { return !slices.Contains(allowed, r) })
		role := events.Roles()[i]
		return before, edit(d, func(_ int, env *events.Envelope) { env.Actor = events.Actor{Role: role, ID: "x-9"} }), true
	}, wantIs(domain.ErrRoleNotAllowed)},
	{"wrong party", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		role := d[0].Actor.Role
		if !before.Exists() || role != events.RoleBuyer && role != events.RoleMerchant {
			return before, nil, false
		}
		return before, edit(d, func(_ int, env *events.Envelope) { env.Actor.ID += "-not" }), true
	}, wantIs(domain.ErrNotYourTicket)},
	{"buyer of the request is not who opened it", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		_, ok := leadIs[events.RefundRequested](d)
		return before, edit(d, func(_ int, env *events.Envelope) { env.Actor.ID += "-not" }), ok
	}, wantField("buyer_id")},
	{"late ruling not flagged", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		r, ok := leadIs[events.RulingRecorded](d)
		if !ok || !r.Late {
			return before, nil, false
		}
		r.Late = false
		return before, withLead(d, r), true
	}, wantField("late")},
	{"timely ruling flagged late", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		r, ok := leadIs[events.RulingRecorded](d)
		if !ok || r.Late {
			return before, nil, false
		}
		r.Late = true
		return before, withLead(d, r), true
	}, wantField("late")},
	{"same arbitrator decides the appeal", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		if _, ok := leadIs[events.AppealDecided](d); !ok || before.Ruling == nil {
			return before, nil, false
		}
		return before, edit(d, func(_ int, env *events.Envelope) { env.Actor.ID = before.Ruling.ArbitratorID }), true
	}, wantIs(domain.ErrSameArbitrator)},
	{"wrong compensation", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		r, ok := leadIs[events.RulingRecorded](d)
		if !ok {
			return before, nil, false
		}
		r.Compensation++
		return before, withLead(d, r), true
	}, wantIs(domain.ErrRulingTerms)},
	{"wrong compensation on appeal", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		a, ok := leadIs[events.AppealDecided](d)
		if !ok || a.Terms == nil {
			return before, nil, false
		}
		terms := *a.Terms
		terms.Compensation++
		a.Terms = &terms
		return before, withLead(d, a), true
	}, wantIs(domain.ErrRulingTerms)},
	{"final terms are not the ruling's", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		i := slices.IndexFunc(d, func(env events.Envelope) bool { return env.Type == events.TypeRulingFinalized })
		if i < 0 {
			return before, nil, false
		}
		f := d[i].Payload.(events.RulingFinalized)
		f.Compensation++
		return before, edit(d, func(j int, env *events.Envelope) {
			if j == i {
				env.Payload = f
			}
		}), true
	}, wantField("compensation")},
	{"evidence cited that does not exist", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		r, ok := leadIs[events.RulingRecorded](d)
		if !ok {
			return before, nil, false
		}
		r.Evidence = append(slices.Clone(r.Evidence), "ev-never-submitted")
		return before, withLead(d, r), true
	}, wantIs(domain.ErrEvidenceNotFound)},
	{"expiry before its due time", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		x, ok := leadIs[events.DeadlineExpired](d)
		if !ok {
			return before, nil, false
		}
		early := before.Deadlines[x.Deadline].Add(-time.Second)
		return before, edit(d, func(_ int, env *events.Envelope) { env.OccurredAt = early }), true
	}, func(t *testing.T, err error) {
		var notDue *domain.DeadlineNotDueError
		require.ErrorAs(t, err, &notDue)
	}},
	{"due time moved", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		m, ok := leadIs[events.MerchantRejected](d)
		if !ok || len(m.Deadlines) == 0 {
			return before, nil, false
		}
		m.Deadlines = slices.Clone(m.Deadlines)
		m.Deadlines[0].DueAt = m.Deadlines[0].DueAt.Add(time.Hour)
		return before, withLead(d, m), true
	}, wantField("deadlines")},
	{"vague promise not flagged", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		m, ok := leadIs[events.MessagePosted](d)
		if !ok || !m.VagueDeadline {
			return before, nil, false
		}
		m.VagueDeadline, m.VagueWords = false, nil
		return before, withLead(d, m), true
	}, wantField("vague_deadline")},
	{"a consequence left out", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		return before, d[:len(d)-1], len(d) > 1
	}, wantField("events")},
	{"a consequence recorded alone", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		// What an expiry or an appeal decision causes is never a command
		// of its own (a merchant's agreement and refund are, and stay legal
		// one without the other).
		lead := d[0].Type
		return before, d[1:], len(d) > 1 && (lead == events.TypeDeadlineExpired || lead == events.TypeAppealDecided)
	}, func(t *testing.T, err error) {
		var ill *domain.IllegalEventError
		require.ErrorAs(t, err, &ill) // refused, or not what its command records
	}},
	{"event after close", func(before domain.Ticket, d []events.Envelope) (domain.Ticket, []events.Envelope, bool) {
		after := before
		for _, env := range d {
			after = after.Apply(env)
		}
		if !after.Closed() {
			return before, nil, false
		}
		msg := d[len(d)-1]
		msg.Revision++
		msg.CommandID += "-later"
		msg.OccurredAt = msg.OccurredAt.Add(time.Hour)
		msg.Actor = events.Actor{Role: events.RoleBuyer, ID: after.BuyerID}
		msg.Payload = events.MessagePosted{Party: events.RoleBuyer, Text: "thanks", PolicyVersion: "any"}
		msg.Type = events.TypeMessagePosted
		return after, []events.Envelope{msg}, true
	}, wantIs(domain.ErrTicketClosed)},
}

// checkLegality checks an accepted decision and every mutation of it that
// applies; tried counts the mutations tried, by name.
func checkLegality(t *testing.T, before domain.Ticket, d []events.Envelope, pol policy.Policy, tried map[string]int) {
	t.Helper()
	if v, named := domain.DecisionPolicy(&before, d); named {
		require.Equal(t, pol.Version, v)
	}
	require.NoError(t, domain.CheckDecision(&before, d, &pol), "the check refuses what Decide recorded")
	for _, m := range mutations {
		state, mutated, ok := m.apply(before, d)
		if !ok {
			continue
		}
		tried[m.name]++
		err := domain.CheckDecision(&state, mutated, &pol)
		require.Error(t, err, "mutation %q of %s passed the check", m.name, d[0].Type)
		m.want(t, err)
	}
}

func TestCheckDecisionRefusesEmpty(t *testing.T) {
	t.Parallel()
	err := domain.CheckDecision(&domain.Ticket{}, nil, new(policy.Default()))
	require.ErrorIs(t, err, domain.ErrNotAsDecided)
}

func TestCheckDecisionNamesTheRule(t *testing.T) {
	t.Parallel()
	l := newLedger(t).given(stageUnderAppeal...)
	before := l.ticket
	_, err := l.do(step{63 * h, senior, domain.DecideAppeal{Decision: events.AppealUpheld, Rationale: "stands"}})
	require.NoError(t, err)
	decided := decisions(l.stream)
	last := decided[len(decided)-1]
	require.NoError(t, domain.CheckDecision(&before, last, &l.pol))

	same := edit(last, func(_ int, env *events.Envelope) { env.Actor = seniorArb1 })
	err = domain.CheckDecision(&before, same, &l.pol)
	var ill *domain.IllegalEventError
	require.ErrorAs(t, err, &ill)
	assert.True(t, errors.Is(err, domain.ErrSameArbitrator))
	assert.Equal(t, 0, ill.Index)
	assert.Equal(t, "decide_appeal", ill.Command)
	assert.Equal(t, events.TypeAppealDecided, ill.Type)
	assert.Contains(t, err.Error(), "arb-1 made the ruling")
}

// TestCheckDecisionLeavesThePolicyAddressToTheAuditor: a decision recorded
// before events carried policy_sha256, or recorded under a document the
// auditor's differs from, is judged by its rules alone; the address is
// audit's policy_hash finding, not a broken rule.
func TestCheckDecisionLeavesThePolicyAddressToTheAuditor(t *testing.T) {
	t.Parallel()
	l := newLedger(t).given(stageUnderAppeal...)
	var before domain.Ticket
	for _, d := range decisions(l.stream) {
		for _, address := range []string{"", strings.Repeat("ab", 32)} {
			readdressed := edit(d, func(_ int, env *events.Envelope) {
				switch p := env.Payload.(type) {
				case events.MessagePosted:
					p.PolicySHA256 = address
					env.Payload = p
				case events.RulingRecorded:
					p.PolicySHA256 = address
					env.Payload = p
				case events.RefundRequested:
					p.PolicySHA256 = address
					env.Payload = p
				}
			})
			require.NoError(t, domain.CheckDecision(&before, readdressed, &l.pol), "%s with address %q", d[0].Type, address)
		}
		for _, env := range d {
			before = before.Apply(env)
		}
	}
}

// TestDecideWithoutARulingRefuses: a history whose ruling was deleted
// reaches an appeal, or the appeal window's expiry, with no ruling on
// record. The auditor's replay decides it again; Decide must refuse it, not
// panic (found by the tamper matrix, cmd/disputes).
func TestDecideWithoutARulingRefuses(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	tk := domain.Ticket{ID: "T-1", BuyerID: "b-1", MerchantID: "m-1", Status: domain.StatusUnderAppeal, Events: 5,
		Deadlines: map[events.DeadlineKind]time.Time{events.DeadlineAppeal: now.Add(-time.Hour)}}
	senior := events.Actor{Role: events.RoleSeniorArbitrator, ID: "sarb-1"}
	_, err := domain.Decide(tk, senior, domain.DecideAppeal{Decision: events.AppealUpheld, Rationale: "stands"}, now, pol)
	assert.ErrorIs(t, err, domain.ErrWrongState)

	tk.Status = domain.StatusRuled
	_, err = domain.Decide(tk, events.SystemActor(), domain.ExpireDeadline{Deadline: events.DeadlineAppeal}, now, pol)
	assert.ErrorIs(t, err, domain.ErrWrongState)
}
