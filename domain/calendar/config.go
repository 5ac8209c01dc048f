package calendar

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// MaxConsecutiveDaysOff bounds the longest run of days off (holidays plus the
// weekends touching them) a valid Config may describe. China's longest
// statutory break, the Spring Festival, is eight or nine days; a month off is
// therefore a data-entry error, not a policy.
const MaxConsecutiveDaysOff = 31

// dateLayout is the layout of Config.Holidays and Config.MakeupWorkdays.
const dateLayout = "2006-01-02"

// Config describes a business calendar. It is part of the policy file and
// loads from JSON; to let a policy omit fields, unmarshal into
// DefaultConfig() rather than into a zero Config.
type Config struct {
	// TimeZone labels the zone in formatted times, e.g. "Asia/Shanghai".
	// It is never looked up in the tz database; see the package doc.
	TimeZone string `json:"time_zone"`
	// UTCOffsetMinutes is the zone's fixed offset east of UTC, e.g. 480
	// for UTC+08:00.
	UTCOffsetMinutes int `json:"utc_offset_minutes"`
	// WorkdayStart is the local time, HH:MM, at which working time begins.
	WorkdayStart string `json:"workday_start"`
	// WorkdayEnd is the local time, HH:MM, at which working time ends;
	// it must be later than WorkdayStart on the same day.
	WorkdayEnd string `json:"workday_end"`
	// Holidays lists local dates, YYYY-MM-DD, that are days off. Listing a
	// weekend date is allowed (statutory breaks are usually published as
	// whole ranges) and changes nothing.
	Holidays []string `json:"holidays"`
	// MakeupWorkdays lists weekend dates, YYYY-MM-DD, that are working days
	// (调休).
	MakeupWorkdays []string `json:"makeup_workdays"`
}

// DefaultConfig returns the domain's calendar: Asia/Shanghai (UTC+08:00),
// 09:00 to 18:00, with no holidays or make-up days. The holiday lists come
// from the policy file.
func DefaultConfig() Config {
	return Config{
		TimeZone:         "Asia/Shanghai",
		UTCOffsetMinutes: 8 * 60,
		WorkdayStart:     "09:00",
		WorkdayEnd:       "18:00",
	}
}

// Validate reports every problem in c, each wrapped with the field it is in
// and joined with errors.Join; it returns nil when c is usable by New.
func (c Config) Validate() error {
	_, err := c.compile()
	return err
}

// compiled is a Config parsed into the form the Calendar works with.
type compiled struct {
	loc       *time.Location
	offsetSec int64
	start     time.Duration // from local midnight
	end       time.Duration // from local midnight
	holidays  map[int64]struct{}
	makeups   map[int64]struct{}
}

// compile parses and checks c. It keeps going after a problem so that one
// run reports everything wrong with a policy file.
func (c Config) compile() (compiled, error) {
	var errs []error
	var p compiled

	if c.TimeZone == "" {
		errs = append(errs, fmt.Errorf("time_zone: %w", ErrMissingTimeZone))
	}
	if c.UTCOffsetMinutes < -14*60 || c.UTCOffsetMinutes > 14*60 {
		errs = append(errs, fmt.Errorf("utc_offset_minutes %d: %w", c.UTCOffsetMinutes, ErrInvalidOffset))
	}
	p.offsetSec = int64(c.UTCOffsetMinutes) * 60
	p.loc = time.FixedZone(c.TimeZone, int(p.offsetSec))

	start, errStart := parseTimeOfDay(c.WorkdayStart)
	if errStart != nil {
		errs = append(errs, fmt.Errorf("workday_start %q: %w", c.WorkdayStart, errStart))
	}
	end, errEnd := parseTimeOfDay(c.WorkdayEnd)
	if errEnd != nil {
		errs = append(errs, fmt.Errorf("workday_end %q: %w", c.WorkdayEnd, errEnd))
	}
	if errStart == nil && errEnd == nil && end <= start {
		errs = append(errs, fmt.Errorf("workday %s-%s: %w", c.WorkdayStart, c.WorkdayEnd, ErrEmptyWorkday))
	}
	p.start, p.end = start, end

	var err error
	p.holidays, err = parseDates("holidays", c.Holidays)
	errs = append(errs, err)
	p.makeups, err = parseDates("makeup_workdays", c.MakeupWorkdays)
	errs = append(errs, err)

	for _, s := range c.MakeupWorkdays {
		day, ok := parseDate(s)
		if !ok {
			continue // already reported by parseDates
		}
		if _, both := p.holidays[day]; both {
			errs = append(errs, fmt.Errorf("makeup_workdays %q: %w", s, ErrHolidayAndMakeup))
		}
		if !isWeekend(day) {
			errs = append(errs, fmt.Errorf("makeup_workdays %q (%s): %w", s, weekday(day), ErrMakeupNotWeekend))
		}
	}
	errs = append(errs, checkRunsOff(p))

	if err := errors.Join(errs...); err != nil {
		return compiled{}, err
	}
	return p, nil
}

