package calendar

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultConfig(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	require.NoError(t, cfg.Validate())

	cal, err := New(cfg)
	require.NoError(t, err)
	assert.Equal(t, "Asia/Shanghai", cal.Location().String())
	_, offset := time.Date(2026, 7, 1, 12, 0, 0, 0, cal.Location()).Zone()
	assert.Equal(t, 8*60*60, offset)
	_, offset = time.Date(2026, 1, 1, 12, 0, 0, 0, cal.Location()).Zone()
	assert.Equal(t, 8*60*60, offset, "no DST: same offset in winter")
}

func TestConfigFromJSON(t *testing.T) {
	t.Parallel()
	// A policy names only what differs from the defaults.
	policy := []byte(`{
		"workday_end": "17:30",
		"holidays": ["2026-10-01", "2026-10-02"],
		"makeup_workdays": ["2026-10-10"]
	}`)
	cfg := DefaultConfig()
	require.NoError(t, json.Unmarshal(policy, &cfg))

	assert.Equal(t, "Asia/Shanghai", cfg.TimeZone)
	assert.Equal(t, 480, cfg.UTCOffsetMinutes)
	assert.Equal(t, "09:00", cfg.WorkdayStart)
	assert.Equal(t, "17:30", cfg.WorkdayEnd)
	assert.Equal(t, []string{"2026-10-01", "2026-10-02"}, cfg.Holidays)
	assert.Equal(t, []string{"2026-10-10"}, cfg.MakeupWorkdays)

	cal, err := New(cfg)
	require.NoError(t, err)
	assert.False(t, cal.IsWorkingDay(at(2026, 10, 1, 12, 0)))
	assert.True(t, cal.IsWorkingDay(at(2026, 10, 10, 12, 0)))
	got := cal.AddWorkingTime(at(2026, 3, 4, 16, 0), 2*time.Hour)
	assert.True(t, at(2026, 3, 5, 9, 30).Equal(got), "workday ends at 17:30, got %s", got)

	// The field names are the wire format of the policy file.
	raw, err := json.Marshal(DefaultConfig())
	require.NoError(t, err)
	assert.JSONEq(t, `{"time_zone":"Asia/Shanghai","utc_offset_minutes":480,
		"workday_start":"09:00","workday_end":"18:00","holidays":null,"makeup_workdays":null}`, string(raw))
}

// weekdaysOff lists every Monday-to-Friday date from first to last inclusive.
func weekdaysOff(tb testing.TB, first, last string) []string {
	tb.Helper()
	from, err := time.Parse(dateLayout, first)
	require.NoError(tb, err)
	to, err := time.Parse(dateLayout, last)
	require.NoError(tb, err)
	var out []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			out = append(out, d.Format(dateLayout))
		}
	}
	return out
}

