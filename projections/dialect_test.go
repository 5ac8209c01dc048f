package projections

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDialects(t *testing.T) {
	t.Parallel()
	const q = `INSERT INTO t (a, b) VALUES (?, ?), (?, ?) ON CONFLICT (a) DO UPDATE SET b = excluded.b`
	assert.Equal(t, q, SQLite.Q(q))
	assert.Equal(t, `INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT (a) DO UPDATE SET b = excluded.b`, Postgres.Q(q))

	const ddl = "CREATE TABLE IF NOT EXISTS t (\n\ta BIGINT NOT NULL PRIMARY KEY,\n\tb TEXT\n)\n"
	assert.Equal(t, "CREATE TABLE IF NOT EXISTS t (\n\ta INTEGER NOT NULL PRIMARY KEY,\n\tb TEXT\n) STRICT", SQLite.Table(ddl))
	assert.Equal(t, ddl, Postgres.Table(ddl))

	assert.Equal(t, "(?, ?, ?)", placeholders(1, 3))
	assert.Equal(t, "(?, ?), (?, ?)", placeholders(2, 2))
}
