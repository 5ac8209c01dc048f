package calendar

import (
	"math"
	"time"
)

// AddWorkingTime returns the deadline that falls d of working time after
// start: the earliest instant t at or after start with
// WorkingTimeBetween(start, t) == d. The result is in the calendar's zone.
//
// Time outside working hours does not count: a start before the workday
// begins counts from its beginning, a start at or after its end (or on a day
// off) counts from the beginning of the next working day. A deadline landing
// exactly on the end of a workday stays there rather than moving to the next
// morning, because that is the earliest moment the time has run out.
// A d of zero or less returns start unchanged (in the calendar's zone).
//
// The cost grows with the number of days the window spans.
func (c *Calendar) AddWorkingTime(start time.Time, d time.Duration) time.Time {
	p := &c.p
	t := start.In(p.loc)
	if d <= 0 {
		return t
	}
	for day := dayOf(t, p.offsetSec); ; day++ {
		if !p.isWorking(day) {
			continue
		}
		m := midnight(day, p.offsetSec, p.loc)
		from, until := m.Add(p.start), m.Add(p.end)
		if t.After(from) {
			from = t // only on start's own day: later days begin at midnight
		}
		if !from.Before(until) {
			continue
		}
		left := until.Sub(from)
		if d <= left {
			return from.Add(d)
		}
		d -= left
	}
}

// WorkingTimeBetween returns how much working time lies between a and b:
// positive when b is after a, negative (the same amount) when b is before a.
// It inverts AddWorkingTime: WorkingTimeBetween(s, AddWorkingTime(s, d)) == d
// for every d >= 0. A negative result on (now, due) is the working time by
// which a deadline is overdue. The sum saturates at the limits of
// time.Duration, about 292 years.
//
// The cost grows with the number of days between a and b.
func (c *Calendar) WorkingTimeBetween(a, b time.Time) time.Duration {
	if b.Before(a) {
		return -c.WorkingTimeBetween(b, a)
	}
	p := &c.p
	var total time.Duration
	last := dayOf(b, p.offsetSec)
	for day := dayOf(a, p.offsetSec); day <= last; day++ {
		if !p.isWorking(day) {
			continue
		}
		m := midnight(day, p.offsetSec, p.loc)
		from, until := m.Add(p.start), m.Add(p.end)
		if a.After(from) {
			from = a
		}
		if b.Before(until) {
			until = b
		}
		if !from.Before(until) {
			continue
		}
		span := until.Sub(from)
		if total > math.MaxInt64-span {
			return math.MaxInt64
		}
		total += span
	}
	return total
}
