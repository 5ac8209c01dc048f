package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
)

// intent is what a client means by an operation: the honest party playing
// its part, or one of the hostile or clumsy things clients do.
type intent string

const (
	// honest: a scenario's step by its own actor, when the scenario says.
	honest intent = "honest"
	// replaySame: an earlier request sent again, same command id and body
	// (a client retrying): must answer with the first answer.
	replaySame intent = "replay-same"
	// replayOther: an earlier command id sent again with another body:
	// must be refused if the first was recorded, and record nothing.
	replayOther intent = "replay-other"
	// foreign: a party of another ticket sends this ticket's command:
	// must be refused as if the ticket did not exist.
	foreign intent = "foreign"
	// late: a step sent again, with a new id, well after its time.
	late intent = "late"
	// boundary: a step sent at exactly the due time of one of the
	// ticket's deadlines.
	boundary intent = "boundary"
	// read: a principal reads a ticket (its own, or not).
	read intent = "read"
	// wake: the schedulers' wake-up at a deadline's due time.
	wake intent = "wake"
)

// op is one operation of the workload, at a virtual time.
type op struct {
	seq    int // order among ops at the same time, and the op's name in the trace
	at     time.Time
	intent intent
	ticket string
	actor  events.Actor
	cmd    domain.Command
	cmdID  string
	// of is the seq of the op a replay repeats (-1: none).
	of int
}

func (o op) String() string {
	switch o.intent {
	case wake:
		return fmt.Sprintf("wake %s", o.ticket)
	case read:
		return fmt.Sprintf("read %s by %s", o.ticket, o.actor)
	}
	s := fmt.Sprintf("%s %s by %s on %s id=%s", o.intent, o.cmd.CommandName(), o.actor, o.ticket, o.cmdID)
	if o.of >= 0 {
		s += fmt.Sprintf(" (of #%d)", o.of)
	}
	return s
}

// workloadStart is the virtual time the generated tickets open from.
var workloadStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// compressSpan is the span the tickets' opening times are folded into (by
// whole weeks, so weekdays and working hours stay as the generator timed
// them): tickets overlap, and their deadlines fall due among each other's.
const compressSpan = 14 * 24 * time.Hour

// parties are the principals a ticket has, as the workload knows them.
type parties struct{ buyer, merchant string }

