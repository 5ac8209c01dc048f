package calendar

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFixtureWeekdays(t *testing.T) {
	t.Parallel()
	// The tables below name days by weekday; pin them down once.
	for _, c := range []struct {
		day  time.Time
		want time.Weekday
	}{
		{at(2026, 3, 2, 0, 0), time.Monday},
		{at(2026, 3, 6, 0, 0), time.Friday},
		{at(2026, 3, 7, 0, 0), time.Saturday},
		{at(2026, 9, 26, 0, 0), time.Saturday},
		{at(2026, 10, 1, 0, 0), time.Thursday},
		{at(2026, 10, 10, 0, 0), time.Saturday},
		{at(2026, 12, 31, 0, 0), time.Thursday},
		{at(2027, 1, 4, 0, 0), time.Monday},
	} {
		require.Equal(t, c.want, c.day.Weekday(), c.day.Format(dateLayout))
	}
}

func TestAddWorkingTime(t *testing.T) {
	t.Parallel()
	const h = time.Hour
	mondayOff := []string{"2026-03-09"}
	tests := []struct {
		name     string
		holidays []string
		makeups  []string
		start    time.Time
		d        time.Duration
		want     time.Time
	}{
		{name: "friday 17:00 runs over the weekend", start: at(2026, 3, 6, 17, 0), d: 4 * h, want: at(2026, 3, 9, 12, 0)},
		{name: "saturday start counts from monday", start: at(2026, 3, 7, 10, 0), d: 4 * h, want: at(2026, 3, 9, 13, 0)},
		{name: "friday 17:00 with monday a holiday", holidays: mondayOff, start: at(2026, 3, 6, 17, 0), d: 4 * h, want: at(2026, 3, 10, 12, 0)},
		{name: "saturday start with monday a holiday", holidays: mondayOff, start: at(2026, 3, 7, 10, 0), d: 4 * h, want: at(2026, 3, 10, 13, 0)},
		{name: "make-up saturday counts", makeups: []string{"2026-03-07"}, start: at(2026, 3, 7, 10, 0), d: 4 * h, want: at(2026, 3, 7, 14, 0)},
		{name: "friday 17:00 into a make-up saturday", makeups: []string{"2026-03-07"}, start: at(2026, 3, 6, 17, 0), d: 4 * h, want: at(2026, 3, 7, 12, 0)},
		{name: "make-up sunday counts", makeups: []string{"2026-03-08"}, start: at(2026, 3, 7, 10, 0), d: 4 * h, want: at(2026, 3, 8, 13, 0)},
		{name: "08:00 counts from 09:00", start: at(2026, 3, 4, 8, 0), d: 4 * h, want: at(2026, 3, 4, 13, 0)},
		{name: "midnight counts from 09:00", start: at(2026, 3, 4, 0, 0), d: 4 * h, want: at(2026, 3, 4, 13, 0)},
		{name: "18:00 exactly counts from next morning", start: at(2026, 3, 4, 18, 0), d: 4 * h, want: at(2026, 3, 5, 13, 0)},
		{name: "23:30 counts from next morning", start: at(2026, 3, 4, 23, 30), d: 4 * h, want: at(2026, 3, 5, 13, 0)},
		{name: "friday 23:30 counts from monday", start: at(2026, 3, 6, 23, 30), d: 4 * h, want: at(2026, 3, 9, 13, 0)},
		{name: "12:00 ends the same day", start: at(2026, 3, 4, 12, 0), d: 4 * h, want: at(2026, 3, 4, 16, 0)},
		{name: "16:00 ends next morning", start: at(2026, 3, 4, 16, 0), d: 4 * h, want: at(2026, 3, 5, 11, 0)},
		{name: "landing on 18:00 stays at 18:00", start: at(2026, 3, 4, 14, 0), d: 4 * h, want: at(2026, 3, 4, 18, 0)},
		{name: "a whole workday ends at 18:00", start: at(2026, 3, 4, 9, 0), d: 9 * h, want: at(2026, 3, 4, 18, 0)},
		{name: "one nanosecond past a workday", start: at(2026, 3, 4, 9, 0), d: 9*h + 1, want: at(2026, 3, 5, 9, 0).Add(1)},
		{name: "sub-second start is kept", start: at(2026, 3, 4, 10, 0).Add(123456789), d: 4 * h, want: at(2026, 3, 4, 14, 0).Add(123456789)},
		{name: "20h from monday 09:00", start: at(2026, 3, 2, 9, 0), d: 20 * h, want: at(2026, 3, 4, 11, 0)},
		{name: "20h from thursday 10:00 crosses a weekend", start: at(2026, 3, 5, 10, 0), d: 20 * h, want: at(2026, 3, 9, 12, 0)},
		{name: "a working week", start: at(2026, 3, 2, 9, 0), d: 45 * h, want: at(2026, 3, 6, 18, 0)},
		{name: "golden week is skipped", holidays: goldenWeekHolidays, makeups: goldenWeekMakeups, start: at(2026, 9, 30, 16, 0), d: 4 * h, want: at(2026, 10, 8, 11, 0)},
		{name: "start inside golden week", holidays: goldenWeekHolidays, makeups: goldenWeekMakeups, start: at(2026, 10, 3, 10, 0), d: 4 * h, want: at(2026, 10, 8, 13, 0)},
		{name: "make-up saturday after golden week", holidays: goldenWeekHolidays, makeups: goldenWeekMakeups, start: at(2026, 10, 9, 15, 0), d: 4 * h, want: at(2026, 10, 10, 10, 0)},
		{name: "make-up saturday before golden week", holidays: goldenWeekHolidays, makeups: goldenWeekMakeups, start: at(2026, 9, 25, 17, 0), d: 4 * h, want: at(2026, 9, 26, 12, 0)},
		{name: "sunday after a make-up saturday is off", holidays: goldenWeekHolidays, makeups: goldenWeekMakeups, start: at(2026, 9, 26, 17, 0), d: 4 * h, want: at(2026, 9, 28, 12, 0)},
		{name: "20h across golden week", holidays: goldenWeekHolidays, makeups: goldenWeekMakeups, start: at(2026, 9, 30, 9, 0), d: 20 * h, want: at(2026, 10, 9, 11, 0)},
		{name: "new year holiday then weekend", holidays: goldenWeekHolidays, start: at(2026, 12, 31, 17, 0), d: 4 * h, want: at(2027, 1, 4, 12, 0)},
		{name: "zero duration returns start", start: at(2026, 3, 7, 10, 0), d: 0, want: at(2026, 3, 7, 10, 0)},
		{name: "negative duration returns start", start: at(2026, 3, 4, 20, 0), d: -h, want: at(2026, 3, 4, 20, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cal := newCalendar(t, tt.holidays, tt.makeups)

			got := cal.AddWorkingTime(tt.start, tt.d)

			assert.True(t, tt.want.Equal(got), "want %s, got %s", tt.want, got)
			assert.Same(t, cal.Location(), got.Location())
			if tt.d > 0 {
				assert.Equal(t, tt.d, cal.WorkingTimeBetween(tt.start, got), "inverse")
			}
		})
	}
}