// parseTimeOfDay parses a strict HH:MM into the duration since midnight.
func parseTimeOfDay(s string) (time.Duration, error) {
	if len(s) != 5 || s[2] != ':' || !isDigits(s[:2]) || !isDigits(s[3:]) {
		return 0, ErrInvalidTimeOfDay
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, ErrInvalidTimeOfDay
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseDate parses a strict YYYY-MM-DD into its day number (see day.go).
func parseDate(s string) (int64, bool) {
	// With this layout time.Parse is strict: it wants zero-padded fields,
	// rejects impossible dates (2026-02-30) and trailing text.
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return 0, false
	}
	return floorDiv(t.Unix(), secondsPerDay), true
}

// parseDates parses one list of dates into a set of day numbers.
func parseDates(field string, list []string) (map[int64]struct{}, error) {
	set := make(map[int64]struct{}, len(list))
	var errs []error
	for i, s := range list {
		day, ok := parseDate(s)
		if !ok {
			errs = append(errs, fmt.Errorf("%s[%d] %q: %w", field, i, s, ErrInvalidDate))
			continue
		}
		if _, dup := set[day]; dup {
			errs = append(errs, fmt.Errorf("%s[%d] %q: %w", field, i, s, ErrDuplicateDate))
			continue
		}
		set[day] = struct{}{}
	}
	return set, errors.Join(errs...)
}

// checkRunsOff rejects a run of more than MaxConsecutiveDaysOff days off.
// Only runs containing a holiday can be long, so it walks out from each
// holiday, stopping as soon as the run is known to be too long.
func checkRunsOff(p compiled) error {
	days := make([]int64, 0, len(p.holidays))
	for d := range p.holidays {
		days = append(days, d)
	}
	slices.Sort(days)

	covered := int64(0)
	haveCovered := false
	for _, h := range days {
		if haveCovered && h <= covered {
			continue // inside a run already measured
		}
		first, last := h, h
		for p.isOff(first-1) && last-first < MaxConsecutiveDaysOff {
			first--
		}
		for p.isOff(last+1) && last-first < MaxConsecutiveDaysOff {
			last++
		}
		if last-first+1 > MaxConsecutiveDaysOff {
			return fmt.Errorf("holidays from %s: more than %d days off in a row: %w",
				dayString(first), MaxConsecutiveDaysOff, ErrTooManyDaysOff)
		}
		covered, haveCovered = last, true
	}
	return nil
}

// isWorking reports whether the local day is a working day.
func (p compiled) isWorking(day int64) bool {
	if _, ok := p.makeups[day]; ok {
		return true
	}
	if _, ok := p.holidays[day]; ok {
		return false
	}
	return !isWeekend(day)
}

func (p compiled) isOff(day int64) bool { return !p.isWorking(day) }
