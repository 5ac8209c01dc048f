package calendar

import (
	"testing"
	"time"
)

// BenchmarkAddWorkingTime measures a deadline computation. The "clock"
// case, a plain time.Add into the calendar's zone, is the baseline for the
// ratio: the cost a clock-time deadline would have.
func BenchmarkAddWorkingTime(b *testing.B) {
	cal := newCalendar(b, goldenWeekHolidays, goldenWeekMakeups)
	cases := []struct {
		name  string
		start time.Time
		d     time.Duration
	}{
		{name: "4h_same_day", start: at(2026, 3, 4, 10, 0), d: 4 * time.Hour},
		{name: "4h_over_weekend", start: at(2026, 3, 6, 17, 0), d: 4 * time.Hour},
		{name: "4h_over_golden_week", start: at(2026, 9, 30, 16, 0), d: 4 * time.Hour},
		{name: "200h", start: at(2026, 9, 1, 10, 0), d: 200 * time.Hour},
	}
	b.Run("clock_baseline", func(b *testing.B) {
		loc := cal.Location()
		start := at(2026, 3, 4, 10, 0)
		for b.Loop() {
			_ = start.Add(4 * time.Hour).In(loc)
		}
	})
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				_ = cal.AddWorkingTime(c.start, c.d)
			}
		})
	}
}

func BenchmarkWorkingTimeBetween(b *testing.B) {
	cal := newCalendar(b, goldenWeekHolidays, goldenWeekMakeups)
	a, z := at(2026, 9, 30, 16, 0), at(2026, 10, 8, 11, 0)
	for b.Loop() {
		_ = cal.WorkingTimeBetween(a, z)
	}
}