func TestAddWorkingTimeIgnoresInputZone(t *testing.T) {
	t.Parallel()
	cal := newCalendar(t, nil, nil)
	zones := []*time.Location{
		time.UTC,
		time.FixedZone("EST", -5*60*60),
		time.FixedZone("NPT", 5*60*60+45*60),
		time.FixedZone("LINT", 14*60*60),
		time.Local,
	}
	tests := []struct {
		name  string
		start time.Time
		want  time.Time
	}{
		{name: "friday 17:00", start: at(2026, 3, 6, 17, 0), want: at(2026, 3, 9, 12, 0)},
		// 01:00 Saturday in Shanghai is 17:00 Friday in UTC: a calendar
		// that used the input's own date would count Friday evening.
		{name: "local saturday, UTC friday", start: at(2026, 3, 7, 1, 0), want: at(2026, 3, 9, 13, 0)},
		// 08:30 Wednesday in Shanghai is Tuesday in UTC and EST.
		{name: "local morning, UTC previous day", start: at(2026, 3, 4, 8, 30), want: at(2026, 3, 4, 13, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, z := range zones {
				start := tt.start.In(z)
				got := cal.AddWorkingTime(start, 4*time.Hour)
				assert.True(t, tt.want.Equal(got), "input in %s: want %s, got %s", z, tt.want, got)
				assert.Equal(t, "+0800", got.Format("-0700"), "input in %s", z)
				assert.Equal(t, 4*time.Hour, cal.WorkingTimeBetween(start, got.In(z)), "input in %s", z)
			}
		})
	}
}