// workload builds the operations of a run from the generated scenarios:
// every non-system step as an honest op, a wake-up at every step the
// scenario has the system take (a deadline's due time), and hostile and
// clumsy ops drawn from rng around them.
func workload(rng *rand.Rand, seed int64, tickets int, pol policy.Policy) ([]op, map[string]parties) {
	scs := scenarios.Generate(seed, tickets, workloadStart, pol)
	var (
		ops   []op
		owner = map[string]parties{}
		all   []events.Actor // every party of every ticket, for foreign ops
	)
	add := func(o op) int {
		o.seq = len(ops)
		ops = append(ops, o)
		return o.seq
	}
	for _, sc := range scs {
		shift := sc.Start.Sub(workloadStart) / (7 * 24 * time.Hour) * (7 * 24 * time.Hour)
		for shift > 0 && sc.Start.Add(-shift).Sub(workloadStart) < 0 {
			shift -= 7 * 24 * time.Hour
		}
		for sc.Start.Add(-shift).Sub(workloadStart) >= compressSpan {
			shift += 7 * 24 * time.Hour
		}
		open := sc.Steps[0].Command.(domain.OpenTicket)
		buyer := sc.Steps[0].Actor.ID
		owner[sc.TicketID] = parties{buyer: buyer, merchant: open.MerchantID}
		all = append(all, events.Actor{Role: events.RoleBuyer, ID: buyer}, events.Actor{Role: events.RoleMerchant, ID: open.MerchantID})
		for i, st := range sc.Steps {
			at := sc.TimeOf(i).Add(-shift)
			if st.Actor.Role == events.RoleSystem {
				add(op{at: at, intent: wake, ticket: sc.TicketID, of: -1})
				continue
			}
			cmd := st.Command
			if o, ok := cmd.(domain.OpenTicket); ok && o.DeliveredAt != nil {
				d := o.DeliveredAt.Add(-shift) // the order's times move with the ticket
				o.DeliveredAt = &d
				cmd = o
			}
			add(op{at: at, intent: honest, ticket: sc.TicketID, actor: st.Actor, cmd: cmd,
				cmdID: fmt.Sprintf("%s-%03d", sc.TicketID, i), of: -1})
		}
	}
	// Hostile and clumsy ops, drawn around the honest ones.
	n := len(ops)
	for i := range n {
		o := ops[i]
		if o.intent != honest {
			continue
		}
		switch r := rng.Float64(); {
		case r < 0.10:
			add(op{at: o.at.Add(jitter(rng, 2*time.Hour)), intent: replaySame, ticket: o.ticket, actor: o.actor, cmd: o.cmd, cmdID: o.cmdID, of: o.seq})
		case r < 0.15:
			other, ok := otherCommand(rng, ops[:n], o)
			if !ok {
				continue
			}
			add(op{at: o.at.Add(jitter(rng, 2*time.Hour)), intent: replayOther, ticket: o.ticket, actor: o.actor, cmd: other, cmdID: o.cmdID, of: o.seq})
		case r < 0.22:
			if _, opens := o.cmd.(domain.OpenTicket); opens {
				continue // a stranger's open of a taken id is the one refusal that tells the id is taken
			}
			stranger := all[rng.IntN(len(all))]
			if p := owner[o.ticket]; stranger.ID == p.buyer || stranger.ID == p.merchant {
				continue
			}
			add(op{at: o.at.Add(jitter(rng, time.Hour)), intent: foreign, ticket: o.ticket, actor: stranger, cmd: o.cmd,
				cmdID: fmt.Sprintf("%s-foreign-%d", o.ticket, o.seq), of: -1})
		case r < 0.27:
			add(op{at: o.at.Add(time.Duration(1+rng.IntN(10*24)) * time.Hour), intent: late, ticket: o.ticket, actor: o.actor, cmd: o.cmd,
				cmdID: fmt.Sprintf("%s-late-%d", o.ticket, o.seq), of: -1})
		case r < 0.40:
			add(op{at: o.at.Add(jitter(rng, 3*24*time.Hour)), intent: read, ticket: o.ticket, actor: reader(rng, all), of: -1})
		}
	}
	// Boundary ops: the next step of a ticket sent at exactly the due time
	// of the deadline the scenario let expire before it.
	for i := range n {
		if ops[i].intent != wake || rng.Float64() >= 0.5 {
			continue
		}
		for j := i + 1; j < n && ops[j].ticket == ops[i].ticket; j++ {
			if ops[j].intent == honest {
				add(op{at: ops[i].at, intent: boundary, ticket: ops[j].ticket, actor: ops[j].actor, cmd: ops[j].cmd,
					cmdID: fmt.Sprintf("%s-boundary-%d", ops[j].ticket, i), of: -1})
				break
			}
		}
	}
	slices.SortStableFunc(ops, func(a, b op) int { return a.at.Compare(b.at) })
	return ops, owner
}

// jitter is a random duration in [0, d).
func jitter(rng *rand.Rand, d time.Duration) time.Duration {
	return time.Duration(rng.Int64N(int64(d)))
}

// otherCommand returns another command o's actor may issue (by
// domain.Registry): another honest step's of o's ticket, or a message. It
// is the body of a reused command id; the role must be allowed, or the
// reuse would be refused for the role before the key is looked up.
func otherCommand(rng *rand.Rand, ops []op, o op) (domain.Command, bool) {
	var others []domain.Command
	for _, x := range ops {
		if x.ticket == o.ticket && x.intent == honest && x.seq != o.seq && x.cmd.CommandName() != o.cmd.CommandName() && mayIssue(o.actor.Role, x.cmd) {
			others = append(others, x.cmd)
		}
	}
	if msg := (domain.PostMessage{Text: fmt.Sprintf("another body %d", rng.IntN(1000))}); mayIssue(o.actor.Role, msg) && (len(others) == 0 || rng.IntN(3) == 0) {
		return msg, true
	}
	if len(others) == 0 {
		return nil, false
	}
	return others[rng.IntN(len(others))], true
}

// mayIssue reports whether the registry lets role issue cmd.
func mayIssue(role events.Role, cmd domain.Command) bool {
	for _, spec := range domain.Registry() {
		if spec.Name() == cmd.CommandName() {
			return slices.Contains(spec.Roles, role)
		}
	}
	return false
}

// reader draws a principal to read a ticket: a party of some ticket, or
// one of the platform's roles or an auditor, who read every ticket.
func reader(rng *rand.Rand, all []events.Actor) events.Actor {
	switch rng.IntN(6) {
	case 0:
		return events.Actor{Role: events.RoleAgent, ID: "cs-sim"}
	case 1:
		return events.Actor{Role: events.RoleAuditor, ID: "audit-sim"}
	case 2:
		return events.Actor{Role: events.RoleArbitrator, ID: "arb-sim"}
	}
	return all[rng.IntN(len(all))]
}
