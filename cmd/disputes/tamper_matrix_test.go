package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// The tamper matrix: every class of tampering an operator with write access
// to the database could try, each against verify --db (SQLite), verify
// --store (PostgreSQL) and a bundle exported from the tampered ledger, each
// expecting its named finding and exit status 1. Rollback and fork need the
// checkpoint an auditor held before the tampering; their place is marked
// below.

// matrixLedger is one sealed ledger under test, with raw SQL access to its
// tables as the operator has it.
type matrixLedger struct {
	dir        string
	verifyArgs []string // names the ledger to verify and export
	events     string   // the events table's name
	exec       func(t *testing.T, query string, args ...any)
	query      func(t *testing.T, query string, args ...any) [][]any
	pub        string // the auditor's pinned public key file
	unsealed   uint64 // the first position after the latest seal
	// idValue is an event id as the events table's id column takes it.
	idValue func(uuid.UUID) any
}

// matrixRow is one stored event, decoded.
type matrixRow struct {
	pos  uint64
	data []byte
	env  events.Envelope
}

func (l *matrixLedger) rows(t *testing.T) []matrixRow {
	t.Helper()
	var out []matrixRow
	for _, r := range l.query(t, `SELECT position, data FROM `+l.events+` ORDER BY position`) {
		row := matrixRow{pos: uint64(r[0].(int64)), data: r[1].([]byte)}
		env, err := events.Decode(row.data)
		require.NoError(t, err)
		row.env = env
		out = append(out, row)
	}
	return out
}

// ticketRows returns the rows of stream, in order.
func ticketRows(rs []matrixRow, stream string) []matrixRow {
	var out []matrixRow
	for _, r := range rs {
		if r.env.Stream == stream {
			out = append(out, r)
		}
	}
	return out
}

// sealedRuling returns a ruling in the sealed range with an event after it
// in its ticket, and that event.
func sealedRuling(t *testing.T, l *matrixLedger) (ruling, next matrixRow) {
	t.Helper()
	rs := l.rows(t)
	for _, r := range rs {
		if r.env.Type != events.TypeRulingRecorded || r.pos >= l.unsealed {
			continue
		}
		stream := ticketRows(rs, r.env.Stream)
		i := slices.IndexFunc(stream, func(x matrixRow) bool { return x.pos == r.pos })
		if i+1 < len(stream) && stream[i+1].pos < l.unsealed {
			return r, stream[i+1]
		}
	}
	require.FailNow(t, "no sealed ruling with a successor")
	return
}

func (l *matrixLedger) setData(t *testing.T, pos uint64, data []byte) {
	t.Helper()
	l.exec(t, `UPDATE `+l.events+` SET data = ? WHERE position = ?`, data, int64(pos))
}

// swap exchanges the rows at positions a and b.
func (l *matrixLedger) swap(t *testing.T, a, b uint64) {
	t.Helper()
	const aside = 1 << 40 // a free position (PostgreSQL checks positions are positive)
	for _, q := range [][2]int64{{int64(a), aside}, {int64(b), int64(a)}, {aside, int64(b)}} {
		l.exec(t, `UPDATE `+l.events+` SET position = ? WHERE position = ?`, q[1], q[0])
	}
}

// editedPolicy writes the built-in policy with 假一赔十 turned into 假一赔三,
// under the same version, and returns its file.
func editedPolicy(t *testing.T, dir string) string {
	t.Helper()
	p := policy.Default()
	p.CompensationMultiple = 3
	path := filepath.Join(dir, "edited-policy.json")
	require.NoError(t, os.WriteFile(path, p.Canonical(), 0o600))
	return path
}

// matrixClass is one class of tampering.
type matrixClass struct {
	name string
	// tamper alters the ledger and returns extra verify arguments.
	tamper func(t *testing.T, l *matrixLedger) []string
	// editBundle, when set, alters the exported bundle instead of the
	// ledger (for what a bundle carries that the ledger does not).
	editBundle func(t *testing.T, b []byte) []byte
	want       audit.Check
}

