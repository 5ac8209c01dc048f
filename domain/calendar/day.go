package calendar

import "time"

// A day number counts local calendar days from 1970-01-01 (day 0). Because
// the zone has a fixed offset, every local day is exactly secondsPerDay long
// and day numbers map to instants by plain arithmetic.

const secondsPerDay = 24 * 60 * 60

// floorDiv divides rounding towards negative infinity, so that instants
// before 1970 fall on the right day.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// dayOf returns the local day number of t in a zone offsetSec east of UTC.
func dayOf(t time.Time, offsetSec int64) int64 {
	return floorDiv(t.Unix()+offsetSec, secondsPerDay)
}

// midnight returns the first instant of local day n in loc.
func midnight(day, offsetSec int64, loc *time.Location) time.Time {
	return time.Unix(day*secondsPerDay-offsetSec, 0).In(loc)
}

// weekday returns the day of the week of day number n; day 0 was a Thursday.
func weekday(day int64) time.Weekday {
	return time.Weekday((day%7 + 7 + int64(time.Thursday)) % 7)
}

func isWeekend(day int64) bool {
	wd := weekday(day)
	return wd == time.Saturday || wd == time.Sunday
}

// dayString formats a day number as YYYY-MM-DD for error messages.
func dayString(day int64) string {
	return time.Unix(day*secondsPerDay, 0).UTC().Format(dateLayout)
}