func TestValidate(t *testing.T) {
	t.Parallel()
	// Weekdays 2 to 30 March 2026 with the weekends around them
	// (28 Feb to 1 Mar) make exactly 31 days off; one more weekday is 32.
	longest := weekdaysOff(t, "2026-03-02", "2026-03-30")
	tooLong := weekdaysOff(t, "2026-03-02", "2026-03-31")
	tests := []struct {
		name   string
		modify func(*Config)
		want   []error // nil: valid
	}{
		{name: "default", modify: func(*Config) {}},
		{name: "holidays on a weekend are allowed", modify: func(c *Config) { c.Holidays = []string{"2026-10-03", "2026-10-04"} }},
		{name: "make-up sunday", modify: func(c *Config) { c.MakeupWorkdays = []string{"2026-09-27"} }},
		{name: "workday across most of the day", modify: func(c *Config) { c.WorkdayStart, c.WorkdayEnd = "00:00", "23:59" }},
		{name: "offsets at the limits", modify: func(c *Config) { c.UTCOffsetMinutes = -840 }},
		{name: "31 days off in a row", modify: func(c *Config) { c.Holidays = longest }},
		{name: "a make-up day breaks a long run", modify: func(c *Config) {
			c.Holidays, c.MakeupWorkdays = tooLong, []string{"2026-03-14"}
		}},
		{name: "empty time zone", modify: func(c *Config) { c.TimeZone = "" }, want: []error{ErrMissingTimeZone}},
		{name: "offset too far east", modify: func(c *Config) { c.UTCOffsetMinutes = 841 }, want: []error{ErrInvalidOffset}},
		{name: "offset too far west", modify: func(c *Config) { c.UTCOffsetMinutes = -841 }, want: []error{ErrInvalidOffset}},
		{name: "single-digit hour", modify: func(c *Config) { c.WorkdayStart = "9:00" }, want: []error{ErrInvalidTimeOfDay}},
		{name: "hour 24", modify: func(c *Config) { c.WorkdayEnd = "24:00" }, want: []error{ErrInvalidTimeOfDay}},
		{name: "minute 60", modify: func(c *Config) { c.WorkdayEnd = "18:60" }, want: []error{ErrInvalidTimeOfDay}},
		{name: "wrong separator", modify: func(c *Config) { c.WorkdayEnd = "18.00" }, want: []error{ErrInvalidTimeOfDay}},
		{name: "not digits", modify: func(c *Config) { c.WorkdayStart = "ab:cd" }, want: []error{ErrInvalidTimeOfDay}},
		{name: "empty time", modify: func(c *Config) { c.WorkdayStart = "" }, want: []error{ErrInvalidTimeOfDay}},
		{name: "end equals start", modify: func(c *Config) { c.WorkdayEnd = "09:00" }, want: []error{ErrEmptyWorkday}},
		{name: "end before start", modify: func(c *Config) { c.WorkdayStart, c.WorkdayEnd = "18:00", "09:00" }, want: []error{ErrEmptyWorkday}},
		{name: "month 13", modify: func(c *Config) { c.Holidays = []string{"2026-13-01"} }, want: []error{ErrInvalidDate}},
		{name: "30 February", modify: func(c *Config) { c.Holidays = []string{"2026-02-30"} }, want: []error{ErrInvalidDate}},
		{name: "unpadded date", modify: func(c *Config) { c.Holidays = []string{"2026-1-1"} }, want: []error{ErrInvalidDate}},
		{name: "slashed date", modify: func(c *Config) { c.MakeupWorkdays = []string{"2026/10/10"} }, want: []error{ErrInvalidDate}},
		{name: "date with time", modify: func(c *Config) { c.Holidays = []string{"2026-10-01T00:00:00Z"} }, want: []error{ErrInvalidDate}},
		{name: "empty date", modify: func(c *Config) { c.Holidays = []string{""} }, want: []error{ErrInvalidDate}},
		{name: "duplicate holiday", modify: func(c *Config) { c.Holidays = []string{"2026-10-01", "2026-10-02", "2026-10-01"} }, want: []error{ErrDuplicateDate}},
		{name: "duplicate make-up day", modify: func(c *Config) { c.MakeupWorkdays = []string{"2026-10-10", "2026-10-10"} }, want: []error{ErrDuplicateDate}},
		{name: "holiday and make-up day", modify: func(c *Config) {
			c.Holidays, c.MakeupWorkdays = []string{"2026-10-10"}, []string{"2026-10-10"}
		}, want: []error{ErrHolidayAndMakeup}},
		{name: "make-up day on a weekday", modify: func(c *Config) { c.MakeupWorkdays = []string{"2026-10-09"} }, want: []error{ErrMakeupNotWeekend}},
		{name: "32 days off in a row", modify: func(c *Config) { c.Holidays = tooLong }, want: []error{ErrTooManyDaysOff}},
		{name: "every problem is reported", modify: func(c *Config) {
			c.TimeZone = ""
			c.WorkdayStart = "25:00"
			c.Holidays = []string{"2026-10-01", "bad", "2026-10-01"}
			c.MakeupWorkdays = []string{"2026-10-01", "2026-10-08"}
		}, want: []error{ErrMissingTimeZone, ErrInvalidTimeOfDay, ErrInvalidDate, ErrDuplicateDate, ErrHolidayAndMakeup, ErrMakeupNotWeekend}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			tt.modify(&cfg)

			err := cfg.Validate()
			cal, newErr := New(cfg)

			if tt.want == nil {
				assert.NoError(t, err)
				assert.NoError(t, newErr)
				assert.NotNil(t, cal)
				return
			}
			require.Error(t, err)
			require.Error(t, newErr)
			assert.Nil(t, cal)
			for _, want := range tt.want {
				assert.ErrorIs(t, err, want)
				assert.ErrorIs(t, newErr, want)
			}
			// Every sentinel not expected must be absent, so that one
			// problem is not reported as another.
			for _, other := range allSentinels {
				if !containsErr(tt.want, other) {
					assert.NotErrorIs(t, err, other)
				}
			}
		})
	}
}

var allSentinels = []error{
	ErrMissingTimeZone, ErrInvalidOffset, ErrInvalidTimeOfDay, ErrEmptyWorkday,
	ErrInvalidDate, ErrDuplicateDate, ErrHolidayAndMakeup, ErrMakeupNotWeekend, ErrTooManyDaysOff,
}

func containsErr(list []error, e error) bool {
	for _, x := range list {
		if x == e {
			return true
		}
	}
	return false
}

func TestValidateNamesTheField(t *testing.T) {
	t.Parallel()
	// Whoever edits the policy file must find the bad entry from the message.
	cfg := DefaultConfig()
	cfg.Holidays = []string{"2026-10-01", "2026-10-32"}
	err := cfg.Validate()
	require.ErrorIs(t, err, ErrInvalidDate)
	assert.ErrorContains(t, err, `holidays[1] "2026-10-32"`)

	_, err = New(cfg)
	assert.ErrorContains(t, err, "new calendar: ")
}