var matrixClasses = []matrixClass{
	{name: "byte edit", want: audit.CheckEventHash, tamper: func(t *testing.T, l *matrixLedger) []string {
		r, _ := sealedRuling(t, l)
		data := bytes.Clone(r.data)
		i := bytes.Index(data, []byte(`"rationale":"`)) + len(`"rationale":"`)
		data[i]++
		l.setData(t, r.pos, data)
		return nil
	}},
	{name: "deleted row", want: audit.CheckLogGap, tamper: func(t *testing.T, l *matrixLedger) []string {
		r, _ := sealedRuling(t, l)
		l.exec(t, `DELETE FROM `+l.events+` WHERE position = ?`, int64(r.pos))
		return nil
	}},
	{name: "reorder: an event moved to the end of the log", want: audit.CheckLogGap, tamper: func(t *testing.T, l *matrixLedger) []string {
		r, _ := sealedRuling(t, l)
		rs := l.rows(t)
		l.exec(t, `UPDATE `+l.events+` SET position = ? WHERE position = ?`, int64(rs[len(rs)-1].pos+1), int64(r.pos))
		return nil
	}},
	{name: "swap within a ticket", want: audit.CheckChain, tamper: func(t *testing.T, l *matrixLedger) []string {
		r, next := sealedRuling(t, l)
		l.swap(t, r.pos, next.pos)
		return nil
	}},
	{name: "swap across tickets", want: audit.CheckSealRoot, tamper: func(t *testing.T, l *matrixLedger) []string {
		rs := l.rows(t)
		i := slices.IndexFunc(rs[:len(rs)-1], func(r matrixRow) bool {
			return r.pos > 10 && rs[r.pos].pos < l.unsealed && rs[r.pos].env.Stream != r.env.Stream
		})
		require.GreaterOrEqual(t, i, 0)
		l.swap(t, rs[i].pos, rs[i+1].pos)
		return nil
	}},
	{name: "re-hashed and re-chained edit in the sealed range", want: audit.CheckSealRoot, tamper: func(t *testing.T, l *matrixLedger) []string {
		r, _ := sealedRuling(t, l)
		rehashTicket(t, l, r.env.Stream, func(env *events.Envelope) bool {
			p, ok := env.Payload.(events.RulingRecorded)
			if ok {
				p.Rationale += " (edited)"
				env.Payload = p
			}
			return ok
		})
		return nil
	}},
	{name: "re-hashed edit in the unsealed range", want: audit.CheckChain, tamper: func(t *testing.T, l *matrixLedger) []string {
		rs := l.rows(t)
		first := rs[slices.IndexFunc(rs, func(r matrixRow) bool { return r.pos >= l.unsealed })]
		require.Len(t, ticketRows(rs, first.env.Stream), len(rs)-int(first.pos)+1, "the unsealed tail is one ticket, with events after its first")
		env := first.env
		p := env.Payload.(events.RefundRequested)
		p.Description = "edited after the fact"
		env.Payload = p
		_, data, err := events.Seal(env) // a valid hash, not re-chained: the next event still names the old one
		require.NoError(t, err)
		l.setData(t, first.pos, data)
		return nil
	}},
	{name: "truncation", want: audit.CheckSealRoot, tamper: func(t *testing.T, l *matrixLedger) []string {
		l.exec(t, `DELETE FROM `+l.events+` WHERE position >= ?`, int64(l.unsealed-5))
		return nil
	}},
	{name: "edited stream column", want: audit.CheckColumnMismatch, tamper: func(t *testing.T, l *matrixLedger) []string {
		r, _ := sealedRuling(t, l)
		l.exec(t, `UPDATE `+l.events+` SET stream = 'ticket-hidden', revision = 0 WHERE position = ?`, int64(r.pos))
		return nil
	}},
	{name: "edited revision column", want: audit.CheckColumnMismatch, tamper: func(t *testing.T, l *matrixLedger) []string {
		r, _ := sealedRuling(t, l)
		l.exec(t, `UPDATE `+l.events+` SET revision = revision + 100 WHERE position = ?`, int64(r.pos))
		return nil
	}},
	{name: "edited type column", want: audit.CheckColumnMismatch, tamper: func(t *testing.T, l *matrixLedger) []string {
		r, _ := sealedRuling(t, l)
		l.exec(t, `UPDATE `+l.events+` SET type = ? WHERE position = ?`, events.TypeTicketWithdrawn, int64(r.pos))
		return nil
	}},
	{name: "edited id column", want: audit.CheckColumnMismatch, tamper: func(t *testing.T, l *matrixLedger) []string {
		r, _ := sealedRuling(t, l)
		id := uuid.Must(uuid.NewV7())
		l.exec(t, `UPDATE `+l.events+` SET id = ? WHERE position = ?`, l.idValue(id), int64(r.pos))
		return nil
	}},
	{name: "edited policy", want: audit.CheckPolicyHash, tamper: func(t *testing.T, l *matrixLedger) []string {
		return []string{"--policy", editedPolicy(t, l.dir)}
	}, editBundle: func(t *testing.T, b []byte) []byte {
		edited := bytes.Replace(b, []byte(`"compensation_multiple":10`), []byte(`"compensation_multiple":3`), 1)
		require.NotEqual(t, b, edited)
		return edited
	}},
	{name: "deleted seals", want: audit.CheckSealMissing, tamper: func(t *testing.T, l *matrixLedger) []string {
		l.exec(t, `DELETE FROM audit_seals`)
		return nil
	}},
	{name: "forged seal", want: audit.CheckSealSignature, tamper: func(t *testing.T, l *matrixLedger) []string {
		forged := bytes.Repeat([]byte{0x5a}, ed25519.SignatureSize)
		l.exec(t, `UPDATE audit_seals SET signature = ?`, forged)
		return nil
	}},
	// Rollback and fork need the checkpoint the auditor held before the
	// tampering: they are tested with --trusted-checkpoint by
	// trust_cli_test.go and audit_store_cli_test.go (rollback, fork,
	// seal_missing).
}

