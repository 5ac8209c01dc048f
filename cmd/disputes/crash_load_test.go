package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections/views"
)

// The crash test's load: parties (buyers, merchants, an agent, arbitrators)
// carrying tickets through their lifecycles over HTTP — open, agree or
// reject or offer, ship back, confirm receipt, refund, reship, intervene,
// evidence, rule, appeal — while the scheduler expires the deadlines they
// let pass. Each command keeps its Idempotency-Key until it is answered,
// across kills.

// crashParty is an actor and its bearer token.
type crashParty struct {
	actor events.Actor
	token string
}

// crashCast is every party of the crash test's ledger.
type crashCast struct {
	buyers, merchants, arbitrators []crashParty
	agent, senior                  crashParty
	byActor                        map[events.Actor]crashParty
	deliveredAt                    time.Time // of every order: before the ledger's clock starts
}

func (c *crashCast) party(a events.Actor) crashParty { return c.byActor[a] }

// crashClock maps wall time to the ledger's: serve runs on a clock started
// at ledgerStart when the test began (a working Monday morning, so that the
// evidence window, counted in working hours, runs), passed on to each
// restart with --clock-start so that the ledger's time runs on across kills.
type crashClock struct{ ledgerStart, wallStart time.Time }

func (c crashClock) now() time.Time { return c.ledgerStart.Add(time.Since(c.wallStart)) }

// wallUntil is how long until the ledger's clock reads at.
func (c crashClock) wallUntil(at time.Time) time.Duration { return at.Sub(c.now()) }

// crashCommand is one command a party sends: kept, with its key and body,
// until it is answered.
type crashCommand struct {
	ticket, key, name string
	by                events.Actor
	body              []byte
}

// crashAnswer is what the server said to a command.
type crashAnswer struct {
	status   int
	code     string // problem code of a refusal
	replayed bool
	eventIDs []string
	ticket   views.TicketView
}

// errNotAnswered means the server went away (or was going): send again later.
var errNotAnswered = errors.New("not answered")

// crashRecord is what the clients were told, the test's account that the
// log is checked against.
type crashRecord struct {
	mu      sync.Mutex
	sent    map[string]crashCommand // every command sent, by key
	acked   map[string][]string     // key → the ids of the events its first 201 carried
	refused map[string]string       // key → the code it was refused with
	byName  map[string]int          // command name → acknowledged (201)
	fails   []string
	// replayed counts commands first acknowledged on a retry after a kill,
	// as replays: recorded before the kill, unanswered, then answered from
	// the log.
	replayed int
}

func newCrashRecord() *crashRecord {
	return &crashRecord{sent: map[string]crashCommand{}, acked: map[string][]string{}, refused: map[string]string{}, byName: map[string]int{}}
}

func (r *crashRecord) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fails = append(r.fails, fmt.Sprintf(format, args...))
}

