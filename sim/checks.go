package sim

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections"
)

// Check names an invariant.
type Check string

// The invariants. Each is checked every Config.CheckEvery operations and at
// the end; the ones about single answers as each answer comes.
const (
	// CheckAckedOnce: every acknowledged command is in the log exactly once
	// (its events, and no other events under its key).
	CheckAckedOnce Check = "acknowledged-exactly-once"
	// CheckReplayAnswer: a replay of a command id returns the first answer;
	// the id reused for another request is refused.
	CheckReplayAnswer Check = "replay-returns-first-answer"
	// CheckRefusedNothing: no refused command recorded anything.
	CheckRefusedNothing Check = "refused-records-nothing"
	// CheckAuthorization: a non-party's command is refused as if the ticket
	// did not exist, and reads are scoped to the parties.
	CheckAuthorization Check = "authorization"
	// CheckExpiry: each deadline expired at most once, while open, never
	// before it was due, under its deterministic expiry id, and took effect
	// at its due time.
	CheckExpiry Check = "deadline-expired-once-at-due-time"
	// CheckClosed: nothing happened to a ticket after it closed.
	CheckClosed Check = "nothing-after-close"
	// CheckReadModels: the read models equal a rebuild from zero, and no
	// event is parked.
	CheckReadModels Check = "read-models-equal-rebuild"
	// CheckVerify: verify passes with the seals made during the run, all
	// of them stored.
	CheckVerify Check = "verify-passes-with-seals"
	// CheckScores: merchant scores equal a replay of the facts.
	CheckScores Check = "scores-equal-replay"
	// CheckMoney: the money of every ticket adds up: refunded ≤ paid,
	// compensation only as the policy allows, and only on a closed ruling.
	CheckMoney Check = "money-adds-up"
)

// violate records a broken invariant with the involved tickets' streams.
func (r *run) violate(c Check, tickets []string, format string, args ...any) {
	v := Violation{Check: c, Tickets: tickets, Detail: fmt.Sprintf(format, args...), Op: r.cur, Streams: map[string][]string{}}
	for _, t := range tickets {
		v.Streams[t] = r.streamLines(t)
	}
	r.res.Violations = append(r.res.Violations, v)
	r.trace(tickets, "VIOLATION %s", v)
}

// streamLines describes a ticket's stored events, one line each.
func (r *run) streamLines(ticket string) []string {
	_, envs, err := commands.LoadTicket(context.Background(), r.l.store, ticket)
	if err != nil {
		return []string{"cannot read: " + err.Error()}
	}
	var out []string
	var t domain.Ticket
	for _, e := range envs {
		out = append(out, fmt.Sprintf("rev %d %s by %s id=%s at %s effective %s", e.Revision, e.Type, e.Actor, e.CommandID,
			e.OccurredAt.Format(time.RFC3339), t.EffectiveAt(e).Format(time.RFC3339)))
		t = t.Apply(e)
	}
	return out
}

// stream is one ticket's stored events, decoded.
type stream struct {
	id   string
	envs []events.Envelope
}

// readLog reads and decodes the whole log from the store itself (no fault
// wrapper), grouped by ticket in order of first appearance.
func (r *run) readLog(ctx context.Context) ([]stream, error) {
	recs, err := r.l.store.ReadAll(ctx, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("read the log: %w", err)
	}
	idx := map[string]int{}
	var out []stream
	for _, rec := range recs {
		env, err := events.Decode(rec.Data)
		if err != nil {
			return nil, fmt.Errorf("decode position %d: %w", rec.Position, err)
		}
		id := events.TicketOf(env.Stream)
		i, ok := idx[id]
		if !ok {
			i = len(out)
			idx[id] = i
			out = append(out, stream{id: id})
		}
		out[i].envs = append(out[i].envs, env)
	}
	return out, nil
}