// rehashTicket edits the events of stream that edit changes and re-chains
// the whole ticket with fresh hashes, as a careful forger would.
func rehashTicket(t *testing.T, l *matrixLedger, stream string, edit func(*events.Envelope) bool) {
	t.Helper()
	rows := ticketRows(l.rows(t), stream)
	envs := make([]events.Envelope, len(rows))
	changed := false
	for i, r := range rows {
		envs[i] = r.env
		changed = edit(&envs[i]) || changed
	}
	require.True(t, changed)
	_, wire, err := events.Link(nil, envs)
	require.NoError(t, err)
	for i, r := range rows {
		l.setData(t, r.pos, wire[i])
	}
}

// sealedSQLite makes a sealed demo ledger with an unsealed ticket after the
// seal, and returns a fresh copy of it per call.
func sealedSQLite(t *testing.T) func(t *testing.T) *matrixLedger {
	t.Helper()
	_, db, key, pub := auditLedger(t)
	unsealed := addUnsealedTicket(t, []string{"--db", db}, key)
	return func(t *testing.T) *matrixLedger {
		copyDir := t.TempDir()
		path := filepath.Join(copyDir, "ledger.db")
		copyFile(t, db, path)
		raw, err := sql.Open("sqlite", sqlite.DSN(path))
		require.NoError(t, err)
		t.Cleanup(func() { raw.Close() })
		return &matrixLedger{dir: copyDir, verifyArgs: []string{"--db", path}, events: "events", pub: pub, unsealed: unsealed,
			idValue: func(id uuid.UUID) any { return id[:] }, // a 16-byte blob
			exec: func(t *testing.T, q string, args ...any) {
				t.Helper()
				_, err := raw.Exec(q, args...)
				require.NoError(t, err)
			},
			query: func(t *testing.T, q string, args ...any) [][]any {
				t.Helper()
				return sqlRows(t, raw, q, args...)
			}}
	}
}

// addUnsealedTicket opens a ticket after the latest seal (and checks the
// seal ends before it): the unsealed range. It returns its first position.
func addUnsealedTicket(t *testing.T, ledgerArgs []string, key string) uint64 {
	t.Helper()
	code, out, errOut := runCLI(t, "", append([]string{"seal", "--key", key}, ledgerArgs...)...)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out+errOut, "already sealed")
	delivered := time.Now().UTC().Add(-48 * time.Hour).Format(time.RFC3339)
	in := `{"command_id":"u1","ticket_id":"T-UNSEALED","actor":{"role":"buyer","id":"b-1"},"command":"open_ticket","data":{"order_id":"O-1","merchant_id":"m-1","kind":"return_refund","reason":"quality","currency":"CNY","amount_paid":19900,"requested":19900,"order_shipped":true,"delivered_at":"` + delivered + `"}}
{"command_id":"u2","ticket_id":"T-UNSEALED","actor":{"role":"merchant","id":"m-1"},"command":"post_message","data":{"text":"we will look at it today"}}
`
	code, _, errOut = runCLI(t, in, append([]string{"exec", "--stop-on-error"}, ledgerArgs...)...)
	require.Equal(t, 0, code, errOut)
	code, rep := verifyJSON(t, append([]string{"--trust-on-first-use"}, ledgerArgs...)...)
	require.Equal(t, 0, code, "%+v", rep.Findings)
	require.Greater(t, rep.LastPosition, rep.SealedSize+1, "at least two events after the seal")
	return rep.SealedSize + 1
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.Create(to)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}

