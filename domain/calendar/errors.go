package calendar

import "errors"

// Sentinel errors returned, wrapped with the offending field, by
// Config.Validate and New. Validate reports every problem it finds at once
// (joined with errors.Join), so test for each with errors.Is.
var (
	// ErrMissingTimeZone is returned when Config.TimeZone is empty.
	ErrMissingTimeZone = errors.New("time zone label is empty")
	// ErrInvalidOffset is returned when Config.UTCOffsetMinutes lies outside
	// -14:00..+14:00, the range of offsets in use anywhere.
	ErrInvalidOffset = errors.New("utc offset out of range -840..840 minutes")
	// ErrInvalidTimeOfDay is returned when a workday bound is not HH:MM in
	// 00:00..23:59.
	ErrInvalidTimeOfDay = errors.New("invalid time of day, want HH:MM between 00:00 and 23:59")
	// ErrEmptyWorkday is returned when the workday does not end after it starts.
	ErrEmptyWorkday = errors.New("workday must end after it starts")
	// ErrInvalidDate is returned when a holiday or make-up entry is not a
	// YYYY-MM-DD calendar date.
	ErrInvalidDate = errors.New("invalid date, want YYYY-MM-DD")
	// ErrDuplicateDate is returned when a date appears twice in the same list.
	ErrDuplicateDate = errors.New("date listed twice")
	// ErrHolidayAndMakeup is returned when a date is both a holiday and a
	// make-up working day.
	ErrHolidayAndMakeup = errors.New("date is both a holiday and a make-up workday")
	// ErrMakeupNotWeekend is returned when a make-up working day falls on a
	// Monday to Friday, which is a working day anyway: the entry is almost
	// certainly a typo for a nearby weekend date.
	ErrMakeupNotWeekend = errors.New("make-up workday is not a Saturday or Sunday")
	// ErrTooManyDaysOff is returned when holidays and weekends make more than
	// MaxConsecutiveDaysOff consecutive days off.
	ErrTooManyDaysOff = errors.New("too many consecutive days off")
)
