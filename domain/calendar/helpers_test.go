package calendar

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// shanghai is built independently of the package so that expectations do not
// reuse the code under test.
var shanghai = time.FixedZone("CST", 8*60*60)

// at returns a wall time in Shanghai.
func at(year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, shanghai)
}

// goldenWeek is an illustrative National Day break (not an official
// schedule): Thursday 1 to Wednesday 7 October 2026 off, with the Saturdays
// before and after it worked.
var (
	goldenWeekHolidays = []string{
		"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04",
		"2026-10-05", "2026-10-06", "2026-10-07",
		"2027-01-01",
	}
	goldenWeekMakeups = []string{"2026-09-26", "2026-10-10"}
)

// newCalendar builds the default calendar with the given lists.
func newCalendar(tb testing.TB, holidays, makeups []string) *Calendar {
	tb.Helper()
	cfg := DefaultConfig()
	cfg.Holidays = holidays
	cfg.MakeupWorkdays = makeups
	cal, err := New(cfg)
	require.NoError(tb, err)
	return cal
}