// check runs every invariant over the ledger as it stands. At the end
// (final) the parts have come to rest; between operations the projector
// and the sealer are first brought to the head without faults.
func (r *run) check(ctx context.Context, final bool) error {
	r.res.Stats.Checks++
	if _, err := r.l.projector.Run(ctx); err != nil {
		r.violate(CheckReadModels, nil, "the projector cannot reach the head: %v", err)
		return nil
	}
	if sl, made, err := r.l.sealer.SealToHead(ctx); err != nil {
		r.violate(CheckVerify, nil, "the sealer cannot seal to the head: %v", err)
		return nil
	} else if made {
		r.res.Stats.Seals++
		r.seals = append(r.seals, sl)
	}
	log, err := r.readLog(ctx)
	if err != nil {
		return err
	}
	r.checkKeys(log)
	for _, s := range log {
		r.checkStream(s)
	}
	if err := r.checkReadModels(ctx); err != nil {
		return err
	}
	if err := r.checkVerify(ctx); err != nil {
		return err
	}
	if err := r.checkScores(ctx, log); err != nil {
		return err
	}
	if final {
		r.res.Stats.Events = r.ledger.head
	}
	return nil
}

// checkKeys: acknowledged commands exactly once, refused ones nowhere.
func (r *run) checkKeys(log []stream) {
	stored := map[key][]uuid.UUID{}
	for _, s := range log {
		for _, e := range s.envs {
			k := key{s.id, e.Actor, e.CommandID}
			stored[k] = append(stored[k], e.ID)
		}
	}
	for _, k := range sortedKeys(r.client.acked) {
		a := r.client.acked[k]
		if got := stored[k]; !slices.Equal(got, a.events) {
			r.violate(CheckAckedOnce, []string{k.ticket}, "command %s by %s, acknowledged to #%d with events %v, has %v in the log", k.id, k.actor, a.seq, a.events, got)
		}
	}
	for _, k := range sortedKeys(r.client.refused) {
		if _, acked := r.client.acked[k]; acked || r.client.unsettled[k] {
			continue
		}
		if got := stored[k]; len(got) > 0 {
			r.violate(CheckRefusedNothing, []string{k.ticket}, "command %s by %s was refused every time it was sent, yet the log holds its events %v", k.id, k.actor, got)
		}
	}
}

func sortedKeys[V any](m map[key]V) []key {
	out := make([]key, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b key) int {
		if c := cmpStr(a.ticket, b.ticket); c != 0 {
			return c
		}
		if c := cmpStr(a.actor.String(), b.actor.String()); c != 0 {
			return c
		}
		return cmpStr(a.id, b.id)
	})
	return out
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// checkStream folds one ticket's events and checks each against the state
// before it: expiries, nothing after the close, the money.
func (r *run) checkStream(s stream) {
	var t domain.Ticket
	for _, e := range s.envs {
		if t.Closed() {
			r.violate(CheckClosed, []string{s.id}, "%s recorded at revision %d by %s (command %s) after the ticket closed (%s)", e.Type, e.Revision, e.Actor, e.CommandID, t.Resolution)
			return
		}
		if x, ok := e.Payload.(events.DeadlineExpired); ok {
			due, open := t.Deadlines[x.Deadline]
			switch {
			case !open:
				r.violate(CheckExpiry, []string{s.id}, "%s expired at revision %d while not open (expired twice, or never started)", x.Deadline, e.Revision)
			case !due.Equal(x.DueAt):
				r.violate(CheckExpiry, []string{s.id}, "%s expired at revision %d as due %s; it was due %s", x.Deadline, e.Revision, x.DueAt, due)
			case e.OccurredAt.Before(x.DueAt):
				r.violate(CheckExpiry, []string{s.id}, "%s expired at revision %d at %s, before its due time %s", x.Deadline, e.Revision, e.OccurredAt, x.DueAt)
			case !t.EffectiveAt(e).Equal(x.DueAt):
				r.violate(CheckExpiry, []string{s.id}, "%s expired at revision %d takes effect at %s, not at its due time %s", x.Deadline, e.Revision, t.EffectiveAt(e), x.DueAt)
			case e.Actor != events.SystemActor() || e.CommandID != commands.ExpiryCommandID(s.id, x.Deadline, x.DueAt):
				r.violate(CheckExpiry, []string{s.id}, "%s expired at revision %d by %s under command id %q, not the system's %q", x.Deadline, e.Revision, e.Actor, e.CommandID, commands.ExpiryCommandID(s.id, x.Deadline, x.DueAt))
			}
		}
		t = t.Apply(e)
	}
	r.checkMoney(s.id, t)
}

