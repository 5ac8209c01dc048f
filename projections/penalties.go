package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/follow"
)

// MerchantPenaltiesName is the merchant-penalty projection's name.
const MerchantPenaltiesName = "merchant_penalties"

// PenaltyReason is why a merchant earned penalty points: the policy's
// reasons (policy.PenaltyReason), named here for the readers of scores.
type PenaltyReason = policy.PenaltyReason

// MerchantPenalties records penalty facts, not scores: one row per event that
// earned a merchant points, with the points and the policy version they were
// scored under. A score is a sum over a window, computed when asked
// (Scores), so any window end can be asked for, including past ones.
//
// Which event is a fact is policy.FactOf, how many points it earns
// policy.Penalties.PointsFor, and which appeal decision reverses a ruling's
// policy.ReversesRuling; this projection only calls them and keeps the
// facts:
//   - Deadline expiries count when the scheduler records them with
//     merchant_penalised (the domain decides that flag from policy.MerchantMissed).
//   - A merchant's vague-deadline message counts when posted.
//   - A ruling counts when recorded, not when final, so a score reacts at
//     once; if an appeal overturns it, its points are reversed, stamped with
//     the appeal decision's position and time, and the overturned terms' own
//     points, if any, are a new fact at that decision. A window that ends
//     before the decision still counts the original ruling: Scores shows the
//     score as it stood at the window's end.
//
// Each fact is scored under the policy version its event recorded
// (events.PolicyStampOf): a message's or an appeal decision's own stamp, or
// the events.Schedule the event embeds. An event that records none (a
// deadline expiry, an appeal decision of schema version 1) is scored under
// the version of the last schedule its ticket recorded: the one that
// started the expired deadline, or the ruling's for an appeal decision. A fact whose version is not in the
// projection's set is refused, not scored under another version's points:
// the projection stops at that event (a parked event, see Failure) until
// it is given that version, so a score never silently mixes in rules that
// were not in force.
//
// Beside the facts, the projection keeps one row per ticket
// (rm_merchant_tickets) for the statistics shown with the score.
type MerchantPenalties struct {
	db *DB
	// def is the policy the projection was built with; pols holds it and
	// every other version the projection may score under, by version.
	def  policy.Policy
	pols map[string]policy.Policy

	cache     map[string]*merchantTicket
	dirty     []*merchantTicket
	facts     []penaltyFact
	reversals []reversal
	maxCache  int

	// factRows and ticketRows are the facts' and the dirty tickets' rows,
	// once prepared (see preparer).
	factRows, ticketRows rows
	prepared             bool

	ticketInsert, ticketConflict, load, reverse string
}

type merchantTicket struct {
	ticket, merchant string
	openedAt         time.Time
	intervenedAt     *time.Time
	firstResponseAt  *time.Time
	rulingFact       uint64 // position of the standing ruling's fact, 0 for none
	finalOutcome     events.Outcome
	finalLiability   events.Liability
	finalizedAt      *time.Time
	position         uint64
	// policyVersion is the version of the last events.Schedule the ticket
	// recorded: what an event that records no version is scored under.
	policyVersion string
	dirty         bool
	// closed is set by the event that closed the ticket (domain.Closes):
	// the ticket takes no further event, and leaves the cache once its row
	// is committed.
	closed bool
	// effect dates the events an expiry caused (see encodeEffect).
	effect events.ExpiryEffect
}

type penaltyFact struct {
	position         uint64
	merchant, ticket string
	occurredAt       time.Time
	reason           PenaltyReason
	points           int
	policyVersion    string
}

type reversal struct {
	fact, by uint64
	at       time.Time
}

var merchantTicketColumns = []string{
	"ticket_id", "merchant_id", "opened_at", "intervened_at", "first_response_at", "first_response_ms",
	"ruling_fact_position", "final_outcome", "final_liability", "finalized_at", "last_position", "expiry_effect",
	"policy_version",
}

// NewMerchantPenalties returns the penalty projection over db. It scores
// each fact under the policy version its event recorded, which must be pol
// or one of others (a later policy with the same version replaces an
// earlier one, pol last); pol is also the version for a ticket that never
// recorded one.
func NewMerchantPenalties(db *DB, pol policy.Policy, others ...policy.Policy) *MerchantPenalties {
	pols := make(map[string]policy.Policy, len(others)+1)
	for _, p := range others {
		pols[p.Version] = p
	}
	pols[pol.Version] = pol
	set := make([]string, 0, len(merchantTicketColumns)-1)
	for _, c := range merchantTicketColumns[1:] {
		set = append(set, c+" = excluded."+c)
	}
	return &MerchantPenalties{
		db: db, def: pol, pols: pols, cache: map[string]*merchantTicket{}, maxCache: DefaultTicketCache,
		factRows: rows{cols: factCols}, ticketRows: rows{cols: len(merchantTicketColumns)},
		ticketInsert:   `INSERT INTO rm_merchant_tickets (` + strings.Join(merchantTicketColumns, ", ") + `)`,
		ticketConflict: ` ON CONFLICT (ticket_id) DO UPDATE SET ` + strings.Join(set, ", "),
		load:           `SELECT ` + strings.Join(merchantTicketColumns, ", ") + ` FROM rm_merchant_tickets WHERE ticket_id = ?`,
		reverse:        `UPDATE rm_penalty_facts SET reversed_by_position = ?, reversed_at = ? WHERE position = ?`,
	}
}

