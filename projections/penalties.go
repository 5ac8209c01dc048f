package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/policy"
	"github.com/disputes-ledger/disputes/projections/globallog"
)

// MerchantPenaltiesName is the merchant-penalty projection's name.
const MerchantPenaltiesName = "merchant_penalties"

// PenaltyReason is why a merchant earned penalty points (docs/domain.md,
// "Merchant penalty score").
type PenaltyReason string

// The penalty reasons.
const (
	ReasonMerchantResponseExpired PenaltyReason = "merchant_response_expired"
	ReasonMerchantReshipExpired   PenaltyReason = "merchant_reship_expired"
	ReasonMerchantRefundExpired   PenaltyReason = "merchant_refund_expired"
	ReasonNoEvidence              PenaltyReason = "no_evidence"
	ReasonMerchantLiability       PenaltyReason = "merchant_liability"
	ReasonSharedLiability         PenaltyReason = "shared_liability"
	ReasonCounterfeit             PenaltyReason = "counterfeit"
	ReasonVagueMessage            PenaltyReason = "vague_message"
)

// MerchantPenalties records penalty facts, not scores: one row per event that
// earned a merchant points, with the points under the projection's policy
// and that policy's version. A score is a sum over a window, computed when
// asked (Scores), so any window end can be asked for, including past ones.
//
// When points are counted:
//   - Deadline expiries count when the scheduler records them with
//     merchant_penalised (merchant_response 2, merchant_reship and
//     merchant_refund 3, evidence with no merchant evidence 4).
//   - A vague-deadline message counts when posted (1).
//   - A ruling counts when recorded, not when final (merchant liability 6,
//     shared 3, counterfeit 12 in place of those), so a score reacts at
//     once; a merchant or buyer who appeals gets the points reversed if the
//     appeal overturns the ruling. The reversal is stamped with the appeal
//     decision's position and time, and the overturned terms' own points, if
//     any, are a new fact at that decision. A window that ends before the
//     decision still counts the original ruling: Scores shows the score as it
//     stood at the window's end.
//
// Beside the facts, the projection keeps one row per ticket
// (rm_merchant_tickets) for the statistics shown with the score.
type MerchantPenalties struct {
	db  *DB
	pol policy.Policy

	cache     map[string]*merchantTicket
	dirty     []*merchantTicket
	facts     []penaltyFact
	reversals []reversal
	maxCache  int

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
	dirty            bool
	// effect dates the events an expiry caused (see encodeEffect).
	effect events.ExpiryEffect
}

type penaltyFact struct {
	position         uint64
	merchant, ticket string
	occurredAt       time.Time
	reason           PenaltyReason
	points           int
}

type reversal struct {
	fact, by uint64
	at       time.Time
}

var merchantTicketColumns = []string{
	"ticket_id", "merchant_id", "opened_at", "intervened_at", "first_response_at", "first_response_ms",
	"ruling_fact_position", "final_outcome", "final_liability", "finalized_at", "last_position", "expiry_effect",
}