// checkMoney: what a ticket paid out adds up, by the policy.
func (r *run) checkMoney(id string, t domain.Ticket) {
	switch {
	case t.Refunded < 0 || t.Refunded > t.AmountPaid:
		r.violate(CheckMoney, []string{id}, "refunded %d of %d paid", t.Refunded, t.AmountPaid)
	case t.Compensation < 0:
		r.violate(CheckMoney, []string{id}, "compensation %d", t.Compensation)
	case t.Compensation > 0 && t.Compensation != t.AmountPaid*r.pol.CompensationMultiple:
		r.violate(CheckMoney, []string{id}, "compensation %d; the policy allows only %d× the %d paid", t.Compensation, r.pol.CompensationMultiple, t.AmountPaid)
	case t.Compensation > 0 && (!t.Closed() || t.Resolution != domain.ResolutionRuled || t.Liability != events.LiabilityMerchant):
		r.violate(CheckMoney, []string{id}, "compensation %d on a ticket %s (%s), merchant liability %s: only a final ruling holding the merchant liable pays it", t.Compensation, t.Status, t.Resolution, t.Liability)
	}
}

// checkReadModels compares the read models with a rebuild from zero into
// a scratch database, and looks for parked events.
func (r *run) checkReadModels(ctx context.Context) error {
	r.res.Stats.Checks++
	scratchPath := filepath.Join(r.cfg.Dir, fmt.Sprintf("scratch-%d.db", r.res.Stats.Checks))
	defer func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(scratchPath + suffix)
		}
	}()
	scratch, err := openReadModels(ctx, scratchPath)
	if err != nil {
		return err
	}
	defer scratch.Close()
	checks, err := projections.VerifyReadModels(ctx, r.l.store, r.l.rm, scratch, r.pol)
	if err != nil {
		r.violate(CheckReadModels, nil, "cannot verify the read models: %v", err)
		return nil
	}
	for _, c := range checks {
		if c.OK() {
			continue
		}
		var tickets []string
		for _, d := range c.Tables {
			tickets = append(tickets, ticketsIn(append(d.Missing, d.Extra...))...)
		}
		r.violate(CheckReadModels, tickets, "%s at %d (rebuild at %d, behind=%t) differs from its rebuild: %+v", c.Projection, c.Checkpoint, c.Head, c.Behind, c.Tables)
	}
	parked, err := r.l.rm.ParkedEvents(ctx)
	if err != nil {
		return err
	}
	for _, p := range parked {
		if p.ResolvedAt == nil {
			r.violate(CheckReadModels, []string{events.TicketOf(p.Stream)}, "%s parked %s at %d: %s", p.Projection, p.EventType, p.Position, p.Reason)
		}
	}
	return nil
}

// checkVerify runs the auditor's verification of the whole log with the
// stored seals, pinned to the run's key, and checks every seal a sealer
// made is stored as made.
func (r *run) checkVerify(ctx context.Context) error {
	rep, err := audit.VerifyLog(ctx, "sim", r.l.store, r.l.seals, audit.Options{PublicKey: r.key.Public().(ed25519.PublicKey),
		Policies: audit.NewPolicySet(r.pol), MaxFindings: 5})
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if !rep.OK() {
		var tickets []string
		for _, f := range rep.Findings {
			if f.Ticket != "" && !slices.Contains(tickets, f.Ticket) {
				tickets = append(tickets, f.Ticket)
			}
		}
		r.violate(CheckVerify, tickets, "verify fails: %+v", rep.Findings)
	}
	stored, err := r.l.seals.Seals(ctx)
	if err != nil {
		return err
	}
	bySize := map[uint64]audit.StoredSeal{}
	for _, s := range stored {
		bySize[s.Size] = s
	}
	for _, made := range r.seals {
		if s, ok := bySize[made.Size]; !ok || s.Root != made.Root {
			r.violate(CheckVerify, nil, "the seal made over %d events (root %s) is not stored as made", made.Size, made.Root)
		}
	}
	return nil
}

