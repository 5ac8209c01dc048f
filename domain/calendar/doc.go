// Package calendar computes deadlines measured in working time: the "4
// working hours" the evidence window lasts (docs/domain.md, Lifecycle step 8 and
// the Deadlines table), and the end-of-day cut-offs of the seven-day
// no-reason return rule.
//
// A working day runs from Config.WorkdayStart to Config.WorkdayEnd (09:00 to
// 18:00 by default). Saturdays and Sundays are off, the policy's holidays are
// off, and the policy's make-up working days (调休: a weekend day declared a
// working day to compensate for a holiday) are on.
//
// The package is pure: it never reads the clock, the disk or the network, and
// holds no globals. Callers pass the instant the starting event is recorded;
// the result is stored in that event, so replaying history never depends on
// today's calendar or policy.
//
// # Why a fixed UTC offset
//
// The calendar's zone is built with time.FixedZone from
// Config.UTCOffsetMinutes; Config.TimeZone is only the label it carries.
// Asia/Shanghai, the zone the domain is defined in, has been UTC+08:00 with no
// daylight-saving time since 1991, so a fixed offset is exact for every date
// a dispute can have. It is DST-free by construction: every local day is
// exactly 24 hours long and every local time exists exactly once, which keeps
// the day arithmetic simple and unambiguous. Not loading the zone from the
// system tz database also means a deadline cannot change with the host:
// minimal container images often ship without tzdata (time.LoadLocation then
// fails), and a tzdata update must not be able to move a deadline computed
// earlier. The price is that a zone which does observe DST cannot be
// described; such a zone is deliberately unsupported.
//
// # Termination
//
// Holidays are a finite list, so past the last one every Monday to Friday is
// a working day and every search for the next working moment ends. To catch
// data-entry mistakes (a holiday range typed a year too long) Config.Validate
// also rejects a policy whose holidays, together with the weekends around
// them, make more than MaxConsecutiveDaysOff days off in a row.
package calendar