// NewMerchantPenalties returns the penalty projection over db, scoring under pol.
func NewMerchantPenalties(db *DB, pol policy.Policy) *MerchantPenalties {
	set := make([]string, 0, len(merchantTicketColumns)-1)
	for _, c := range merchantTicketColumns[1:] {
		set = append(set, c+" = excluded."+c)
	}
	return &MerchantPenalties{
		db: db, pol: pol, cache: map[string]*merchantTicket{}, maxCache: DefaultTicketCache,
		ticketInsert:   `INSERT INTO rm_merchant_tickets (` + strings.Join(merchantTicketColumns, ", ") + `) VALUES `,
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
		Version: 2, // 2: facts dated when in effect; rm_merchant_tickets.expiry_effect
		Tables: []Table{
			{Name: "rm_penalty_facts", DDL: `CREATE TABLE IF NOT EXISTS rm_penalty_facts (
				position             BIGINT NOT NULL PRIMARY KEY,
				merchant_id          TEXT   NOT NULL,
				ticket_id            TEXT   NOT NULL,
				occurred_at          TEXT   NOT NULL,
				reason               TEXT   NOT NULL,
				points               BIGINT NOT NULL,
				policy_version       TEXT   NOT NULL,
				reversed_by_position BIGINT,
				reversed_at          TEXT
			)`},
			{Name: "rm_merchant_tickets", DDL: `CREATE TABLE IF NOT EXISTS rm_merchant_tickets (
				ticket_id            TEXT   NOT NULL PRIMARY KEY,
				merchant_id          TEXT   NOT NULL,
				opened_at            TEXT   NOT NULL,
				intervened_at        TEXT,
				first_response_at    TEXT,
				first_response_ms    BIGINT,
				ruling_fact_position BIGINT,
				final_outcome        TEXT,
				final_liability      TEXT,
				finalized_at         TEXT,
				last_position        BIGINT NOT NULL,
				expiry_effect        TEXT
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
func (mp *MerchantPenalties) Apply(ctx context.Context, ev globallog.Event) error {
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
	var fact *penaltyFact
	var rev *reversal
	newFact := func(reason PenaltyReason, points int) *penaltyFact {
		return &penaltyFact{position: pos, merchant: mt.merchant, ticket: id, occurredAt: at, reason: reason, points: points}
	}
	switch p := env.Payload.(type) {
	case events.RefundRequested:
		next.ticket, next.merchant, next.openedAt = id, p.MerchantID, at
	case events.InterventionRequested:
		if next.intervenedAt == nil {
			next.intervenedAt = &at
		}
	case events.DeadlineExpired:
		if p.MerchantPenalised {
			reason, points, err := mp.deadlinePoints(p.Deadline)
			if err != nil {
				return err
			}
			fact = newFact(reason, points)
		}
	case events.MessagePosted:
		if p.VagueDeadline && p.Party == events.RoleMerchant {
			fact = newFact(ReasonVagueMessage, mp.pol.Penalties.VagueMessage)
		}
	case events.RulingRecorded:
		next.rulingFact = 0
		if reason, points := mp.rulingPoints(p.Terms); points > 0 {
			fact, next.rulingFact = newFact(reason, points), pos
		}
	case events.AppealDecided:
		if p.Decision == events.AppealOverturned {
			if mt.rulingFact != 0 {
				rev = &reversal{fact: mt.rulingFact, by: pos, at: at}
			}
			next.rulingFact = 0
			if p.Terms != nil {
				if reason, points := mp.rulingPoints(*p.Terms); points > 0 {
					fact, next.rulingFact = newFact(reason, points), pos
				}
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
	*mt = next
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

// deadlinePoints returns the points for a deadline the merchant was
// penalised for missing. A kind the policy has no points for is refused
// rather than guessed: the projection stops until it is taught.
func (mp *MerchantPenalties) deadlinePoints(kind events.DeadlineKind) (PenaltyReason, int, error) {
	pen := mp.pol.Penalties
	switch kind {
	case events.DeadlineMerchantResponse:
		return ReasonMerchantResponseExpired, pen.MerchantResponseExpired, nil
	case events.DeadlineMerchantReship:
		return ReasonMerchantReshipExpired, pen.ReshipOrRefundExpired, nil
	case events.DeadlineMerchantRefund:
		return ReasonMerchantRefundExpired, pen.ReshipOrRefundExpired, nil
	case events.DeadlineEvidence:
		return ReasonNoEvidence, pen.NoEvidence, nil
	}
	return "", 0, refuse("the merchant was penalised for deadline %q, which has no penalty points", kind)
}

// rulingPoints returns the points a ruling's terms carry: counterfeit in
// place of the liability points, none for buyer or no liability.
func (mp *MerchantPenalties) rulingPoints(t events.Terms) (PenaltyReason, int) {
	pen := mp.pol.Penalties
	switch {
	case t.Counterfeit:
		return ReasonCounterfeit, pen.Counterfeit
	case t.Liability == events.LiabilityMerchant:
		return ReasonMerchantLiability, pen.MerchantLiability
	case t.Liability == events.LiabilityShared:
		return ReasonSharedLiability, pen.SharedLiability
	}
	return "", 0
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
		mp.cache[id] = mt
		return mt, nil
	}
	mt, err := mp.read(ctx, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, refuse("%s for ticket %s, which was never opened", env.Type, id)
	}
	if err != nil {
		return nil, err
	}
	mp.cache[id] = mt
	return mt, nil
}

func (mp *MerchantPenalties) read(ctx context.Context, id string) (*merchantTicket, error) {
	var (
		mt                              merchantTicket
		opened                          string
		intervened, response, finalized sql.NullString
		effect                          sql.NullString
		outcome, liability              sql.NullString
		responseMS, rulingFact          sql.NullInt64
		position                        int64
	)
	st, err := mp.db.stmt(ctx, mp.load)
	if err != nil {
		return nil, err
	}
	err = st.QueryRowContext(ctx, id).Scan(&mt.ticket, &mt.merchant, &opened, &intervened, &response, &responseMS,
		&rulingFact, &outcome, &liability, &finalized, &position, &effect)
	if err != nil {
		return nil, fmt.Errorf("read merchant ticket %s: %w", id, err)
	}
	mt.rulingFact, mt.position = uint64(rulingFact.Int64), uint64(position)
	mt.finalOutcome, mt.finalLiability = events.Outcome(outcome.String), events.Liability(liability.String)
	if mt.openedAt, err = parseTime(opened); err != nil {
		return nil, err
	}
	if mt.effect, err = decodeEffect(effect); err != nil {
		return nil, fmt.Errorf("read merchant ticket %s: %w", id, err)
	}
	for _, f := range []struct {
		dst **time.Time
		src sql.NullString
	}{{&mt.intervenedAt, intervened}, {&mt.firstResponseAt, response}, {&mt.finalizedAt, finalized}} {
		if *f.dst, err = parseNullTime(f.src); err != nil {
			return nil, err
		}
	}
	return &mt, nil
}

// Flush implements Projection: new facts, then reversals (which may reverse
// a fact of the same page), then the tickets.
func (mp *MerchantPenalties) Flush(ctx context.Context, tx *sql.Tx) error {
	version := mp.pol.Version
	err := insertChunked(ctx, tx, mp.db, `INSERT INTO rm_penalty_facts (position, merchant_id, ticket_id, occurred_at, reason, points, policy_version) VALUES `,
		7, 128, len(mp.facts), func(i int, args []any) []any {
			f := mp.facts[i]
			return append(args, int64(f.position), f.merchant, f.ticket, formatTime(f.occurredAt), string(f.reason), int64(f.points), version)
		})
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
	err = chunked(ctx, tx, mp.db, mp.ticketInsert, mp.ticketConflict, len(merchantTicketColumns), 128, len(mp.dirty),
		func(i int, args []any) []any {
			mt := mp.dirty[i]
			var responseMS, rulingFact any
			if mt.firstResponseAt != nil {
				responseMS = mt.firstResponseAt.Sub(mt.openedAt).Milliseconds()
			}
			if mt.rulingFact != 0 {
				rulingFact = int64(mt.rulingFact)
			}
			return append(args, mt.ticket, mt.merchant, formatTime(mt.openedAt), nullTime(mt.intervenedAt), nullTime(mt.firstResponseAt),
				responseMS, rulingFact, nullString(string(mt.finalOutcome)), nullString(string(mt.finalLiability)), nullTime(mt.finalizedAt),
				int64(mt.position), encodeEffect(mt.effect))
		})
	if err != nil {
		return fmt.Errorf("merchant tickets: %w", err)
	}
	return nil
}

// Committed implements Projection.
func (mp *MerchantPenalties) Committed() {
	for _, mt := range mp.dirty {
		mt.dirty = false
	}
	mp.dirty, mp.facts, mp.reversals = mp.dirty[:0], mp.facts[:0], mp.reversals[:0]
	if len(mp.cache) > mp.maxCache {
		mp.cache = make(map[string]*merchantTicket, mp.maxCache)
	}
}

// Reset implements Projection.
func (mp *MerchantPenalties) Reset() {
	mp.cache = map[string]*merchantTicket{}
	mp.dirty, mp.facts, mp.reversals = nil, nil, nil
}
