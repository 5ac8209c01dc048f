package projections_test

import (
	"bufio"
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
	"github.com/disputes-ledger/disputes/internal/testenv"
	"github.com/disputes-ledger/disputes/projections"
)

// documentedQuery is one example of docs/projections.md: its statement,
// and the databases it is written for (both for a plain sql block).
type documentedQuery struct {
	sql          string
	sqlite, pg   bool
	line, pairOf int // its line; the line of the SQLite spelling it follows (0: none)
}

// documentedQueries reads the sql blocks of docs/projections.md, one
// statement each.
func documentedQueries(t *testing.T) []documentedQuery {
	t.Helper()
	f, err := os.Open("../docs/projections.md")
	require.NoError(t, err)
	defer f.Close()
	var (
		out       []documentedQuery
		in        *documentedQuery
		stmt      strings.Builder
		lastLite  int
		lastBlock string
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case in == nil && strings.HasPrefix(line, "```sql"):
			lang := strings.TrimSpace(strings.TrimPrefix(line, "```sql"))
			in = &documentedQuery{sqlite: lang != "postgres", pg: lang != "sqlite", line: n}
			if lang == "postgres" && lastBlock == "sqlite" {
				in.pairOf = lastLite
			}
			if lang == "sqlite" {
				lastLite = n
			}
			lastBlock = lang
		case in != nil && line == "```":
			in = nil
		case in != nil:
			stmt.WriteString(line + "\n")
			if strings.HasSuffix(strings.TrimSpace(line), ";") {
				q := *in
				q.sql = stmt.String()
				out = append(out, q)
				stmt.Reset()
			}
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out)
	return out
}

// TestDocumentedQueriesRun runs every example query of docs/projections.md
// against read models of the same tickets in SQLite and in PostgreSQL
// (each in its ledger's own database, as by default): each runs, and a
// query written for both, or a PostgreSQL spelling of the SQLite one
// before it, answers with as many rows on both.
func TestDocumentedQueriesRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	queries := documentedQueries(t)
	l := newLedger(t)
	scs := append(scenarios.Seeds(epoch), generate(7, 40, epoch, l.pol)...)
	appendScenarios(t, l.store, l.pol, scs)
	l.runToHead(t)

	url, _ := testenv.PostgresSchema(t)
	store, err := postgres.Open(ctx, url, postgres.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	appendScenarios(t, store, l.pol, scs)
	pool, err := sql.Open("pgx", url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = pool.Close() })
	pg, err := projections.NewDB(ctx, pool, projections.Postgres)
	require.NoError(t, err)
	_, err = projections.RunToHead(ctx, store, pg, l.pol)
	require.NoError(t, err)

	count := func(db *sql.DB, q documentedQuery) int {
		rows, err := db.QueryContext(ctx, q.sql)
		require.NoError(t, err, "docs/projections.md line %d:\n%s", q.line, q.sql)
		defer rows.Close()
		n := 0
		for rows.Next() {
			n++
		}
		require.NoError(t, rows.Err(), "docs/projections.md line %d", q.line)
		return n
	}
	liteRows := map[int][]int{} // by block line
	for _, q := range queries {
		var lite, inPG int
		if q.sqlite {
			lite = count(l.db.SQL, q)
			liteRows[q.line] = append(liteRows[q.line], lite)
		}
		if q.pg {
			inPG = count(pool, q)
		}
		switch {
		case q.sqlite && q.pg:
			assert.Equal(t, lite, inPG, "docs/projections.md line %d answers alike on both", q.line)
		case q.pairOf != 0:
			require.NotEmpty(t, liteRows[q.pairOf])
			assert.Equal(t, liteRows[q.pairOf][0], inPG, "docs/projections.md line %d answers as its SQLite spelling (line %d)", q.line, q.pairOf)
		}
	}
	// The queries are not all empty: the examples show something.
	total := 0
	for _, ns := range liteRows {
		for _, n := range ns {
			total += n
		}
	}
	assert.Greater(t, total, 20)
}
