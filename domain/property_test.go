package domain_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// The property test drives the aggregate with random command sequences and
// checks its invariants after every step. CI runs a fixed set; for more:
//
//	DISPUTES_PROPERTY_SEQUENCES=20000 DISPUTES_PROPERTY_STEPS=120 go test ./domain/ -run TestPropertyRandomCommands
//
// DISPUTES_PROPERTY_SEED changes the base seed; a failure names the seed and
// the sequence that reproduce it.
const (
	propDefaultSequences = 300
	propDefaultSteps     = 60
	propDefaultSeed      = 20261102
)

func propEnvInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	require.NoError(t, err, "%s must be an integer", name)
	return n
}

// The cast: the ticket's own parties, strangers, the platform and actors
// that are not valid at all.
var (
	propBuyer         = events.Actor{Role: events.RoleBuyer, ID: "b-100"}
	propOtherBuyer    = events.Actor{Role: events.RoleBuyer, ID: "b-200"}
	propMerchant      = events.Actor{Role: events.RoleMerchant, ID: "m-100"}
	propOtherMerchant = events.Actor{Role: events.RoleMerchant, ID: "m-200"}
	propAgent         = events.Actor{Role: events.RoleAgent, ID: "cs-1"}
	propArbitrators   = []events.Actor{{Role: events.RoleArbitrator, ID: "arb-1"}, {Role: events.RoleArbitrator, ID: "arb-2"}}
	// The second senior arbitrator shares an id with arb-1: it may not decide arb-1's appeal.
	propSeniors  = []events.Actor{{Role: events.RoleSeniorArbitrator, ID: "sarb-1"}, {Role: events.RoleSeniorArbitrator, ID: "arb-1"}}
	propAuditor  = events.Actor{Role: events.RoleAuditor, ID: "au-1"}
	propSystem   = events.SystemActor()
	propInvalids = []events.Actor{{Role: "robot", ID: "r-1"}, {Role: events.RoleBuyer, ID: ""}}
	propCast     = append([]events.Actor{propBuyer, propOtherBuyer, propMerchant, propOtherMerchant, propAgent,
		propArbitrators[0], propArbitrators[1], propSeniors[0], propSeniors[1], propAuditor, propSystem}, propInvalids...)
)

var propStart = time.Date(2026, 11, 2, 1, 30, 0, 0, time.UTC) // Monday 09:30 in Shanghai

// propWorld is one random sequence: tickets, one after another, each built
// incrementally from the events of the commands the aggregate accepted.
type propWorld struct {
	rng *rand.Rand
	pol policy.Policy
	now time.Time
	// tickets counts the tickets of the sequence; ticketID is the current one's.
	tickets  int
	ticketID string
	ticket   domain.Ticket
	stream   []events.Envelope
	wire     [][]byte
	// states[i] is the ticket after the events up to stream index marks[i].
	states []domain.Ticket
	marks  []int
}

// propStats is what a whole run exercised; it must cover the lifecycle.
type propStats struct {
	types    map[string]int
	refusals map[string]int
	// mutations counts the illegal variants of accepted decisions tried.
	mutations map[string]int
}

func TestPropertyRandomCommands(t *testing.T) {
	t.Parallel()
	sequences := propEnvInt(t, "DISPUTES_PROPERTY_SEQUENCES", propDefaultSequences)
	steps := propEnvInt(t, "DISPUTES_PROPERTY_STEPS", propDefaultSteps)
	seed := uint64(propEnvInt(t, "DISPUTES_PROPERTY_SEED", propDefaultSeed))
	stats := propStats{types: map[string]int{}, refusals: map[string]int{}, mutations: map[string]int{}}
	pol := policy.Default()
	for seq := range sequences {
		ok := t.Run(fmt.Sprintf("seed-%d-seq-%d", seed, seq), func(t *testing.T) {
			w := &propWorld{rng: rand.New(rand.NewPCG(seed, uint64(seq))), pol: pol, now: propStart}
			w.next()
			for range steps {
				w.step(t, &stats)
				// After a while on a closed ticket, move on to a new one.
				if w.ticket.Closed() && w.rng.Float64() < 0.25 {
					w.checkStream(t)
					w.next()
				}
			}
			w.checkStream(t)
		})
		if !ok {
			break // one reproducible failure is enough
		}
	}
	t.Logf("recorded: %v\nrefused: %v\nmutated: %v", stats.types, stats.refusals, stats.mutations)
	if sequences < propDefaultSequences || steps < propDefaultSteps {
		return // a short run need not cover everything
	}
	for _, typ := range events.Types() {
		assert.Positive(t, stats.types[typ], "no sequence recorded %s: the generator misses part of the lifecycle", typ)
	}
	for _, name := range propRefusalNames() {
		assert.Positive(t, stats.refusals[name], "no sequence was refused with %s", name)
	}
	for _, m := range mutations {
		assert.Positive(t, stats.mutations[m.name], "no decision was mutated by %q", m.name)
	}
}

