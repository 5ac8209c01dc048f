package main

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
)

// What the explorer reads: the seed disputes and this many generated ones,
// from a fixed seed and start, so the catalogue is the same on every run.
const (
	generated     = 80
	generatorSeed = 16
	maxSamples    = 12 // payloads of each command tried in each state, each of its own shape
)

var exploreStart = time.Date(2026, 11, 2, 1, 30, 0, 0, time.UTC)

// lateBy is how far after a state's next step each command is tried
// again, past every window and deadline of the policy.
const lateBy = 60 * 24 * time.Hour

// extraSamples are payloads beside the scenarios': for the commands no
// scenario sends, and one expiry of every deadline kind.
func extraSamples() []domain.Command {
	out := []domain.Command{
		domain.ReviseRequest{Requested: 1000, Description: "a smaller refund, after the rejection"},
		domain.DecideAppeal{Decision: events.AppealUpheld, Rationale: "the ruling stands"},
		domain.MakeOffer{Kind: events.OfferReplacement, Note: "a new one, keep the old"},
	}
	for _, k := range events.DeadlineKinds() {
		out = append(out, domain.ExpireDeadline{Deadline: k})
	}
	return out
}

// shape is what tells samples apart: which members are given (not zero)
// and the value of each enumeration, so that the samples of a command
// cover its variants (a partial refund and a replacement offer, a ruling
// with and without counterfeit) rather than one variant many times.
func shape(c domain.Command) string {
	var b strings.Builder
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				b.WriteString("nil;")
				return
			}
			walk(v.Elem())
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() {
				fmt.Fprintf(&b, "%v;", v.Interface().(time.Time).IsZero())
				return
			}
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		case reflect.Slice:
			fmt.Fprintf(&b, "%v[", v.Len() == 0)
			if v.Len() > 0 {
				walk(v.Index(0))
			}
			b.WriteString("];")
		case reflect.String:
			if v.Type().PkgPath() != "" {
				fmt.Fprintf(&b, "%s;", v.String()) // an enumeration
			} else {
				fmt.Fprintf(&b, "%v;", v.Len() == 0)
			}
		default:
			fmt.Fprintf(&b, "%v;", v.IsZero())
		}
	}
	walk(reflect.ValueOf(c))
	return b.String()
}

// behaviour is what the domain did with a command over every state tried:
// the statuses it was accepted in ("" for a ticket that does not exist
// yet) and the codes of its refusals.
type behaviour struct {
	acceptedIn map[domain.Status]bool
	refusals   map[string]commands.ErrorKind
	accepted   []trial // every accepted try, for required
}

// trial is one try of a command.
type trial struct {
	ticket domain.Ticket
	actor  events.Actor
	at     time.Time
	cmd    domain.Command
}

// state is a ticket as it stood between two steps of a scenario, and when
// the next step came.
type state struct {
	ticket domain.Ticket
	next   time.Time
}

// explore tries every registered command, with payloads the scenarios
// sent, by every role (a party of the ticket and a stranger), in every
// state the scenarios pass through, on time and late, and records what
// domain.Decide answered.
func explore(pol policy.Policy) (map[string]*behaviour, error) {
	scs := append(scenarios.Seeds(exploreStart), scenarios.Generate(generatorSeed, generated, exploreStart, pol)...)
	samples := map[string][]domain.Command{}
	var states []state
	for _, sc := range scs {
		for _, st := range sc.Steps {
			name := st.Command.CommandName()
			if len(samples[name]) < maxSamples && !slices.ContainsFunc(samples[name], func(c domain.Command) bool { return shape(c) == shape(st.Command) }) {
				samples[name] = append(samples[name], st.Command)
			}
		}
		envs, err := scenarios.Play(sc, pol, nil)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
		var t domain.Ticket
		states = append(states, state{ticket: t, next: sc.TimeOf(0)})
		step := 0
		for i, env := range envs {
			t = t.Apply(env)
			if i+1 < len(envs) && envs[i+1].CommandID == env.CommandID {
				continue // the rest of one step's events
			}
			step++
			next := env.OccurredAt.Add(time.Hour)
			if step < len(sc.Steps) {
				next = sc.TimeOf(step)
			}
			states = append(states, state{ticket: t, next: next})
		}
	}
	for _, c := range extraSamples() {
		samples[c.CommandName()] = append(samples[c.CommandName()], c)
	}
	out := map[string]*behaviour{}
	for _, spec := range domain.Registry() {
		b := &behaviour{acceptedIn: map[domain.Status]bool{}, refusals: map[string]commands.ErrorKind{}}
		out[spec.Name()] = b
		if len(samples[spec.Name()]) == 0 {
			return nil, fmt.Errorf("no scenario sends %s, and it has no fallback sample: the catalogue could not say where it is accepted", spec.Name())
		}
		for _, st := range states {
			for _, actor := range actors(st.ticket) {
				for _, cmd := range samples[spec.Name()] {
					if open, ok := cmd.(domain.OpenTicket); ok && st.ticket.Exists() {
						open.TicketID = st.ticket.ID
						cmd = open
					}
					for _, at := range []time.Time{st.next, st.next.Add(lateBy)} {
						_, err := domain.Decide(st.ticket, actor, cmd, at, pol)
						if err == nil {
							b.acceptedIn[st.ticket.Status] = true
							b.accepted = append(b.accepted, trial{st.ticket, actor, at, cmd})
							continue
						}
						c := commands.Classify(err)
						b.refusals[c.Code] = c.Kind
					}
				}
			}
		}
	}
	return out, nil
}

// actors are who tries each command on t: each role, as a party of the
// ticket where the role has parties, and a buyer and a merchant who are
// not its parties.
func actors(t domain.Ticket) []events.Actor {
	buyer, merchant := t.BuyerID, t.MerchantID
	if buyer == "" {
		buyer, merchant = "b-explorer", "m-explorer"
	}
	return []events.Actor{
		{Role: events.RoleBuyer, ID: buyer}, {Role: events.RoleMerchant, ID: merchant},
		{Role: events.RoleBuyer, ID: "b-stranger"}, {Role: events.RoleMerchant, ID: "m-stranger"},
		{Role: events.RoleAgent, ID: "cs-explorer"}, {Role: events.RoleArbitrator, ID: "arb-explorer"},
		{Role: events.RoleSeniorArbitrator, ID: "sr-explorer"}, {Role: events.RoleAuditor, ID: "au-explorer"},
		events.SystemActor(),
	}
}