// checkScores compares the merchants' scores the read models give with a
// replay of the penalty facts straight from the log, at two window ends.
func (r *run) checkScores(ctx context.Context, log []stream) error {
	facts := replayFacts(log, r.pol)
	now := r.clk.Now().UTC()
	for _, end := range []time.Time{now, now.Add(-10 * 24 * time.Hour)} {
		got, err := projections.Scores(ctx, r.l.rm, end, r.pol)
		if err != nil {
			return fmt.Errorf("scores: %w", err)
		}
		want := scoresAt(facts, end, r.pol)
		have := map[string]int{}
		for _, s := range got {
			if s.Score != 0 {
				have[s.MerchantID] = s.Score
			}
		}
		for _, m := range sortedMerchants(want, have) {
			if want[m] != have[m] {
				r.violate(CheckScores, ticketsOfMerchant(facts, m), "merchant %s scores %d at %s, the facts replayed give %d", m, have[m], end.Format(time.RFC3339), want[m])
			}
		}
	}
	return nil
}

// fact is a penalty fact as replayed from the log.
type fact struct {
	ticket, merchant string
	at               time.Time
	points           int
	reversedAt       *time.Time
}

// replayFacts folds each ticket and collects its penalty facts by the
// policy's rules (policy.FactOf, PointsFor, ReversesRuling), each dated at
// its event's effective time.
func replayFacts(log []stream, pol policy.Policy) []fact {
	var out []fact
	for _, s := range log {
		var t domain.Ticket
		standing := -1
		for _, e := range s.envs {
			at := t.EffectiveAt(e).UTC()
			t = t.Apply(e)
			f, ok := policy.FactOf(e.Payload)
			points := 0
			if ok {
				_, points, _ = pol.Penalties.PointsFor(f)
			}
			switch p := e.Payload.(type) {
			case events.RulingRecorded:
				if points > 0 {
					standing = len(out)
					out = append(out, fact{ticket: s.id, merchant: t.MerchantID, at: at, points: points})
				}
				continue
			case events.AppealDecided:
				if policy.ReversesRuling(p.Decision) {
					if standing >= 0 {
						out[standing].reversedAt = &at
					}
					standing = -1
					if ok && points > 0 {
						standing = len(out)
						out = append(out, fact{ticket: s.id, merchant: t.MerchantID, at: at, points: points})
					}
				}
				continue
			}
			if ok {
				out = append(out, fact{ticket: s.id, merchant: t.MerchantID, at: at, points: points})
			}
		}
	}
	return out
}

// scoresAt sums the facts of the window ending at end (inclusive) not
// reversed by then, per merchant (non-zero scores only).
func scoresAt(facts []fact, end time.Time, pol policy.Policy) map[string]int {
	start := pol.Penalties.WindowStart(end)
	out := map[string]int{}
	for _, f := range facts {
		if f.at.After(start) && !f.at.After(end) && (f.reversedAt == nil || f.reversedAt.After(end)) {
			out[f.merchant] += f.points
		}
	}
	for m, s := range out {
		if s == 0 {
			delete(out, m)
		}
	}
	return out
}

func sortedMerchants(a, b map[string]int) []string {
	var out []string
	for m := range a {
		out = append(out, m)
	}
	for m := range b {
		if _, ok := a[m]; !ok {
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return out
}

func ticketsOfMerchant(facts []fact, m string) []string {
	var out []string
	for _, f := range facts {
		if f.merchant == m && !slices.Contains(out, f.ticket) {
			out = append(out, f.ticket)
		}
	}
	return out
}

// ticketsIn picks the ticket ids out of read-model rows ("ticket_id=…").
func ticketsIn(rows []string) []string {
	var out []string
	for _, row := range rows {
		for _, field := range strings.Fields(row) {
			if id, ok := strings.CutPrefix(field, "ticket_id="); ok && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}