// next starts a new ticket (and stream) in the sequence.
func (w *propWorld) next() {
	w.tickets++
	w.ticketID = fmt.Sprintf("T-%d", w.tickets)
	w.ticket, w.stream, w.wire, w.states, w.marks = domain.Ticket{}, nil, nil, nil, nil
}

// step issues one random command and checks what the aggregate made of it.
func (w *propWorld) step(t *testing.T, stats *propStats) {
	w.advance()
	actor, cmd := w.command()
	before := w.ticket
	beforeJSON := propJSON(t, before)

	payloads, err := domain.Decide(before, actor, cmd, w.now, w.pol)
	require.Equal(t, beforeJSON, propJSON(t, before), "Decide changed the ticket it was given")
	w.checkRefusalRules(t, before, actor, cmd, err)
	if err != nil {
		require.Empty(t, payloads, "a refusal records nothing")
		name := propRefusalName(err)
		require.NotContains(t, name, "unclassified", "every refusal wraps a documented error")
		stats.refusals[name]++
		return
	}
	require.NotEmpty(t, payloads, "an accepted %s records at least one event", cmd.CommandName())

	envs := make([]events.Envelope, len(payloads))
	for i, p := range payloads {
		version, _ := events.SchemaVersionOf(p.EventType())
		envs[i] = events.Envelope{
			ID: uuid.Must(uuid.NewV7()), Stream: events.StreamFor(w.ticketID), Type: p.EventType(),
			SchemaVersion: version, OccurredAt: w.now, Actor: actor,
			CommandID: fmt.Sprintf("cmd-%d", len(w.marks)), CorrelationID: w.ticketID, Payload: p,
		}
	}
	var last *events.Envelope
	if n := len(w.stream); n > 0 {
		last = &w.stream[n-1]
	}
	sealed, wire, err := events.Link(last, envs)
	require.NoError(t, err)
	for i, env := range sealed {
		require.Equal(t, uint64(len(w.stream)), env.Revision, "revisions are consecutive from 0")
		encoded, err := events.Encode(env)
		require.NoError(t, err)
		require.Equal(t, wire[i], encoded)
		decoded, err := events.Decode(encoded)
		require.NoError(t, err, "%s round-trips through the codec", env.Type)
		require.Equal(t, env, decoded, "%s round-trips through the codec", env.Type)

		prev := w.ticket
		w.ticket = w.ticket.Apply(env)
		require.Equal(t, env.Revision, w.ticket.Revision)
		if prev.Events > 0 {
			require.Equal(t, prev.Revision+1, w.ticket.Revision, "revisions increase by one")
		}
		require.Equal(t, prev.Events+1, w.ticket.Events)
		w.stream, w.wire = append(w.stream, env), append(w.wire, wire[i])
		stats.types[env.Type]++
	}
	w.states, w.marks = append(w.states, w.ticket), append(w.marks, len(w.stream)-1)
	w.checkInvariants(t)
	w.checkTransition(t, before, sealed)
	checkLegality(t, before, sealed, w.pol, stats.mutations)
}

