package projections

import (
	"strconv"
	"strings"
)

// Dialect is the little SQL that differs between the backends the read
// models are written for. Statements in this package are written once, with
// '?' placeholders and BIGINT columns, in the subset SQLite and PostgreSQL
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

// Table rewrites a CREATE TABLE statement for the dialect: on SQLite, BIGINT
// columns become INTEGER and the table is STRICT, so a wrongly typed value
// fails loudly instead of being stored as something else.
func (d Dialect) Table(ddl string) string {
	if !d.strict {
		return ddl
	}
	return strings.ReplaceAll(strings.TrimRight(ddl, " \n\t"), "BIGINT", "INTEGER") + " STRICT"
}

// placeholders returns "(?, ?, …)" repeated rows times, comma-separated: the
// VALUES list of a multi-row insert of cols columns.
func placeholders(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
}