// Name implements Projection.
func (*MerchantPenalties) Name() string { return MerchantPenaltiesName }

// Schema implements Projection.
func (*MerchantPenalties) Schema() Schema {
	return Schema{
		Version: 4, // 2: facts dated when in effect; rm_merchant_tickets.expiry_effect. 3: rm_merchant_tickets.policy_version. 4: TIMESTAMPTZ times
		Tables: []Table{
			{Name: "rm_penalty_facts", DDL: `CREATE TABLE IF NOT EXISTS rm_penalty_facts (
				position             BIGINT NOT NULL PRIMARY KEY,
				merchant_id          TEXT   NOT NULL,
				ticket_id            TEXT   NOT NULL,
				occurred_at          TIMESTAMPTZ NOT NULL,
				reason               TEXT   NOT NULL,
				points               BIGINT NOT NULL,
				policy_version       TEXT   NOT NULL,
				reversed_by_position BIGINT,
				reversed_at          TIMESTAMPTZ
			)`},
			{Name: "rm_merchant_tickets", DDL: `CREATE TABLE IF NOT EXISTS rm_merchant_tickets (
				ticket_id            TEXT   NOT NULL PRIMARY KEY,
				merchant_id          TEXT   NOT NULL,
				opened_at            TIMESTAMPTZ NOT NULL,
				intervened_at        TIMESTAMPTZ,
				first_response_at    TIMESTAMPTZ,
				first_response_ms    BIGINT,
				ruling_fact_position BIGINT,
				final_outcome        TEXT,
				final_liability      TEXT,
				finalized_at         TIMESTAMPTZ,
				last_position        BIGINT NOT NULL,
				expiry_effect        TEXT,
				policy_version       TEXT
			)`},
		},
		Indexes: []string{
			`CREATE INDEX IF NOT EXISTS rm_penalty_facts_merchant ON rm_penalty_facts (merchant_id, occurred_at)`,
			`CREATE INDEX IF NOT EXISTS rm_merchant_tickets_merchant ON rm_merchant_tickets (merchant_id, opened_at)`,
		},
	}
}

// Apply implements Projection. It decides everything before it changes
// anything, so a refused event leaves the projection as it was.
func (mp *MerchantPenalties) Apply(ctx context.Context, ev follow.Event) error {
	env := ev.Env
	id := events.TicketOf(env.Stream)
	if id == "" {
		return nil
	}
	mt, err := mp.entry(ctx, id, env)
	if err != nil {
		return err
	}
	// Facts are dated when their event took effect: an expiry fired late at
	// its due time, and so is what it caused (events.ExpiryEffect), so a
	// merchant's rolling window counts them where the rules place them.
	pos, at := ev.Record.Position, mt.effect.At(env)
	next := *mt
	next.effect = mt.effect.After(env)
	stamp, stamped := events.PolicyStampOf(env.Payload)
	version := stamp.Version
	switch env.Payload.(type) {
	case events.MessagePosted, events.AppealDecided:
		// Their own stamp scores them; the ticket's is its schedules'.
	default:
		if stamped && version != "" {
			next.policyVersion = version
		}
	}
	if !stamped || version == "" {
		version = mt.policyVersion
	}
	var fact *penaltyFact
	var rev *reversal
	// score returns the fact f is, under the event's policy version.
	score := func(f policy.PenaltyFact) (*penaltyFact, error) {
		pol, err := mp.policyFor(version, env)
		if err != nil {
			return nil, err
		}
		reason, points, err := pol.Penalties.PointsFor(f)
		if err != nil {
			return nil, refuse("%s for ticket %s under policy %s: %v", env.Type, id, pol.Version, err)
		}
		return &penaltyFact{position: pos, merchant: mt.merchant, ticket: id, occurredAt: at, reason: reason, points: points,
			policyVersion: pol.Version}, nil
	}
	if f, isFact := policy.FactOf(env.Payload); isFact {
		if fact, err = score(f); err != nil {
			return err
		}
	}
	switch p := env.Payload.(type) {
	case events.RefundRequested:
		next.ticket, next.merchant, next.openedAt = id, p.MerchantID, at
	case events.InterventionRequested:
		if next.intervenedAt == nil {
			next.intervenedAt = &at
		}
	case events.RulingRecorded:
		fact, next.rulingFact = earning(fact, pos)
	case events.AppealDecided:
		if policy.ReversesRuling(p.Decision) {
			if mt.rulingFact != 0 {
				rev = &reversal{fact: mt.rulingFact, by: pos, at: at}
			}
			next.rulingFact = 0
			if fact != nil {
				fact, next.rulingFact = earning(fact, pos)
			}
		}
	case events.RulingFinalized:
		next.finalOutcome, next.finalLiability, next.finalizedAt = p.Outcome, p.Liability, &at
	}
	if env.Actor.Role == events.RoleMerchant && next.firstResponseAt == nil {
		next.firstResponseAt = &at
	}

	// Commit the decision.
	next.position = pos
	next.closed = next.closed || domain.Closes(env.Payload)
	*mt = next
	mp.prepared = false
	if fact != nil {
		mp.facts = append(mp.facts, *fact)
	}
	if rev != nil {
		mp.reversals = append(mp.reversals, *rev)
	}
	if !mt.dirty {
		mt.dirty = true
		mp.dirty = append(mp.dirty, mt)
	}
	return nil
}