// checkTransition checks what an accepted command's events say against the
// state they were decided on.
func (w *propWorld) checkTransition(t *testing.T, before domain.Ticket, recorded []events.Envelope) {
	t.Helper()
	if before.Locked {
		require.True(t, w.ticket.Locked || w.ticket.Closed(), "a locked ticket stays locked until it closes")
	}
	effect := before.Effect
	for _, env := range recorded {
		// A deadline counts from when its event took effect: for an expiry
		// fired late and what it caused, the expired deadline's due time.
		at := effect.At(env)
		effect = effect.After(env)
		if s, ok := propScheduleOf(env.Payload); ok {
			require.Equal(t, w.pol.Version, s.PolicyVersion, "%s is stamped with the policy in force", env.Type)
			for _, d := range s.Deadlines {
				require.True(t, d.DueAt.After(at), "%s starts %s already due at its effect", env.Type, d.Kind)
			}
		}
		if r, ok := env.Payload.(events.RulingRecorded); ok {
			for _, id := range r.Evidence {
				require.Contains(t, before.Evidence, id, "a ruling cites only evidence on record")
			}
		}
	}
}

// propScheduleOf returns the schedule an event carries, if it carries one.
func propScheduleOf(p events.Payload) (events.Schedule, bool) {
	switch e := p.(type) {
	case events.RefundRequested:
		return e.Schedule, true
	case events.RequestRevised:
		return e.Schedule, true
	case events.MerchantAgreed:
		return e.Schedule, true
	case events.MerchantRejected:
		return e.Schedule, true
	case events.OfferMade:
		return e.Schedule, true
	case events.OfferDeclined:
		return e.Schedule, true
	case events.ReturnShipped:
		return e.Schedule, true
	case events.ReturnReceived:
		return e.Schedule, true
	case events.ReturnProblemReported:
		return e.Schedule, true
	case events.ReplacementShipped:
		return e.Schedule, true
	case events.InterventionRequested:
		return e.Schedule, true
	case events.EvidenceRequested:
		return e.Schedule, true
	case events.RulingRecorded:
		return e.Schedule, true
	}
	return events.Schedule{}, false
}

// checkRefusalRules checks the refusals that must happen whatever else is
// true of the command.
func (w *propWorld) checkRefusalRules(t *testing.T, before domain.Ticket, actor events.Actor, cmd domain.Command, err error) {
	t.Helper()
	name := cmd.CommandName()
	permitted := slices.Contains(domain.Permissions()[name], actor.Role)
	validActor := actor.Role.Valid() && actor.ID != ""
	_, isOpen := cmd.(domain.OpenTicket)
	owner := before.Exists() && (actor.Role == events.RoleBuyer && actor.ID == before.BuyerID ||
		actor.Role == events.RoleMerchant && actor.ID == before.MerchantID)
	party := actor.Role == events.RoleBuyer || actor.Role == events.RoleMerchant

	switch {
	case !validActor:
		require.ErrorIs(t, err, domain.ErrInvalidCommand, "invalid actor %s", actor)
		return
	case !permitted:
		require.ErrorIs(t, err, domain.ErrRoleNotAllowed, "%s may not %s", actor.Role, name)
		return
	case before.Exists() && isOpen && party && !owner:
		require.ErrorIs(t, err, domain.ErrTicketExists, "%s opening a taken ticket id", actor)
		return
	case before.Exists() && party && !owner:
		require.ErrorIs(t, err, domain.ErrNotYourTicket, "%s acting on another's ticket", actor)
		return
	}
	require.NotEqual(t, events.RoleAuditor, actor.Role, "auditors never write")

	if before.Closed() {
		require.Error(t, err, "a closed ticket accepted %s", name)
		if isOpen {
			require.ErrorIs(t, err, domain.ErrTicketExists)
		} else {
			require.ErrorIs(t, err, domain.ErrTicketClosed)
		}
		return
	}
	if before.Locked && actor.Role == events.RoleMerchant {
		switch cmd.(type) {
		case domain.ConfirmReceipt, domain.SubmitEvidence, domain.FileAppeal, domain.PostMessage:
		default:
			require.ErrorIs(t, err, domain.ErrTicketLocked, "a locked merchant may not %s", name)
			return
		}
	}
	if exp, ok := cmd.(domain.ExpireDeadline); ok && err == nil {
		due, open := before.Deadlines[exp.Deadline]
		require.True(t, open, "fired %s, which was not running", exp.Deadline)
		require.False(t, w.now.Before(due), "fired %s early", exp.Deadline)
	}
	if err == nil && !before.Exists() {
		require.True(t, isOpen, "only open_ticket acts on a ticket that does not exist")
	}
}

