package projections

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/eventstore"
)

// ReadModelCheck is what VerifyReadModels found for one projection.
type ReadModelCheck struct {
	Projection string `json:"projection"`
	// Checkpoint is the read model's position; Head the rebuild's.
	Checkpoint uint64 `json:"checkpoint"`
	Head       uint64 `json:"head"`
	// Behind is true when the read model has not reached the position the
	// rebuild did: its tables are not compared (project, then verify).
	Behind bool `json:"behind,omitempty"`
	// Tables lists the tables whose rows differ from the rebuild's.
	Tables []TableDiff `json:"tables,omitempty"`
}

// OK reports whether the read model equals its rebuild.
func (c ReadModelCheck) OK() bool { return !c.Behind && len(c.Tables) == 0 }

// TableDiff is one read-model table that differs from its rebuild: the
// rows only the rebuild has (Missing) and only the read model has (Extra),
// each one line "column=value …", at most maxDiffRows of each listed.
type TableDiff struct {
	Table        string   `json:"table"`
	Missing      []string `json:"missing,omitempty"`
	Extra        []string `json:"extra,omitempty"`
	MissingCount int      `json:"missing_count"`
	ExtraCount   int      `json:"extra_count"`
}

// maxDiffRows bounds the rows a TableDiff lists of each side.
const maxDiffRows = 5

// VerifyReadModels rebuilds the default read models (Default, under pol)
// from the store's log into scratch, an empty database, and compares each
// of live's tables with the rebuild's, row by row. The read models are
// derived, not sealed: this is how an auditor learns that one was edited
// (or is stale) rather than trusting it. A projection whose checkpoint is
// not the position the rebuild reached is reported Behind and not
// compared. It reads every row of both into memory.
func VerifyReadModels(ctx context.Context, store eventstore.Store, live, scratch *DB, pol policy.Policy) ([]ReadModelCheck, error) {
	rep, err := NewProjector(store, scratch, Default(scratch, pol), Options{}).Run(ctx)
	if err != nil {
		return nil, fmt.Errorf("rebuild the read models: %w", err)
	}
	var out []ReadModelCheck
	for _, p := range Default(live, pol) {
		c := ReadModelCheck{Projection: p.Name(), Head: rep.Head}
		if c.Checkpoint, err = live.Checkpoint(ctx, p.Name()); err != nil {
			return nil, err
		}
		if c.Checkpoint != c.Head {
			c.Behind = true
			out = append(out, c)
			continue
		}
		for _, t := range p.Schema().Tables {
			got, err := TableRows(ctx, live, t.Name)
			if err != nil {
				return nil, err
			}
			want, err := TableRows(ctx, scratch, t.Name)
			if err != nil {
				return nil, err
			}
			if d := diffRows(t.Name, want, got); d.MissingCount+d.ExtraCount > 0 {
				c.Tables = append(c.Tables, d)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// diffRows compares two sorted lists of rows as multisets.
func diffRows(table string, want, got []string) TableDiff {
	d := TableDiff{Table: table}
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || (i < len(want) && want[i] < got[j]):
			d.MissingCount++
			if len(d.Missing) < maxDiffRows {
				d.Missing = append(d.Missing, want[i])
			}
			i++
		case i == len(want) || got[j] < want[i]:
			d.ExtraCount++
			if len(d.Extra) < maxDiffRows {
				d.Extra = append(d.Extra, got[j])
			}
			j++
		default:
			i++
			j++
		}
	}
	return d
}

// TableRows returns every row of a read-model table, one line each, as
// QueryRows spells them, sorted.
func TableRows(ctx context.Context, db *DB, table string) ([]string, error) {
	out, err := QueryRows(ctx, db.SQL, `SELECT * FROM `+table)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	slices.Sort(out)
	return out, nil
}

// QueryRows runs a read and returns its rows, one line each
// ("column=value …", NULL for null), in the order the query gives, spelled
// alike on both backends: PostgreSQL's timestamptz and boolean as SQLite's
// TimeLayout text and 0/1.
func QueryRows(ctx context.Context, db *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	vals, ptrs := make([]any, len(cols)), make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		parts := make([]string, len(cols))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				parts[i] = cols[i] + "=NULL"
				continue
			case time.Time:
				v = formatTime(x)
			case bool:
				v = map[bool]int64{false: 0, true: 1}[x]
			case []byte:
				v = string(x)
			}
			parts[i] = fmt.Sprintf("%s=%v", cols[i], v)
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out, rows.Err()
}