func sqlRows(t *testing.T, db *sql.DB, q string, args ...any) [][]any {
	t.Helper()
	rows, err := db.Query(q, args...)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		out = append(out, vals)
	}
	require.NoError(t, rows.Err())
	return out
}

// requireFinding runs verify with args and checks exit status 1 and the
// named finding.
func requireMatrixFinding(t *testing.T, want audit.Check, args ...string) {
	t.Helper()
	code, rep := verifyJSON(t, args...)
	assert.Equal(t, 1, code, "exit status")
	assert.True(t, rep.Has(want), "want %s, got %v: %+v", want, checkNames(rep), rep.Findings)
}

func TestTamperMatrixSQLite(t *testing.T) {
	t.Parallel()
	fresh := sealedSQLite(t)
	for _, c := range matrixClasses {
		t.Run(c.name, func(t *testing.T) {
			l := fresh(t)
			verifyArgs := append([]string{"--public-key", l.pub}, l.verifyArgs...)
			extra := c.tamper(t, l)
			t.Run("verify --db", func(t *testing.T) {
				requireMatrixFinding(t, c.want, append(verifyArgs, extra...)...)
			})
			t.Run("bundle", func(t *testing.T) {
				bundleFile := filepath.Join(l.dir, "all.jsonl")
				code, _, errOut := runCLI(t, "", append([]string{"export", "--out", bundleFile}, l.verifyArgs...)...)
				require.Equal(t, 0, code, errOut)
				if c.editBundle != nil {
					b, err := os.ReadFile(bundleFile)
					require.NoError(t, err)
					require.NoError(t, os.WriteFile(bundleFile, c.editBundle(t, b), 0o600))
				}
				requireMatrixFinding(t, c.want, "--public-key", l.pub, bundleFile)
			})
		})
	}
}

// sealedPostgres makes a sealed demo ledger in a fresh schema per call.
func sealedPostgres(t *testing.T) *matrixLedger {
	t.Helper()
	storeURL, _ := testenv.PostgresSchema(t)
	dir := t.TempDir()
	code, _, errOut := runCLI(t, "", "demo", "--store", storeURL, "--db", filepath.Join(dir, "read.db"), "--tickets", "8")
	require.Equal(t, 0, code, errOut)
	key, pub := filepath.Join(dir, "seal.pem"), filepath.Join(dir, "seal.pub.pem")
	code, _, errOut = runCLI(t, "", "keys", "--generate", key, "--out", pub)
	require.Equal(t, 0, code, errOut)
	code, _, errOut = runCLI(t, "", "seal", "--store", storeURL, "--key", key)
	require.Equal(t, 0, code, errOut)
	ledgerArgs := []string{"--store", storeURL}
	unsealed := addUnsealedTicket(t, ledgerArgs, key)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, storeURL)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(ctx) })
	return &matrixLedger{dir: dir, verifyArgs: ledgerArgs, events: "eventstore_events", pub: pub, unsealed: unsealed,
		idValue: func(id uuid.UUID) any { return id.String() }, // a uuid column
		exec: func(t *testing.T, q string, args ...any) {
			t.Helper()
			_, err := conn.Exec(ctx, pgPlaceholders(q), args...)
			require.NoError(t, err)
		},
		query: func(t *testing.T, q string, args ...any) [][]any {
			t.Helper()
			rows, err := conn.Query(ctx, pgPlaceholders(q), args...)
			require.NoError(t, err)
			defer rows.Close()
			var out [][]any
			for rows.Next() {
				vals, err := rows.Values()
				require.NoError(t, err)
				out = append(out, vals)
			}
			require.NoError(t, rows.Err())
			return out
		}}
}

// pgPlaceholders turns ? placeholders into $1, $2, ….
func pgPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestTamperMatrixPostgres(t *testing.T) {
	t.Parallel()
	for _, c := range matrixClasses {
		t.Run(c.name, func(t *testing.T) {
			l := sealedPostgres(t)
			extra := c.tamper(t, l)
			requireMatrixFinding(t, c.want, append(append([]string{"--public-key", l.pub}, l.verifyArgs...), extra...)...)
		})
	}
}