// checkInvariants checks the state after an accepted command.
func (w *propWorld) checkInvariants(t *testing.T) {
	t.Helper()
	tk := w.ticket
	require.GreaterOrEqual(t, tk.Refunded, int64(0))
	require.LessOrEqual(t, tk.Refunded, tk.AmountPaid, "refunded more than was paid")
	require.GreaterOrEqual(t, tk.Compensation, int64(0))
	if tk.Compensation > 0 {
		var finalized []events.RulingFinalized
		for _, env := range w.stream {
			if f, ok := env.Payload.(events.RulingFinalized); ok {
				finalized = append(finalized, f)
			}
		}
		require.Len(t, finalized, 1, "compensation comes only from a final ruling")
		require.True(t, finalized[0].Counterfeit, "compensation only for counterfeits")
		require.Equal(t, tk.AmountPaid*w.pol.CompensationMultiple, tk.Compensation)
	}
	if tk.Closed() {
		require.NotEmpty(t, tk.Resolution)
		require.NotNil(t, tk.ClosedAt)
		require.False(t, tk.Locked, "a closed ticket is not locked")
		require.Empty(t, tk.Deadlines, "a closed ticket runs no deadline")
	}
	if tk.Locked {
		require.Contains(t, []domain.Status{domain.StatusNegotiation, domain.StatusAwaitingEvidence, domain.StatusUnderReview,
			domain.StatusRuled, domain.StatusUnderAppeal}, tk.Status, "only intervention locks")
	}
	require.Equal(t, len(w.stream), tk.Events)
	require.Equal(t, w.stream[len(w.stream)-1].Hash, tk.LastHash)
}

// checkStream checks the whole sequence: the chain verifies, and folding
// the events again from scratch, or from their decoded wire bytes, gives the
// states built step by step.
func (w *propWorld) checkStream(t *testing.T) {
	t.Helper()
	if len(w.stream) == 0 {
		return
	}
	require.NoError(t, events.VerifyChain(nil, w.stream))
	timeline := domain.Timeline(w.stream, nil)
	require.Len(t, timeline, len(w.stream))
	for i, mark := range w.marks {
		require.Equal(t, w.states[i], timeline[mark].State, "replaying up to event %d gives another state", mark)
	}
	require.Equal(t, w.ticket, domain.Replay(w.stream))
	decoded := make([]events.Envelope, len(w.wire))
	for i, b := range w.wire {
		env, err := events.Decode(b)
		require.NoError(t, err)
		decoded[i] = env
	}
	require.NoError(t, events.VerifyChain(nil, decoded))
	require.Equal(t, w.ticket, domain.Replay(decoded), "replaying the stored bytes gives another state")
}

func propJSON(t *testing.T, tk domain.Ticket) string {
	t.Helper()
	b, err := json.Marshal(tk)
	require.NoError(t, err)
	return string(b)
}

func propRefusalNames() []string {
	names := make([]string, 0, len(propRefusals)+1)
	for _, s := range propRefusals {
		names = append(names, s.Error())
	}
	return append(names, "deadline not due")
}

var propRefusals = []error{
	domain.ErrInvalidCommand, domain.ErrRoleNotAllowed, domain.ErrNotYourTicket, domain.ErrTicketNotFound,
	domain.ErrTicketExists, domain.ErrTicketClosed, domain.ErrTicketLocked, domain.ErrWrongState,
	domain.ErrAmountExceedsPaid, domain.ErrWindowClosed, domain.ErrEscalationNotAllowed, domain.ErrEvidenceNotFound,
	domain.ErrSameArbitrator, domain.ErrAlreadyAppealed, domain.ErrRulingTerms, domain.ErrDeadlineNotOpen,
	domain.ErrContradictoryInput,
}

