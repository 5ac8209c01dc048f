package projections_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/projections"
)

// epoch is a Monday, 09:00 in Shanghai.
var epoch = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

// ledger is a SQLite ledger with its read models in the same file and a
// command handler that takes the commands' times from the test.
type ledger struct {
	path  string
	store *sqlite.Store
	db    *projections.DB
	h     *commands.Handler
	pol   policy.Policy
}

func newLedger(t testing.TB) *ledger {
	t.Helper()
	return openLedger(t, filepath.Join(t.TempDir(), "ledger.db"))
}

func openLedger(t testing.TB, path string) *ledger {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, path, sqlite.Config{PollInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	db, err := openSQLite(ctx, path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	pol := policy.Default()
	return &ledger{path: path, store: store, db: db, pol: pol,
		h: commands.NewHandler(store, commands.WithPolicy(pol), commands.WithClientTime())}
}

// projector returns a projector of the default read models with fast retries.
func (l *ledger) projector(opts projections.Options) *projections.Projector {
	if opts.RetryInterval == 0 {
		opts.RetryInterval = time.Millisecond
	}
	return projections.NewProjector(l.store, l.db, projections.Default(l.db, l.pol), opts)
}

func (l *ledger) runToHead(t testing.TB) projections.Report {
	t.Helper()
	rep, err := l.projector(projections.Options{}).Run(context.Background())
	require.NoError(t, err)
	return rep
}

// step is one scenario step at its absolute time.
type step struct {
	at   time.Time
	sc   *scenarios.Scenario
	i    int
	step scenarios.Step
}

// interleave orders the steps of all scenarios by time, as the simulated
// clock of the demo issues them.
func interleave(scs []scenarios.Scenario) []step {
	var out []step
	for k := range scs {
		sc := &scs[k]
		for i, st := range sc.Steps {
			out = append(out, step{at: sc.TimeOf(i), sc: sc, i: i, step: st})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// handle issues one scenario step through the command path.
func (l *ledger) handle(t testing.TB, s step) {
	t.Helper()
	at := s.at
	req := commands.Request{CommandID: fmt.Sprintf("%s-%03d", s.sc.Name, s.i), CorrelationID: s.sc.TicketID,
		TicketID: s.sc.TicketID, Actor: s.step.Actor, Command: s.step.Command.CommandName(), At: &at}
	_, err := l.h.Handle(context.Background(), req, s.step.Command)
	require.NoError(t, err, "%s step %d", s.sc.Name, s.i)
}

// appendScenarios plays each scenario through the aggregate and appends its
// stream whole: the quick way to fill a log.
func appendScenarios(t testing.TB, store eventstore.Store, pol policy.Policy, scs []scenarios.Scenario) int {
	t.Helper()
	n := 0
	for _, sc := range scs {
		envs, err := scenarios.Play(sc, pol, func() uuid.UUID { return uuid.Must(uuid.NewV7()) })
		require.NoError(t, err)
		data := make([]eventstore.EventData, len(envs))
		for i, env := range envs {
			b, err := events.Encode(env)
			require.NoError(t, err)
			data[i] = eventstore.EventData{ID: env.ID, Type: env.Type, Revision: env.Revision, Data: b}
		}
		_, err = store.Append(context.Background(), envs[0].Stream, eventstore.NoStream(), data)
		require.NoError(t, err)
		n += len(envs)
	}
	return n
}

// appendOpenings appends only the opening events of scenarios: tickets left
// open, with their first deadlines running.
func appendOpenings(t testing.TB, store eventstore.Store, pol policy.Policy, scs []scenarios.Scenario) {
	t.Helper()
	for _, sc := range scs {
		envs, err := scenarios.Play(sc, pol, func() uuid.UUID { return uuid.Must(uuid.NewV7()) })
		require.NoError(t, err)
		b, err := events.Encode(envs[0])
		require.NoError(t, err)
		_, err = store.Append(context.Background(), envs[0].Stream, eventstore.NoStream(),
			[]eventstore.EventData{{ID: envs[0].ID, Type: envs[0].Type, Revision: envs[0].Revision, Data: b}})
		require.NoError(t, err)
	}
}

// readModelTables are the tables the default projections write.
var readModelTables = []string{"rm_ticket_status", "rm_penalty_facts", "rm_merchant_tickets", "rm_audit_trail", "rm_deadlines", "rm_deadline_tickets"}

// dump returns every read-model row, each as one line, ordered by key, and
// each projection's checkpoint.
func dump(t testing.TB, db *projections.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range readModelTables {
		out[table] = rowsOf(t, db.SQL, `SELECT * FROM `+table+` ORDER BY 1, 2`)
	}
	out["checkpoints"] = rowsOf(t, db.SQL, `SELECT projection, position FROM rm_checkpoints ORDER BY 1`)
	return out
}

func rowsOf(t testing.TB, db *sql.DB, q string) []string {
	t.Helper()
	out, err := projections.QueryRows(context.Background(), db, q)
	require.NoError(t, err)
	return out
}

// ticket drives one ticket through the command path at chosen times.
type ticket struct {
	l                   *ledger
	id, buyer, merchant string
	n                   int
	state               domain.Ticket
}

func (l *ledger) ticket(id, merchant string) *ticket {
	return &ticket{l: l, id: id, buyer: "b-" + id, merchant: merchant}
}

func (k *ticket) do(t testing.TB, at time.Time, actor events.Actor, cmd domain.Command) {
	t.Helper()
	k.n++
	req := commands.Request{CommandID: fmt.Sprintf("%s-%d", k.id, k.n), TicketID: k.id, Actor: actor, Command: cmd.CommandName(), At: &at}
	res, err := k.l.h.Handle(context.Background(), req, cmd)
	require.NoError(t, err, "%s: %s at %s", k.id, cmd.CommandName(), at)
	k.state = res.Ticket
}

func (k *ticket) byBuyer(t testing.TB, at time.Time, cmd domain.Command) {
	t.Helper()
	k.do(t, at, events.Actor{Role: events.RoleBuyer, ID: k.buyer}, cmd)
}

func (k *ticket) byMerchant(t testing.TB, at time.Time, cmd domain.Command) {
	t.Helper()
	k.do(t, at, events.Actor{Role: events.RoleMerchant, ID: k.merchant}, cmd)
}

// expire fires the open deadline kind at its due time and returns that time.
func (k *ticket) expire(t testing.TB, kind events.DeadlineKind) time.Time {
	t.Helper()
	due, ok := k.state.Deadlines[kind]
	require.True(t, ok, "%s: deadline %s not open (open: %v)", k.id, kind, k.state.OpenDeadlines())
	k.do(t, due, events.SystemActor(), domain.ExpireDeadline{Deadline: kind})
	return due
}

func (k *ticket) open(t testing.TB, at time.Time, kind events.TicketKind, reason events.Reason) {
	t.Helper()
	delivered := at.Add(-48 * time.Hour)
	k.byBuyer(t, at, domain.OpenTicket{OrderID: "O-" + k.id, MerchantID: k.merchant, Kind: kind, Reason: reason,
		Currency: "CNY", AmountPaid: 20000, Requested: 20000, OrderShipped: true, DeliveredAt: &delivered})
}

// toReview takes an open ticket through rejection, intervention and the
// evidence window to review; with merchantEvidence the merchant answers in
// time. It returns when review began.
func (k *ticket) toReview(t testing.TB, at time.Time, merchantEvidence bool) time.Time {
	t.Helper()
	k.byMerchant(t, at.Add(time.Hour), domain.Reject{Reason: "goods were fine when shipped"})
	k.byBuyer(t, at.Add(2*time.Hour), domain.RequestIntervention{Reason: "merchant refuses"})
	requested := k.expire(t, events.DeadlineNegotiation)
	if merchantEvidence {
		k.byMerchant(t, requested.Add(time.Minute), domain.SubmitEvidence{Items: []events.EvidenceItem{{
			ID: k.id + "-m1", Kind: "photo", Description: "packing photo", URI: "oss://e/" + k.id + "/m1", SHA256: strings.Repeat("ab", 32)}}})
	}
	return k.expire(t, events.DeadlineEvidence)
}

func (k *ticket) rule(t testing.TB, at time.Time, terms events.Terms) {
	t.Helper()
	k.do(t, at, events.Actor{Role: events.RoleArbitrator, ID: "arb-1"}, domain.Rule{Terms: terms, Rationale: "on the evidence"})
}

func (k *ticket) decideAppeal(t testing.TB, at time.Time, decision events.AppealDecision, terms *events.Terms) {
	t.Helper()
	k.do(t, at, events.Actor{Role: events.RoleSeniorArbitrator, ID: "sarb-1"}, domain.DecideAppeal{Decision: decision, Rationale: "reviewed", Terms: terms})
}

// generate is scenarios.Generate with ticket ids made unique to the seed:
// generated ids hold only the opening day and the index, so two batches
// would otherwise reuse ids.
func generate(seed int64, n int, start time.Time, pol policy.Policy) []scenarios.Scenario {
	scs := scenarios.Generate(seed, n, start, pol)
	for i := range scs {
		uniqueTicket(&scs[i], fmt.Sprintf("s%d-%s", seed, scs[i].TicketID))
	}
	return scs
}

// uniqueTicket renames a scenario's ticket.
func uniqueTicket(sc *scenarios.Scenario, id string) {
	sc.TicketID = id
	for j, st := range sc.Steps {
		if open, ok := st.Command.(domain.OpenTicket); ok {
			open.TicketID = id
			sc.Steps[j].Command = open
		}
	}
}

// openSQLite opens read models in the SQLite file at path as `disputes`
// does (cmd/internal/readmodels.Open): the rebuildable DSN, one writing
// connection and one for reads and prepares.
func openSQLite(ctx context.Context, path string) (*projections.DB, error) {
	db, err := sql.Open("sqlite", sqlite.RebuildableDSN(path))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	db.SetMaxIdleConns(2)
	return projections.NewDB(ctx, db, projections.SQLite)
}
