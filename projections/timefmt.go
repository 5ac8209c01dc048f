package projections

import (
	"fmt"
	"time"
)

// TimeLayout is how every time in the read models is stored: UTC text,
// fixed width, to the microsecond (PostgreSQL's precision). Fixed width makes
// text order time order, so range filters are plain comparisons, and the
// sqlite3 shell's date functions read it as it is.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// formatTime returns t in TimeLayout. It writes the digits itself rather
// than through time.Format, which interprets the layout on every call: a
// rebuild formats several times per event, and Format cost about 2% of its
// CPU. Years outside 0000-9999, which the fixed width cannot hold, go
// through Format.
func formatTime(t time.Time) string {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Format(TimeLayout)
	}
	hour, minute, sec := t.Clock()
	var b [len(TimeLayout)]byte
	put := func(at, width, v int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, 4, year)
	b[4] = '-'
	put(5, 2, int(month))
	b[7] = '-'
	put(8, 2, day)
	b[10] = 'T'
	put(11, 2, hour)
	b[13] = ':'
	put(14, 2, minute)
	b[16] = ':'
	put(17, 2, sec)
	b[19] = '.'
	put(20, 6, t.Nanosecond()/1000)
	b[26] = 'Z'
	return string(b[:])
}

// asStored is t as the read models keep it (TimeLayout: to the
// microsecond). A figure derived from two times is derived from these, so
// it comes out the same whether the times were just folded from events
// (nanoseconds) or read back from a row after a restart.
func asStored(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// nullTime returns t in TimeLayout, or NULL for nil.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

// nullString returns s, or NULL for "".
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// parseTime reads a time written by formatTime.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// timeColumn scans a NOT NULL time column: TimeLayout text in SQLite,
// timestamptz (a time.Time) in PostgreSQL.
type timeColumn struct{ t time.Time }

func (c *timeColumn) Scan(src any) error {
	var n nullTimeColumn
	if err := n.Scan(src); err != nil {
		return err
	}
	if n.t == nil {
		return fmt.Errorf("stored time is NULL")
	}
	c.t = *n.t
	return nil
}

// nullTimeColumn scans a nullable time column (see timeColumn).
type nullTimeColumn struct{ t *time.Time }

func (c *nullTimeColumn) Scan(src any) error {
	var (
		t   time.Time
		err error
	)
	switch v := src.(type) {
	case nil:
		c.t = nil
		return nil
	case time.Time:
		t = v.UTC()
	case string:
		t, err = parseTime(v)
	case []byte:
		t, err = parseTime(string(v))
	default:
		err = fmt.Errorf("stored time is a %T", src)
	}
	if err != nil {
		return err
	}
	c.t = &t
	return nil
}
