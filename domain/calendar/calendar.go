package calendar

import (
	"fmt"
	"time"
)

// Calendar answers working-time questions for one Config. It is immutable
// once built, so one Calendar is safe for concurrent use by any number of
// goroutines.
type Calendar struct {
	p compiled
}

// New validates c and builds its Calendar. The error wraps the sentinels
// documented in errors.go.
func New(c Config) (*Calendar, error) {
	p, err := c.compile()
	if err != nil {
		return nil, fmt.Errorf("new calendar: %w", err)
	}
	return &Calendar{p: p}, nil
}

// Location returns the calendar's fixed-offset zone; every time the
// Calendar returns is in it.
func (c *Calendar) Location() *time.Location { return c.p.loc }

// IsWorkingDay reports whether the local date of t, in the calendar's zone,
// is a working day: a make-up workday, or a Monday to Friday that is not a
// holiday. The time of day does not matter.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	return c.p.isWorking(dayOf(t, c.p.offsetSec))
}

// EndOfDay returns the last instant (23:59:59.999999999) of the local day
// plusDays after the local date of t. It implements "within N days, counted
// from the day after, to the end of the Nth day": for a parcel signed for on
// the 1st, EndOfDay(signed, 7) is the 8th at 23:59:59.999999999. plusDays
// may be zero (end of t's own day) or negative.
func (c *Calendar) EndOfDay(t time.Time, plusDays int) time.Time {
	next := dayOf(t, c.p.offsetSec) + int64(plusDays) + 1
	return midnight(next, c.p.offsetSec, c.p.loc).Add(-time.Nanosecond)
}