// earning keeps a ruling's fact only if it earns points (a ruling with buyer
// or no liability is no fact), and returns the position of the standing
// ruling's fact: pos, or 0 for none.
func earning(f *penaltyFact, pos uint64) (*penaltyFact, uint64) {
	if f.points > 0 {
		return f, pos
	}
	return nil, 0
}

// policyFor returns the policy of version, the projection's own for a
// ticket that never recorded one. A version the projection was not given
// is refused rather than replaced by another's points.
func (mp *MerchantPenalties) policyFor(version string, env events.Envelope) (policy.Policy, error) {
	if version == "" {
		return mp.def, nil
	}
	pol, ok := mp.pols[version]
	if !ok {
		known := slices.Sorted(maps.Keys(mp.pols))
		return policy.Policy{}, refuse("%s for ticket %s is scored under policy version %q, which the projection was not given (known: %s)",
			env.Type, events.TicketOf(env.Stream), version, strings.Join(known, ", "))
	}
	return pol, nil
}

func (mp *MerchantPenalties) entry(ctx context.Context, id string, env events.Envelope) (*merchantTicket, error) {
	if mt, ok := mp.cache[id]; ok {
		if env.Type == events.TypeRefundRequested {
			return nil, refuse("ticket %s opened twice", id)
		}
		return mt, nil
	}
	if env.Type == events.TypeRefundRequested {
		mt := &merchantTicket{}
		mp.cache[strings.Clone(id)] = mt // not the event's bytes (cachedEntry)
		return mt, nil
	}
	mt, err := mp.read(ctx, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, refuse("%s for ticket %s, which was never opened", env.Type, id)
	}
	if err != nil {
		return nil, err
	}
	mp.cache[strings.Clone(id)] = mt
	return mt, nil
}

func (mp *MerchantPenalties) read(ctx context.Context, id string) (*merchantTicket, error) {
	var (
		mt                              merchantTicket
		opened                          timeColumn
		intervened, response, finalized nullTimeColumn
		effect, version                 sql.NullString
		outcome, liability              sql.NullString
		responseMS, rulingFact          sql.NullInt64
		position                        int64
	)
	st, err := mp.db.stmt(ctx, mp.load)
	if err != nil {
		return nil, err
	}
	err = st.QueryRowContext(ctx, id).Scan(&mt.ticket, &mt.merchant, &opened, &intervened, &response, &responseMS,
		&rulingFact, &outcome, &liability, &finalized, &position, &effect, &version)
	if err != nil {
		return nil, fmt.Errorf("read merchant ticket %s: %w", id, err)
	}
	mt.rulingFact, mt.position, mt.policyVersion = uint64(rulingFact.Int64), uint64(position), version.String
	mt.finalOutcome, mt.finalLiability = events.Outcome(outcome.String), events.Liability(liability.String)
	mt.openedAt, mt.intervenedAt, mt.firstResponseAt, mt.finalizedAt = opened.t, intervened.t, response.t, finalized.t
	if mt.effect, err = decodeEffect(effect); err != nil {
		return nil, fmt.Errorf("read merchant ticket %s: %w", id, err)
	}
	return &mt, nil
}

// detach makes mt hold no string of a decoded event (see detached).
func (mt *merchantTicket) detach() {
	mt.ticket, mt.merchant, mt.policyVersion = strings.Clone(mt.ticket), strings.Clone(mt.merchant), interned(mt.policyVersion)
	mt.finalOutcome, mt.finalLiability = interned(mt.finalOutcome), interned(mt.finalLiability)
	mt.effect.CommandID = strings.Clone(mt.effect.CommandID)
}

// factCols are rm_penalty_facts' columns written by an insert.
const factCols = 7

