package projections

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"modernc.org/sqlite/vtab"
)

// rowFeedModule is the virtual table module of the row feed (feed.go): a
// read-only table of feedColumns columns c0, c1, … and a hidden column
// feed, which a query must constrain to one key (WHERE feed = ?) and which
// selects the rows registered under it.
type rowFeedModule struct{}

// sqliteVTabDirectOnly is SQLITE_VTAB_DIRECTONLY: the table cannot be used
// from a trigger or a view, which a database file could bring along.
const sqliteVTabDirectOnly = 3

// feedKeyColumn is the hidden column's index.
const feedKeyColumn = feedColumns

func (rowFeedModule) Create(ctx vtab.Context, args []string) (vtab.Table, error) {
	return rowFeedModule{}.Connect(ctx, args)
}

// Connect declares the table, in the temp schema only: a table of the
// module that a database file declares is refused.
func (rowFeedModule) Connect(ctx vtab.Context, args []string) (vtab.Table, error) {
	if len(args) < 3 || args[1] != "temp" {
		return nil, errors.New("the row feed lives in the temp schema only")
	}
	cols := make([]string, 0, feedColumns+1)
	for i := range feedColumns {
		cols = append(cols, "c"+strconv.Itoa(i))
	}
	cols = append(cols, "feed HIDDEN")
	if err := ctx.Declare("CREATE TABLE x (" + strings.Join(cols, ", ") + ")"); err != nil {
		return nil, err
	}
	if err := ctx.Config(sqliteVTabDirectOnly); err != nil {
		return nil, err
	}
	return feedTableImpl{}, nil
}

type feedTableImpl struct{}

// errFeedKey is BestIndex's refusal of a plan that does not pick the rows
// by their key.
var errFeedKey = errors.New("the row feed is read by key only (WHERE feed = ?)")

func (feedTableImpl) BestIndex(info *vtab.IndexInfo) error {
	for i := range info.Constraints {
		c := &info.Constraints[i]
		if c.Usable && c.Column == feedKeyColumn && c.Op == vtab.OpEQ {
			c.ArgIndex, c.Omit = 0, true
			info.IdxNum = 1
			return nil
		}
	}
	return errFeedKey
}

func (feedTableImpl) Open() (vtab.Cursor, error) { return &feedCursor{}, nil }
func (feedTableImpl) Disconnect() error          { return nil }
func (feedTableImpl) Destroy() error             { return nil }

// feedCursor walks the rows of one feed.
type feedCursor struct {
	f        *feed
	row, end int // the current row's first value, and the values' end
}

func (c *feedCursor) Filter(idxNum int, _ string, vals []vtab.Value) error {
	if idxNum != 1 || len(vals) != 1 {
		return errFeedKey
	}
	key, ok := vals[0].(int64)
	if !ok {
		return fmt.Errorf("row feed key %v is not an integer", vals[0])
	}
	f := feeds.get(key)
	if f == nil {
		return fmt.Errorf("no rows fed under key %d", key)
	}
	c.f, c.row, c.end = f, 0, len(f.vals)
	return nil
}

func (c *feedCursor) Next() error {
	c.row += c.f.cols
	return nil
}

func (c *feedCursor) Eof() bool { return c.f == nil || c.row >= c.end }

func (c *feedCursor) Column(col int) (vtab.Value, error) {
	if col >= c.f.cols {
		return nil, fmt.Errorf("row feed column %d of rows of %d", col, c.f.cols)
	}
	return c.f.vals[c.row+col], nil
}

func (c *feedCursor) Rowid() (int64, error) { return int64(c.row / c.f.cols), nil }
func (c *feedCursor) Close() error          { c.f = nil; return nil }