// post sends c and records its answer. Only 503 and a connection that
// breaks (the kill) leave it unanswered.
func (r *crashRecord) post(ctx context.Context, client *http.Client, base string, cast *crashCast, c crashCommand) (crashAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/tickets/"+c.ticket+"/commands/"+c.name, bytes.NewReader(c.body))
	if err != nil {
		return crashAnswer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+cast.party(c.by).token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", c.key)
	r.mu.Lock()
	r.sent[c.key] = c
	r.mu.Unlock()
	res, err := client.Do(req)
	if err != nil {
		return crashAnswer{}, errNotAnswered
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusServiceUnavailable {
		return crashAnswer{}, errNotAnswered
	}
	var body struct {
		Events []struct {
			ID string `json:"id"`
		} `json:"events"`
		Ticket views.TicketView `json:"ticket"`
		Code   string           `json:"code"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		return crashAnswer{}, errNotAnswered // cut mid-answer by the kill: not acknowledged
	}
	a := crashAnswer{status: res.StatusCode, code: body.Code, replayed: res.Header.Get("Idempotent-Replayed") == "true", ticket: body.Ticket}
	for _, e := range body.Events {
		a.eventIDs = append(a.eventIDs, e.ID)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case a.status == http.StatusCreated:
		if len(a.eventIDs) == 0 {
			r.fails = append(r.fails, fmt.Sprintf("%s (%s): 201 without events", c.key, c.name))
		}
		if first, ok := r.acked[c.key]; ok {
			if !a.replayed || !slices.Equal(first, a.eventIDs) {
				r.fails = append(r.fails, fmt.Sprintf("%s (%s): answered %v, then %v (replayed %v)", c.key, c.name, first, a.eventIDs, a.replayed))
			}
			return a, nil
		}
		if code, ok := r.refused[c.key]; ok {
			r.fails = append(r.fails, fmt.Sprintf("%s (%s): refused (%s), then recorded", c.key, c.name, code))
		}
		if a.replayed {
			r.replayed++
		}
		r.acked[c.key] = a.eventIDs
		r.byName[c.name]++
	case a.status == http.StatusUnprocessableEntity, a.status == http.StatusConflict && a.code != "idempotency_key_reused":
		// A refusal by the rules (a deadline moved the ticket on meanwhile,
		// say): answered, and it must have recorded nothing.
		if _, ok := r.acked[c.key]; ok {
			r.fails = append(r.fails, fmt.Sprintf("%s (%s): recorded, then refused (%s)", c.key, c.name, a.code))
		}
		r.refused[c.key] = a.code
	default:
		r.fails = append(r.fails, fmt.Sprintf("%s (%s by %s on %s): status %d %s", c.key, c.name, c.by, c.ticket, a.status, a.code))
	}
	return a, nil
}

// crashSlot is one ticket a worker carries through its lifecycle.
type crashSlot struct {
	ticket  string
	buyer   events.Actor
	view    *views.TicketView // the ticket as last seen; nil before it is opened
	pending *crashCommand     // sent, not answered yet
	stale   bool              // the view must be read again before the next command
	readyAt time.Time         // wall time of its next step
	steps   int
}

// crashWorker is one client goroutine's state, kept across kills: its
// tickets and their pending commands.
type crashWorker struct {
	id     int
	rng    *rand.Rand
	slots  []*crashSlot
	opened int
}

func newCrashWorker(id int, seed uint64, slots int) *crashWorker {
	w := &crashWorker{id: id, rng: rand.New(rand.NewPCG(seed, uint64(id)))}
	for range slots {
		w.slots = append(w.slots, &crashSlot{})
	}
	return w
}

// run works the worker's tickets until ctx ends: each step of the slot due
// first, a command in hand kept for the next run.
func (w *crashWorker) run(ctx context.Context, base string, cast *crashCast, clk crashClock, rec *crashRecord) {
	w.runWith(ctx, &http.Client{Timeout: 10 * time.Second}, base, cast, clk, rec)
}

// runWith is run with the client given.
func (w *crashWorker) runWith(ctx context.Context, client *http.Client, base string, cast *crashCast, clk crashClock, rec *crashRecord) {
	for ctx.Err() == nil {
		s := w.slots[0]
		for _, o := range w.slots[1:] {
			if o.readyAt.Before(s.readyAt) {
				s = o
			}
		}
		if d := time.Until(s.readyAt); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		if err := w.step(ctx, client, base, cast, clk, rec, s); errors.Is(err, errNotAnswered) {
			if ctx.Err() != nil {
				return
			}
			s.readyAt = time.Now().Add(20 * time.Millisecond)
		}
	}
}

// step takes one step of slot s: the pending command again, a fresh read
// of a ticket the rules moved on, or the next command of its lifecycle.
func (w *crashWorker) step(ctx context.Context, client *http.Client, base string, cast *crashCast, clk crashClock, rec *crashRecord, s *crashSlot) error {
	if s.pending == nil && s.view != nil && s.stale {
		v, err := readTicket(ctx, client, base, cast.party(s.buyer).token, s.ticket)
		if err != nil {
			if !errors.Is(err, errNotAnswered) {
				rec.fail("read %s: %v", s.ticket, err)
			}
			return errNotAnswered
		}
		s.view, s.stale = &v, false
	}
	if s.pending == nil {
		if s.view == nil || s.view.Status == domain.StatusClosed {
			w.opened++
			s.ticket, s.view, s.steps = fmt.Sprintf("T-%d-%d", w.id, w.opened), nil, 0
			s.buyer = cast.buyers[w.rng.IntN(len(cast.buyers))].actor
		}
		c, wait := w.next(cast, clk, s)
		if c == nil {
			s.stale, s.readyAt = true, time.Now().Add(wait)
			return nil
		}
		s.pending = c
	}
	a, err := rec.post(ctx, client, base, cast, *s.pending)
	if err != nil {
		return err
	}
	c := s.pending
	s.pending, s.steps = nil, s.steps+1
	switch {
	case a.status == http.StatusCreated:
		v := a.ticket
		s.view = &v
	case c.name == "open_ticket":
		s.view = nil // refused to open: another ticket next time
		return nil
	default:
		s.stale = true
	}
	s.readyAt = time.Now().Add(time.Duration(10+w.rng.IntN(150)) * time.Millisecond)
	return nil
}

// readTicket reads a ticket's state, folded from its stream.
func readTicket(ctx context.Context, client *http.Client, base, token, ticket string) (views.TicketView, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/v1/tickets/"+ticket, nil)
	if err != nil {
		return views.TicketView{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return views.TicketView{}, errNotAnswered
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusServiceUnavailable {
		return views.TicketView{}, errNotAnswered
	}
	if res.StatusCode != http.StatusOK {
		return views.TicketView{}, fmt.Errorf("status %d", res.StatusCode)
	}
	var v views.TicketView
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		return views.TicketView{}, errNotAnswered
	}
	return v, nil
}

// next picks the slot's next command, or none and how long to wait: a
// party that lets its deadline pass (the scheduler expires it) or a ticket
// waiting for nobody.
func (w *crashWorker) next(cast *crashCast, clk crashClock, s *crashSlot) (*crashCommand, time.Duration) {
	rng := w.rng
	if s.view == nil {
		return w.command(cast, s, s.buyer, "open_ticket", w.openData(cast, s)), 0
	}
	v := s.view
	// Now and then every party stays silent until the next deadline falls
	// due, and the scheduler moves the ticket on.
	if len(v.Deadlines) > 0 && rng.IntN(4) == 0 {
		due := v.Deadlines[0].DueAt
		for _, d := range v.Deadlines[1:] {
			if d.DueAt.Before(due) {
				due = d.DueAt
			}
		}
		return nil, max(clk.wallUntil(due), 0) + 200*time.Millisecond
	}
	buyer, merchant := events.Actor{Role: events.RoleBuyer, ID: v.BuyerID}, events.Actor{Role: events.RoleMerchant, ID: v.MerchantID}
	either := pick(rng, buyer, merchant)
	left := v.AmountPaid - v.Refunded
	type option struct {
		by   events.Actor
		name string
		data map[string]any
	}
	var opts []option
	switch v.Status {
	case domain.StatusAwaitingMerchant:
		opts = []option{
			{merchant, "agree", map[string]any{"return_address": "Warehouse 3, Hangzhou"}},
			{merchant, "reject", map[string]any{"reason": "the goods were fine when shipped"}},
			{merchant, "make_offer", map[string]any{"kind": "partial_refund", "amount": max(1, v.Requested/2), "note": "half back"}},
			{merchant, "issue_refund", map[string]any{}},
			{buyer, "request_intervention", map[string]any{"reason": "no answer"}},
			{buyer, "revise_request", map[string]any{"requested": max(1, v.Requested-100)}},
			{merchant, "post_message", map[string]any{"text": pick(rng, "we will look into it soon", "please send photos")}},
		}
		if v.Kind == events.KindExchange {
			opts[2].data = map[string]any{"kind": "replacement_without_return"}
		}
	case domain.StatusRejected:
		opts = []option{
			{buyer, "request_intervention", map[string]any{"reason": "the rejection is unfair"}},
			{buyer, "revise_request", map[string]any{"requested": max(1, v.Requested-100)}},
			{buyer, "withdraw", map[string]any{"note": "never mind"}},
			{merchant, "issue_refund", map[string]any{}},
		}
	case domain.StatusOfferPending:
		opts = []option{{buyer, "accept_offer", nil}, {buyer, "decline_offer", map[string]any{"reason": "too little"}}}
	case domain.StatusAwaitingReturn:
		opts = []option{{buyer, "ship_return", map[string]any{"carrier": "SF Express", "tracking_number": "SF" + s.ticket}}}
	case domain.StatusReturnInTransit:
		opts = []option{{merchant, "confirm_receipt", map[string]any{"note": "arrived"}},
			{merchant, "confirm_receipt", map[string]any{"problem": "damaged"}}}
	case domain.StatusAwaitingRefund:
		opts = []option{{merchant, "issue_refund", map[string]any{}}}
	case domain.StatusAwaitingReship:
		opts = []option{{merchant, "ship_replacement", map[string]any{"carrier": "YTO", "tracking_number": "YT" + s.ticket}},
			{either, "request_intervention", map[string]any{"reason": "no replacement"}}}
	case domain.StatusReplacementInTransit:
		opts = []option{{buyer, "confirm_replacement", nil}}
	case domain.StatusNegotiation:
		opts = []option{{cast.agent.actor, "request_evidence", map[string]any{"note": "photos please"}},
			{buyer, "mark_resolved", map[string]any{"note": "settled"}},
			{either, "submit_evidence", nil},
			{cast.agent.actor, "post_message", map[string]any{"text": "we are looking into it"}}}
	case domain.StatusAwaitingEvidence:
		opts = []option{{buyer, "submit_evidence", nil}, {merchant, "submit_evidence", nil}}
	case domain.StatusUnderReview:
		favoured := map[string]any{"outcome": "buyer_favoured", "liability": "merchant", "refund": left, "rationale": "the evidence shows a defect"}
		if rng.IntN(3) == 0 {
			favoured = map[string]any{"outcome": "merchant_favoured", "liability": "buyer", "rationale": "no defect shown"}
		}
		opts = []option{{pick(rng, cast.arbitrators...).actor, "rule", favoured}, {either, "submit_evidence", nil}}
	case domain.StatusRuled:
		opts = []option{{either, "file_appeal", map[string]any{"grounds": "the ruling ignored my evidence"}}}
	case domain.StatusUnderAppeal:
		opts = []option{{cast.senior.actor, "decide_appeal", map[string]any{"decision": "upheld", "rationale": "the ruling stands"}}}
	default:
		return nil, time.Second
	}
	o := opts[rng.IntN(len(opts))]
	if o.name == "submit_evidence" {
		sum := sha256.Sum256([]byte(s.ticket + fmt.Sprint(s.steps)))
		o.data = map[string]any{"items": []map[string]any{{"id": fmt.Sprintf("ev-%d", s.steps), "kind": "photo",
			"uri": "https://evidence.example/" + s.ticket, "sha256": hex.EncodeToString(sum[:]), "description": "a photo"}}}
	}
	return w.command(cast, s, o.by, o.name, o.data), 0
}

func (w *crashWorker) openData(cast *crashCast, s *crashSlot) map[string]any {
	kind := pick(w.rng, events.KindRefundOnly, events.KindReturnRefund, events.KindExchange)
	paid := int64(1000 + 100*w.rng.IntN(100))
	data := map[string]any{"order_id": "O-" + s.ticket, "merchant_id": cast.merchants[w.rng.IntN(len(cast.merchants))].actor.ID,
		"kind": kind, "reason": "quality", "currency": "CNY", "amount_paid": paid, "order_shipped": true,
		"delivered_at": cast.deliveredAt.Format(time.RFC3339)}
	if kind != events.KindExchange {
		data["requested"] = paid
	}
	return data
}

// command returns a command with a fresh key; its body is fixed here, so
// a retry sends the same request.
func (w *crashWorker) command(cast *crashCast, s *crashSlot, by events.Actor, name string, data map[string]any) *crashCommand {
	if _, ok := domain.LookupCommand(name); !ok {
		panic("the crash test's load sends an unregistered command " + name)
	}
	body := []byte(`{}`)
	if data != nil {
		var err error
		if body, err = json.Marshal(map[string]any{"data": data}); err != nil {
			panic(err)
		}
	}
	return &crashCommand{ticket: s.ticket, key: fmt.Sprintf("%s-%d-%s", s.ticket, s.steps, name), name: name, by: by, body: body}
}

func pick[T any](rng *rand.Rand, xs ...T) T { return xs[rng.IntN(len(xs))] }