// prepare builds the rows of the facts and of the dirty tickets, these in
// key order (as TicketStatus.prepare).
func (mp *MerchantPenalties) prepare() error {
	if mp.prepared {
		return nil
	}
	slices.SortFunc(mp.dirty, func(a, b *merchantTicket) int { return strings.Compare(a.ticket, b.ticket) })
	mp.factRows.reset()
	mp.factRows.grow(len(mp.facts))
	for i := range mp.facts {
		f := &mp.facts[i]
		mp.factRows.add(func(args []any) []any {
			return append(args, int64(f.position), f.merchant, f.ticket, formatTime(f.occurredAt), string(f.reason), int64(f.points), f.policyVersion)
		})
	}
	mp.ticketRows.reset()
	mp.ticketRows.grow(len(mp.dirty))
	for _, mt := range mp.dirty {
		mp.ticketRows.add(mt.row)
	}
	mp.prepared = true
	return nil
}

// row appends the ticket's rm_merchant_tickets values, in
// merchantTicketColumns order.
func (mt *merchantTicket) row(args []any) []any {
	var responseMS, rulingFact any
	if mt.firstResponseAt != nil {
		responseMS = asStored(*mt.firstResponseAt).Sub(asStored(mt.openedAt)).Milliseconds()
	}
	if mt.rulingFact != 0 {
		rulingFact = int64(mt.rulingFact)
	}
	return append(args, mt.ticket, mt.merchant, formatTime(mt.openedAt), nullTime(mt.intervenedAt), nullTime(mt.firstResponseAt),
		responseMS, rulingFact, nullString(string(mt.finalOutcome)), nullString(string(mt.finalLiability)), nullTime(mt.finalizedAt),
		int64(mt.position), encodeEffect(mt.effect), nullString(mt.policyVersion))
}

// Flush implements Projection: new facts, then reversals (which may reverse
// a fact of the same page), then the tickets, in key order.
func (mp *MerchantPenalties) Flush(ctx context.Context, tx *sql.Tx) error {
	if err := mp.prepare(); err != nil {
		return err
	}
	err := chunked(ctx, tx, mp.db, `INSERT INTO rm_penalty_facts (position, merchant_id, ticket_id, occurred_at, reason, points, policy_version)`,
		``, 128, &mp.factRows)
	if err != nil {
		return fmt.Errorf("penalty facts: %w", err)
	}
	if len(mp.reversals) > 0 {
		st, err := mp.db.stmt(ctx, mp.reverse)
		if err != nil {
			return err
		}
		stmt := tx.StmtContext(ctx, st)
		for _, r := range mp.reversals {
			res, err := stmt.ExecContext(ctx, int64(r.by), formatTime(r.at), int64(r.fact))
			if err != nil {
				return fmt.Errorf("reverse penalty fact %d: %w", r.fact, err)
			}
			if n, err := res.RowsAffected(); err == nil && n != 1 {
				return fmt.Errorf("reverse penalty fact %d: %d rows", r.fact, n)
			}
		}
	}
	if err := chunked(ctx, tx, mp.db, mp.ticketInsert, mp.ticketConflict, 128, &mp.ticketRows); err != nil {
		return fmt.Errorf("merchant tickets: %w", err)
	}
	return nil
}

// Committed implements Projection.
func (mp *MerchantPenalties) Committed() {
	for _, mt := range mp.dirty {
		mt.dirty = false
		if mt.closed {
			// As TicketStatus.Committed: most tickets of a rebuild open and
			// close between two commits, and a closed one is read back from
			// its row should it take an event after all.
			delete(mp.cache, mt.ticket)
			continue
		}
		mt.detach()
	}
	clear(mp.dirty) // the closed tickets hold their events' bytes
	mp.dirty, mp.facts, mp.reversals = mp.dirty[:0], mp.facts[:0], mp.reversals[:0]
	mp.factRows.reset()
	mp.ticketRows.reset()
	mp.prepared = false
	evictOldest(mp.cache, mp.maxCache, func(mt *merchantTicket) uint64 { return mt.position })
}

// maxPendingFacts bounds the penalty facts and reversals held for one commit.
const maxPendingFacts = 8192

// Full implements Holder: the cache, which holds every pending ticket row,
// is full, or so many facts wait.
func (mp *MerchantPenalties) Full() bool {
	return len(mp.cache) > mp.maxCache || len(mp.facts)+len(mp.reversals) >= maxPendingFacts
}

// Reset implements Projection.
func (mp *MerchantPenalties) Reset() {
	mp.cache = map[string]*merchantTicket{}
	mp.dirty, mp.facts, mp.reversals = nil, nil, nil
	mp.factRows, mp.ticketRows = rows{cols: factCols}, rows{cols: len(merchantTicketColumns)}
	mp.prepared = false
}
