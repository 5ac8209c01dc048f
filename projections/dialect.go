package projections

import (
	"strconv"
	"strings"
)

// Dialect is the little SQL that differs between the backends the read
// models are written for. Statements in this package are written once, with
// '?' placeholders and PostgreSQL's column types, in the subset SQLite and PostgreSQL
// share (INSERT … ON CONFLICT … DO UPDATE, CREATE … IF NOT EXISTS); the
// dialect rewrites the rest.
type Dialect struct {
	// Name is "sqlite" or "postgres".
	Name string
	// numbered placeholders ($1, $2, …) instead of '?'.
	numbered bool
	// strict tables: SQLite's STRICT, whose only integer type is INTEGER.
	strict bool
}

// The dialects.
var (
	SQLite   = Dialect{Name: "sqlite", strict: true}
	Postgres = Dialect{Name: "postgres", numbered: true}
)

// Q rewrites a statement's '?' placeholders for the dialect. Statements in
// this package never hold a '?' inside a string literal.
func (d Dialect) Q(query string) string {
	if !d.numbered || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// Table rewrites a CREATE TABLE statement for the dialect. Statements are
// written with PostgreSQL's types: BIGINT, BOOLEAN, TIMESTAMPTZ and TEXT.
// On SQLite the table is STRICT, so a wrongly typed value fails loudly
// instead of being stored as something else, and STRICT knows only
// INTEGER and TEXT: BIGINT and BOOLEAN (0 or 1) become INTEGER, TIMESTAMPTZ
// becomes TEXT in TimeLayout.
func (d Dialect) Table(ddl string) string {
	if !d.strict {
		return ddl
	}
	return sqliteTypes.Replace(strings.TrimRight(ddl, " \n\t")) + " STRICT"
}

var sqliteTypes = strings.NewReplacer("BIGINT", "INTEGER", "BOOLEAN", "INTEGER", "TIMESTAMPTZ", "TEXT")

// placeholders returns "(?, ?, …)" repeated rows times, comma-separated: the
// VALUES list of a multi-row insert of cols columns.
func placeholders(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
}