func propRefusalName(err error) string {
	var notDue *domain.DeadlineNotDueError
	if errors.As(err, &notDue) {
		return "deadline not due"
	}
	for _, s := range propRefusals {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "unclassified: " + err.Error()
}

// propSHA is a well-formed digest.
func propSHA(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// advance moves the clock on by a random amount: often minutes, sometimes
// hours or days, sometimes not at all.
func (w *propWorld) advance() {
	switch r := w.rng.Float64(); {
	case r < 0.1:
	case r < 0.55:
		w.now = w.now.Add(time.Duration(1+w.rng.IntN(180)) * time.Minute)
	case r < 0.85:
		w.now = w.now.Add(time.Duration(1+w.rng.IntN(36)) * time.Hour)
	default:
		w.now = w.now.Add(time.Duration(1+w.rng.IntN(9)) * 24 * time.Hour)
	}
}

// command draws the next command: mostly one that fits the ticket's stage,
// from the party who would send it; otherwise anything, from anyone.
func (w *propWorld) command() (events.Actor, domain.Command) {
	switch r := w.rng.Float64(); {
	case !w.ticket.Exists() && r < 0.7:
		return propBuyer, w.openCmd()
	case r < 0.6:
		return w.guided()
	}
	cmd := w.randomCommand()
	return w.actorFor(cmd), cmd
}

// actorFor picks who sends cmd: usually a role allowed to, acting as the
// ticket's own party; otherwise anyone in the cast.
func (w *propWorld) actorFor(cmd domain.Command) events.Actor {
	if w.rng.Float64() < 0.3 {
		return propCast[w.rng.IntN(len(propCast))]
	}
	roles := domain.Permissions()[cmd.CommandName()]
	switch role := roles[w.rng.IntN(len(roles))]; role {
	case events.RoleBuyer:
		return propBuyer
	case events.RoleMerchant:
		return w.owner()
	case events.RoleArbitrator:
		return propArbitrators[w.rng.IntN(2)]
	case events.RoleSeniorArbitrator:
		return propSeniors[w.rng.IntN(2)]
	case events.RoleAgent:
		return propAgent
	default:
		return events.Actor{Role: role, ID: "x-1"}
	}
}

// owner is the ticket's merchant (m-100 unless the ticket names another).
func (w *propWorld) owner() events.Actor {
	if w.ticket.MerchantID == propOtherMerchant.ID {
		return propOtherMerchant
	}
	return propMerchant
}

// expireCmd fires an open deadline, moving the clock to just before, at or
// after its due time: the scheduler firing early, on time or late.
func (w *propWorld) expireCmd() (events.Actor, domain.Command) {
	open := w.ticket.OpenDeadlines()
	if len(open) == 0 || w.rng.Float64() < 0.1 {
		kinds := append(events.DeadlineKinds(), "bogus")
		return propSystem, domain.ExpireDeadline{Deadline: kinds[w.rng.IntN(len(kinds))]}
	}
	d := open[w.rng.IntN(len(open))]
	offsets := []time.Duration{-2 * time.Hour, -time.Second, 0, 0, time.Second, 5 * time.Minute, 30 * time.Hour}
	if at := d.DueAt.Add(offsets[w.rng.IntN(len(offsets))]); at.After(w.now) {
		w.now = at
	}
	return propSystem, domain.ExpireDeadline{Deadline: d.Kind}
}

// guided draws a command that fits the ticket's stage.
func (w *propWorld) guided() (events.Actor, domain.Command) {
	tk := w.ticket
	if w.rng.Float64() < 0.2 {
		return w.expireCmd()
	}
	pick := func(options ...func() (events.Actor, domain.Command)) (events.Actor, domain.Command) {
		return options[w.rng.IntN(len(options))]()
	}
	buyer := func(cmd domain.Command) func() (events.Actor, domain.Command) {
		return func() (events.Actor, domain.Command) { return propBuyer, cmd }
	}
	merchant := func(cmd domain.Command) func() (events.Actor, domain.Command) {
		return func() (events.Actor, domain.Command) { return w.owner(), cmd }
	}
	lockedMerchant := merchant(w.randomMerchantCommand())
	escalate := domain.RequestIntervention{Reason: "不同意 / disagree"}
	withdraw := buyer(domain.Withdraw{Note: w.text()})
	if w.rng.Float64() < 0.03 {
		return withdraw() // rarely: withdrawing ends most sequences' interesting part
	}
	switch tk.Status {
	case domain.StatusNone:
		return propBuyer, w.openCmd()
	case domain.StatusAwaitingMerchant:
		return pick(merchant(domain.Agree{ReturnAddress: w.text()}), merchant(domain.Reject{Reason: w.text()}),
			merchant(domain.Reject{Reason: "人为损坏"}), merchant(w.offerCmd()), merchant(domain.IssueRefund{Amount: w.amount()}),
			buyer(domain.ReviseRequest{Requested: w.amount(), Description: w.text()}), buyer(escalate))
	case domain.StatusRejected:
		return pick(buyer(domain.ReviseRequest{Requested: w.amount(), Description: w.text()}),
			buyer(escalate), buyer(escalate), merchant(escalate), merchant(domain.IssueRefund{Amount: w.amount()}))
	case domain.StatusOfferPending:
		return pick(buyer(domain.AcceptOffer{}), buyer(domain.DeclineOffer{Reason: w.text()}), buyer(domain.DeclineOffer{}), buyer(escalate))
	case domain.StatusAwaitingReturn:
		return buyer(domain.ShipReturn{Shipment: w.shipment()})()
	case domain.StatusReturnInTransit:
		return pick(merchant(domain.ConfirmReceipt{Problem: w.problem()}), merchant(domain.ConfirmReceipt{}))
	case domain.StatusAwaitingRefund:
		return pick(merchant(domain.IssueRefund{Amount: w.amount()}), merchant(domain.IssueRefund{}), buyer(escalate))
	case domain.StatusAwaitingReship:
		return pick(merchant(domain.ShipReplacement{Shipment: w.shipment()}), buyer(escalate))
	case domain.StatusReplacementInTransit:
		return pick(buyer(domain.ConfirmReplacement{}), buyer(escalate))
	case domain.StatusNegotiation:
		return pick(buyer(domain.MarkResolved{Note: w.text()}), lockedMerchant, merchant(domain.ConfirmReceipt{}),
			func() (events.Actor, domain.Command) { return propAgent, domain.RequestEvidence{Note: w.text()} },
			buyer(w.evidenceCmd()), merchant(w.evidenceCmd()), w.expireCmd, w.expireCmd)
	case domain.StatusAwaitingEvidence:
		return pick(buyer(w.evidenceCmd()), merchant(w.evidenceCmd()), lockedMerchant, w.expireCmd)
	case domain.StatusUnderReview:
		return pick(w.ruleCmd, w.ruleCmd, w.ruleCmd, buyer(w.evidenceCmd()), merchant(w.evidenceCmd()), lockedMerchant)
	case domain.StatusRuled:
		return pick(buyer(domain.FileAppeal{Grounds: w.text()}), merchant(domain.FileAppeal{Grounds: w.text()}), lockedMerchant)
	case domain.StatusUnderAppeal:
		return pick(w.decideAppealCmd, w.decideAppealCmd, buyer(domain.FileAppeal{Grounds: w.text()}),
			merchant(domain.FileAppeal{Grounds: w.text()}), lockedMerchant)
	}
	cmd := w.randomCommand()
	return w.actorFor(cmd), cmd
}

func (w *propWorld) ruleCmd() (events.Actor, domain.Command) {
	return propArbitrators[w.rng.IntN(2)], domain.Rule{Terms: w.terms(), Rationale: w.text(), Evidence: w.cite()}
}

func (w *propWorld) decideAppealCmd() (events.Actor, domain.Command) {
	cmd := domain.DecideAppeal{Decision: events.AppealUpheld, Rationale: w.text()}
	switch r := w.rng.Float64(); {
	case r < 0.45:
		terms := w.terms()
		cmd.Decision, cmd.Terms = events.AppealOverturned, &terms
	case r < 0.5:
		cmd.Decision = "remanded"
	case r < 0.55:
		terms := w.terms()
		cmd.Terms = &terms // terms on an upheld ruling
	}
	return propSeniors[w.rng.IntN(2)], cmd
}

// randomMerchantCommand is any merchant command: after intervention most
// of them must be refused.
func (w *propWorld) randomMerchantCommand() domain.Command {
	cmds := []domain.Command{domain.Agree{ReturnAddress: "A"}, domain.Reject{Reason: "no"}, w.offerCmd(),
		domain.IssueRefund{Amount: w.amount()}, domain.ShipReplacement{Shipment: w.shipment()},
		domain.RequestIntervention{Reason: "x"}, domain.ConfirmReceipt{}, w.evidenceCmd(),
		domain.FileAppeal{Grounds: "g"}, domain.PostMessage{Text: w.text()}}
	return cmds[w.rng.IntN(len(cmds))]
}

// randomCommand is any command with random, often invalid, fields.
func (w *propWorld) randomCommand() domain.Command {
	cmds := []func() domain.Command{
		func() domain.Command { return w.openCmd() },
		func() domain.Command { return domain.ReviseRequest{Requested: w.amount(), Description: w.text()} },
		func() domain.Command { return domain.Withdraw{Note: w.text()} },
		func() domain.Command { return domain.Agree{ReturnAddress: w.text()} },
		func() domain.Command { return domain.Reject{Reason: w.text()} },
		func() domain.Command { return w.offerCmd() },
		func() domain.Command { return domain.AcceptOffer{} },
		func() domain.Command { return domain.DeclineOffer{Reason: w.text()} },
		func() domain.Command { return domain.ShipReturn{Shipment: w.shipment()} },
		func() domain.Command { return domain.ConfirmReceipt{Problem: w.problem(), Note: w.text()} },
		func() domain.Command { return domain.IssueRefund{Amount: w.amount()} },
		func() domain.Command { return domain.ShipReplacement{Shipment: w.shipment()} },
		func() domain.Command { return domain.ConfirmReplacement{} },
		func() domain.Command { return domain.RequestIntervention{Reason: w.text()} },
		func() domain.Command { return domain.RequestEvidence{Note: w.text()} },
		func() domain.Command { return w.evidenceCmd() },
		func() domain.Command { return domain.MarkResolved{Note: w.text()} },
		func() domain.Command { return domain.Rule{Terms: w.terms(), Rationale: w.text(), Evidence: w.cite()} },
		func() domain.Command { return domain.FileAppeal{Grounds: w.text()} },
		func() domain.Command { _, cmd := w.decideAppealCmd(); return cmd },
		func() domain.Command { return domain.PostMessage{Text: w.text()} },
		func() domain.Command { _, cmd := w.expireCmd(); return cmd },
	}
	return cmds[w.rng.IntN(len(cmds))]()
}

func (w *propWorld) openCmd() domain.OpenTicket {
	kinds := []events.TicketKind{events.KindRefundOnly, events.KindReturnRefund, events.KindExchange, events.KindReturnRefund, "swap"}
	reasons := []events.Reason{events.ReasonQuality, events.ReasonCounterfeit, events.ReasonNotShipped, events.ReasonNoReason,
		events.ReasonLogistics, events.ReasonDamaged, "whim"}
	paid := []int64{19900, 19900, 89900, 100, 0, -5}[w.rng.IntN(6)]
	cmd := domain.OpenTicket{
		TicketID: w.ticketID, OrderID: "O-1", MerchantID: propMerchant.ID, Kind: kinds[w.rng.IntN(len(kinds))],
		Reason: reasons[w.rng.IntN(len(reasons))], Currency: "CNY", AmountPaid: paid, Description: w.text(),
		OrderShipped: w.rng.Float64() < 0.85,
	}
	cmd.Requested = []int64{paid, paid, paid / 2, paid + 1, 0, -1}[w.rng.IntN(6)]
	// Mostly consistent: a delivery for most shipped orders, rarely one for
	// an order never shipped (a contradiction, refused).
	if !cmd.OrderShipped && w.rng.Float64() < 0.8 {
		// Mostly a reason an order never shipped can have; the rest are
		// contradictions about goods never received, refused.
		cmd.Reason = []events.Reason{events.ReasonNotShipped, events.ReasonLogistics, events.ReasonOther}[w.rng.IntN(3)]
	}
	if p := map[bool]float64{true: 0.8, false: 0.15}[cmd.OrderShipped]; w.rng.Float64() < p {
		d := w.now.Add(-time.Duration(w.rng.IntN(12*24)) * time.Hour)
		cmd.DeliveredAt = &d
	}
	switch r := w.rng.Float64(); {
	case r < 0.03:
		cmd.TicketID = ""
	case r < 0.06:
		cmd.Currency = "cny"
	case r < 0.1:
		cmd.MerchantID = propOtherMerchant.ID
	}
	return cmd
}

func (w *propWorld) offerCmd() domain.MakeOffer {
	kinds := []events.OfferKind{events.OfferPartialRefund, events.OfferPartialRefund, events.OfferReplacement, "voucher"}
	cmd := domain.MakeOffer{Kind: kinds[w.rng.IntN(len(kinds))], Amount: w.amount(), Note: w.text()}
	if cmd.Kind == events.OfferReplacement && w.rng.Float64() < 0.7 {
		cmd.Amount = 0
	}
	return cmd
}

// amount is a money amount around the price paid: zero, negative, part,
// all, or more than was paid.
func (w *propWorld) amount() int64 {
	paid := w.ticket.AmountPaid
	switch w.rng.IntN(8) {
	case 0:
		return 0
	case 1:
		return -1
	case 2:
		return paid + 1
	case 3:
		return 2*paid + 100
	case 4:
		return paid
	case 5:
		return paid / 2
	}
	return 1 + w.rng.Int64N(max(paid, 1))
}

func (w *propWorld) terms() events.Terms {
	outcomes := []events.Outcome{events.OutcomeBuyerFavoured, events.OutcomePartiallyFavored, events.OutcomeMerchantFavoured, "draw"}
	liabilities := []events.Liability{events.LiabilityMerchant, events.LiabilityBuyer, events.LiabilityShared, events.LiabilityNone, "carrier"}
	terms := events.Terms{Outcome: outcomes[w.rng.IntN(len(outcomes))], Liability: liabilities[w.rng.IntN(len(liabilities))], Refund: w.amount()}
	if w.rng.Float64() < 0.4 {
		terms.Outcome, terms.Liability, terms.Refund = events.OutcomeBuyerFavoured, events.LiabilityMerchant, w.ticket.Requested
	}
	switch r := w.rng.Float64(); {
	case r < 0.25:
		terms.Counterfeit = true
		terms.Compensation = w.ticket.AmountPaid * w.pol.CompensationMultiple
		if w.rng.Float64() < 0.3 {
			terms.Compensation = w.amount()
		}
	case r < 0.3:
		terms.Compensation = w.amount()
	}
	return terms
}

var propEvidenceIDs = []string{"ev-1", "ev-2", "ev-3", "ev-4", "ev-5", "ev-6", "ev-7", "ev-8"}

func (w *propWorld) evidenceCmd() domain.SubmitEvidence {
	n := w.rng.IntN(3) // zero items is invalid
	items := make([]events.EvidenceItem, n)
	for i := range items {
		id := propEvidenceIDs[w.rng.IntN(len(propEvidenceIDs))]
		items[i] = events.EvidenceItem{ID: id, Kind: "photo", Description: w.text(), SHA256: propSHA(id), URI: "oss://evidence/" + id}
		switch r := w.rng.Float64(); {
		case r < 0.04:
			items[i].SHA256 = "not-a-digest"
		case r < 0.06:
			items[i].URI = ""
		case r < 0.08:
			items[i].Kind = " "
		}
	}
	return domain.SubmitEvidence{Items: items}
}

// cite draws evidence to cite, on record or not.
func (w *propWorld) cite() []string {
	var ids []string
	for _, id := range propEvidenceIDs {
		_, onRecord := w.ticket.Evidence[id]
		if onRecord && w.rng.Float64() < 0.5 || !onRecord && w.rng.Float64() < 0.05 {
			ids = append(ids, id)
		}
	}
	return ids
}

func (w *propWorld) shipment() events.Shipment {
	if w.rng.Float64() < 0.1 {
		return events.Shipment{Carrier: "SF"}
	}
	return events.Shipment{Carrier: "SF Express", TrackingNumber: fmt.Sprintf("SF%d", 1e12+w.rng.Int64N(1e12))}
}

func (w *propWorld) problem() events.ReturnProblem {
	ps := []events.ReturnProblem{"", events.ProblemDamaged, events.ProblemEmptyPackage, events.ProblemPartsMissing, "lost"}
	return ps[w.rng.IntN(len(ps))]
}

// propTexts include vague promises, concrete ones, and blanks.
var propTexts = []string{"请尽快处理", "马上发货", "ASAP please", "明天18:00前发货", "ok", "Shipping by Friday 12:00", "", "  ", "稍后 shortly"}

func (w *propWorld) text() string { return propTexts[w.rng.IntN(len(propTexts))] }
