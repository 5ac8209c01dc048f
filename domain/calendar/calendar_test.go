package calendar

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIsWorkingDay(t *testing.T) {
	t.Parallel()
	cal := newCalendar(t, goldenWeekHolidays, goldenWeekMakeups)
	tests := []struct {
		name string
		t    time.Time
		want bool
	}{
		{name: "wednesday", t: at(2026, 3, 4, 12, 0), want: true},
		{name: "wednesday before hours still a working day", t: at(2026, 3, 4, 3, 0), want: true},
		{name: "saturday", t: at(2026, 3, 7, 12, 0), want: false},
		{name: "sunday", t: at(2026, 3, 8, 12, 0), want: false},
		{name: "holiday on a thursday", t: at(2026, 10, 1, 12, 0), want: false},
		{name: "holiday on a saturday", t: at(2026, 10, 3, 12, 0), want: false},
		{name: "make-up saturday", t: at(2026, 10, 10, 12, 0), want: true},
		{name: "sunday after a make-up saturday", t: at(2026, 10, 11, 12, 0), want: false},
		{name: "first day after golden week", t: at(2026, 10, 8, 0, 0), want: true},
		// The local date decides, not the input's.
		{name: "friday 23:59 local given in UTC", t: time.Date(2026, 3, 6, 15, 59, 0, 0, time.UTC), want: true},
		{name: "saturday 00:30 local given in UTC (friday)", t: time.Date(2026, 3, 6, 16, 30, 0, 0, time.UTC), want: false},
		{name: "make-up saturday 08:00 local given in UTC (friday)", t: time.Date(2026, 10, 10, 0, 0, 0, 0, time.UTC), want: true},
		{name: "golden week eve 23:00 UTC is a holiday locally", t: time.Date(2026, 9, 30, 23, 0, 0, 0, time.UTC), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, cal.IsWorkingDay(tt.t))
		})
	}
}

func TestEndOfDay(t *testing.T) {
	t.Parallel()
	cal := newCalendar(t, nil, nil)
	endOf := func(year int, month time.Month, day int) time.Time {
		return time.Date(year, month, day, 23, 59, 59, 999999999, shanghai)
	}
	tests := []struct {
		name string
		t    time.Time
		plus int
		want time.Time
	}{
		{name: "signed on the 1st, 7 days", t: at(2026, 3, 1, 10, 0), plus: 7, want: endOf(2026, 3, 8)},
		{name: "signed just after midnight", t: at(2026, 3, 1, 0, 0), plus: 7, want: endOf(2026, 3, 8)},
		{name: "signed just before midnight", t: at(2026, 3, 1, 23, 59).Add(59*time.Second + 999999999), plus: 7, want: endOf(2026, 3, 8)},
		{name: "same day", t: at(2026, 3, 4, 12, 0), plus: 0, want: endOf(2026, 3, 4)},
		{name: "previous day", t: at(2026, 3, 1, 12, 0), plus: -1, want: endOf(2026, 2, 28)},
		{name: "across a 31-day month end", t: at(2026, 1, 31, 12, 0), plus: 7, want: endOf(2026, 2, 7)},
		{name: "across a 30-day month end", t: at(2026, 4, 28, 12, 0), plus: 7, want: endOf(2026, 5, 5)},
		{name: "february in a common year", t: at(2026, 2, 28, 12, 0), plus: 1, want: endOf(2026, 3, 1)},
		{name: "february in a leap year", t: at(2028, 2, 28, 12, 0), plus: 1, want: endOf(2028, 2, 29)},
		{name: "year end", t: at(2026, 12, 31, 12, 0), plus: 1, want: endOf(2027, 1, 1)},
		{name: "weekends and holidays count", t: at(2026, 9, 30, 12, 0), plus: 7, want: endOf(2026, 10, 7)},
		// 16:30 UTC on 28 Feb is 00:30 on 1 March in Shanghai.
		{name: "local date of a UTC input", t: time.Date(2026, 2, 28, 16, 30, 0, 0, time.UTC), plus: 7, want: endOf(2026, 3, 8)},
		{name: "local date of a western input", t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("EST", -5*60*60)), plus: 7, want: endOf(2026, 3, 8)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := cal.EndOfDay(tt.t, tt.plus)
			assert.True(t, tt.want.Equal(got), "want %s, got %s", tt.want, got)
			assert.Same(t, cal.Location(), got.Location())
			assert.Equal(t, "23:59:59.999999999", got.Format("15:04:05.000000000"))
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	cal := newCalendar(t, goldenWeekHolidays, goldenWeekMakeups)
	start := at(2026, 9, 28, 10, 0)
	want := make([]time.Time, 50)
	for i := range want {
		want[i] = cal.AddWorkingTime(start.Add(time.Duration(i)*time.Hour), 4*time.Hour)
	}

	got := make([]time.Time, len(want))
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			s := start.Add(time.Duration(i) * time.Hour)
			got[i] = cal.AddWorkingTime(s, 4*time.Hour)
			_ = cal.WorkingTimeBetween(s, got[i])
			_ = cal.IsWorkingDay(s)
			_ = cal.EndOfDay(s, 7)
		})
	}
	wg.Wait()

	for i := range want {
		require.True(t, want[i].Equal(got[i]), "start +%dh", i)
	}
}
