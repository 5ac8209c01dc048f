package events

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestUTCTimeOfAgreesWithTime holds the canonical decoder's own reader of
// UTC times to the long way it replaces: it must accept exactly the texts
// that time.Time.UnmarshalText reads and MarshalText writes back in UTC,
// and read the same time (compared field for field, as Decode's callers
// and the fuzz test compare envelopes).
func TestUTCTimeOfAgreesWithTime(t *testing.T) {
	t.Parallel()
	texts := []string{
		"2026-03-14T09:26:53.589793238Z", "2026-03-14T09:26:53Z", "2026-03-16T09:26:53.589Z",
		"2026-03-14T09:26:53.5Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
		"2024-02-29T00:00:00Z", "2000-02-29T12:00:00Z", "1900-02-29T12:00:00Z", "2023-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z", "2026-04-30T00:00:00Z", "2026-12-31T00:00:00Z", "2026-13-01T00:00:00Z",
		"2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T23:60:00Z",
		"2026-01-01T23:59:60Z", "2026-03-14T09:26:53.50Z", "2026-03-14T09:26:53.0Z", "2026-03-14T09:26:53.Z",
		"2026-03-14T09:26:53.1234567891Z", "2026-03-14T09:26:53.000000001Z", "2026-03-14T09:26:53+00:00",
		"2026-03-14T09:26:53.5+08:00", "2026-03-14t09:26:53Z", "2026-03-14T09:26:53z", "2026/03/14T09:26:53Z",
		"2026-03-14T09-26:53Z", "+026-03-14T09:26:53Z", "2026-3-14T09:26:53Z", "2026-03-14T9:26:53Z",
		"2026-03-14 09:26:53Z", "2026-03-14T09:26:53", "2026-03-14T09:26:53.5", "", "Z",
		"2026-03-14T09:26:5aZ", "2026-03-14T09:26:53.5a5Z", "2026-03-14T09:26:53.-5Z",
	}
	for _, text := range texts {
		var want time.Time
		wantOK := want.UnmarshalText([]byte(text)) == nil && sameTimeText(want, text) && want.Location() == time.UTC
		got, ok := utcTimeOf(text)
		assert.Equal(t, wantOK, ok, text)
		if ok && wantOK {
			assert.Equal(t, want, got, text)
		}
	}
}