func TestOtherOffsets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		offset int // minutes east of UTC
		year   int
		month  time.Month
		friday int
	}{
		{name: "west of UTC", offset: -5 * 60, year: 2026, month: time.March, friday: 6},
		{name: "quarter-hour offset", offset: 5*60 + 45, year: 2026, month: time.March, friday: 6},
		{name: "UTC", offset: 0, year: 2026, month: time.March, friday: 6},
		// Before 1970 Unix times are negative: day numbers must round down.
		{name: "before 1970, west of UTC", offset: -5 * 60, year: 1965, month: time.March, friday: 5},
		{name: "before 1970, east of UTC", offset: 8 * 60, year: 1965, month: time.March, friday: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			cfg.TimeZone = "test"
			cfg.UTCOffsetMinutes = tt.offset
			cal, err := New(cfg)
			require.NoError(t, err)
			loc := time.FixedZone("want", tt.offset*60)
			fri := time.Date(tt.year, tt.month, tt.friday, 17, 0, 0, 0, loc)
			require.Equal(t, time.Friday, fri.Weekday())

			got := cal.AddWorkingTime(fri, 4*time.Hour)

			want := time.Date(tt.year, tt.month, tt.friday+3, 12, 0, 0, 0, loc)
			assert.True(t, want.Equal(got), "want %s, got %s", want, got)
			assert.True(t, cal.IsWorkingDay(fri))
			assert.False(t, cal.IsWorkingDay(fri.Add(7*time.Hour)), "saturday 00:00")
			assert.True(t, cal.IsWorkingDay(fri.Add(7*time.Hour-1)), "friday 23:59:59.999999999")
		})
	}
}

func TestWorkingTimeBetween(t *testing.T) {
	t.Parallel()
	const h = time.Hour
	tests := []struct {
		name string
		a, b time.Time
		want time.Duration
	}{
		{name: "same instant", a: at(2026, 3, 4, 10, 0), b: at(2026, 3, 4, 10, 0), want: 0},
		{name: "within a workday", a: at(2026, 3, 4, 10, 0), b: at(2026, 3, 4, 12, 30), want: 2*h + 30*time.Minute},
		{name: "clipped to workday", a: at(2026, 3, 4, 7, 0), b: at(2026, 3, 4, 20, 0), want: 9 * h},
		{name: "overnight", a: at(2026, 3, 4, 17, 0), b: at(2026, 3, 5, 10, 0), want: 2 * h},
		{name: "over a weekend", a: at(2026, 3, 6, 17, 0), b: at(2026, 3, 9, 12, 0), want: 4 * h},
		{name: "inside a weekend", a: at(2026, 3, 7, 9, 0), b: at(2026, 3, 8, 18, 0), want: 0},
		{name: "evening to next morning before 09:00", a: at(2026, 3, 4, 18, 0), b: at(2026, 3, 5, 9, 0), want: 0},
		{name: "reversed is negative", a: at(2026, 3, 9, 12, 0), b: at(2026, 3, 6, 17, 0), want: -4 * h},
		{name: "whole week", a: at(2026, 3, 2, 0, 0), b: at(2026, 3, 9, 0, 0), want: 45 * h},
		{name: "UTC and Shanghai inputs mix", a: time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC), b: at(2026, 3, 9, 12, 0), want: 4 * h},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cal := newCalendar(t, nil, nil)
			assert.Equal(t, tt.want, cal.WorkingTimeBetween(tt.a, tt.b))
		})
	}
}

func TestWorkingTimeBetweenSaturates(t *testing.T) {
	t.Parallel()
	cal := newCalendar(t, nil, nil)
	// 2,100 years hold about 550,000 workdays of 9 hours, some 1.8e19 ns:
	// more than the 9.2e18 ns a Duration can hold.
	a := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	b := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, time.Duration(1<<63-1), cal.WorkingTimeBetween(a, b))
	assert.Equal(t, -time.Duration(1<<63-1), cal.WorkingTimeBetween(b, a))
}
