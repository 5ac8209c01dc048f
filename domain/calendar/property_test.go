package calendar

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The seeds are fixed so that a failure reproduces; each message names the
// case so it can be replayed alone.
const propertySeed1, propertySeed2 = 20261001, 7

// propertyZones are the zones random inputs are expressed in; the calendar
// must not care.
var propertyZones = []*time.Location{
	shanghai, time.UTC, time.FixedZone("EST", -5*60*60), time.FixedZone("NPT", 5*60*60+45*60),
}

// randomInstant returns an instant, to the nanosecond, between June 2026
// and February 2027 (so that golden week and New Year are often crossed),
// in a random zone.
func randomInstant(r *rand.Rand) time.Time {
	lo := at(2026, 6, 1, 0, 0)
	hi := at(2027, 2, 1, 0, 0)
	t := lo.Add(time.Duration(r.Int64N(int64(hi.Sub(lo)))))
	// Often start on a round hour, where boundary bugs live.
	if r.IntN(4) == 0 {
		t = t.Truncate(time.Hour)
	}
	return t.In(propertyZones[r.IntN(len(propertyZones))])
}

// randomDuration returns up to 200 hours of working time (over four weeks),
// often a whole number of hours.
func randomDuration(r *rand.Rand) time.Duration {
	d := time.Duration(r.Int64N(int64(200 * time.Hour)))
	if r.IntN(3) == 0 {
		d = d.Truncate(time.Hour)
	}
	return d
}

func TestWorkingTimeBetweenInvertsAddWorkingTime(t *testing.T) {
	t.Parallel()
	cal := newCalendar(t, goldenWeekHolidays, goldenWeekMakeups)
	r := rand.New(rand.NewPCG(propertySeed1, propertySeed2))
	for i := range 3000 {
		start, d := randomInstant(r), randomDuration(r)

		due := cal.AddWorkingTime(start, d)

		msg := []any{"case %d: start %s, d %s, due %s", i, start, d, due}
		require.Equal(t, d, cal.WorkingTimeBetween(start, due), msg...)
		require.False(t, due.Before(start), msg...)
		if d == 0 {
			require.True(t, due.Equal(start), msg...)
			continue
		}
		// Earliest: one nanosecond earlier the time has not run out.
		require.Less(t, cal.WorkingTimeBetween(start, due.Add(-1)), d, msg...)
		// A deadline falls inside working hours, end inclusive.
		local := due.In(shanghai)
		clock := local.Sub(time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, shanghai))
		require.True(t, cal.IsWorkingDay(due), msg...)
		require.Greater(t, clock, 9*time.Hour, msg...)
		require.LessOrEqual(t, clock, 18*time.Hour, msg...)
	}
}

func TestAddWorkingTimeComposes(t *testing.T) {
	t.Parallel()
	cal := newCalendar(t, goldenWeekHolidays, goldenWeekMakeups)
	r := rand.New(rand.NewPCG(propertySeed1, propertySeed2+1))
	for i := range 2000 {
		start, d1, d2 := randomInstant(r), randomDuration(r)/2, randomDuration(r)/2

		inTwoSteps := cal.AddWorkingTime(cal.AddWorkingTime(start, d1), d2)
		inOne := cal.AddWorkingTime(start, d1+d2)

		require.True(t, inOne.Equal(inTwoSteps), "case %d: start %s, d1 %s, d2 %s: %s vs %s", i, start, d1, d2, inOne, inTwoSteps)
		// Monotone in d.
		require.False(t, cal.AddWorkingTime(start, d1).After(inOne), "case %d", i)
	}
}

func TestWorkingTimeBetweenRandomPairs(t *testing.T) {
	t.Parallel()
	cal := newCalendar(t, goldenWeekHolidays, goldenWeekMakeups)
	r := rand.New(rand.NewPCG(propertySeed1, propertySeed2+2))
	for i := range 2000 {
		a, b := randomInstant(r), randomInstant(r)
		if r.IntN(2) == 0 {
			b = a.Add(time.Duration(r.Int64N(int64(10 * 24 * time.Hour))))
		}

		w := cal.WorkingTimeBetween(a, b)

		msg := []any{"case %d: a %s, b %s, w %s", i, a, b, w}
		require.Equal(t, -w, cal.WorkingTimeBetween(b, a), msg...)
		if b.Before(a) {
			a, b, w = b, a, -w
		}
		require.GreaterOrEqual(t, w, time.Duration(0), msg...)
		due := cal.AddWorkingTime(a, w)
		require.False(t, due.After(b), msg...)
		require.Equal(t, time.Duration(0), cal.WorkingTimeBetween(due, b), msg...)
	}
}

// oracleDeadline finds a deadline by walking minute by minute, deciding
// each minute from the date lists and the wall clock directly, without the
// package's day arithmetic.
func oracleDeadline(start time.Time, minutes int, holidays, makeups []string) time.Time {
	set := func(list []string) map[string]bool {
		m := make(map[string]bool, len(list))
		for _, s := range list {
			m[s] = true
		}
		return m
	}
	off, on := set(holidays), set(makeups)
	working := func(m time.Time) bool {
		local := m.In(shanghai)
		date := local.Format(dateLayout)
		wd := local.Weekday()
		day := on[date] || (!off[date] && wd != time.Saturday && wd != time.Sunday)
		return day && local.Hour() >= 9 && local.Hour() < 18
	}
	m := start
	for minutes > 0 {
		if working(m) {
			minutes--
		}
		m = m.Add(time.Minute)
	}
	return m
}

func TestAddWorkingTimeMatchesOracle(t *testing.T) {
	t.Parallel()
	cal := newCalendar(t, goldenWeekHolidays, goldenWeekMakeups)
	r := rand.New(rand.NewPCG(propertySeed1, propertySeed2+3))
	for i := range 300 {
		// Whole minutes, so that the oracle's steps are exact.
		start := randomInstant(r).Truncate(time.Minute)
		minutes := 1 + r.IntN(20*60)

		got := cal.AddWorkingTime(start, time.Duration(minutes)*time.Minute)

		want := oracleDeadline(start, minutes, goldenWeekHolidays, goldenWeekMakeups)
		assert.True(t, want.Equal(got), "case %d: start %s + %d min: want %s, got %s", i, start, minutes, want, got)
	}
}
