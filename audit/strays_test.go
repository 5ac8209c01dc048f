package audit_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/internal/fixture"
	"github.com/disputes-ledger/disputes/events"
)

// strayLog is a log whose storage holds stray rows (audit.StrayReader).
type strayLog struct {
	audit.Log
	strays []audit.StrayEvent
	err    error
}

func (s strayLog) EventsOutsideLog(context.Context) ([]audit.StrayEvent, error) {
	return s.strays, s.err
}

// The stray rows are reported before anything an event shows; a failure to
// read them is VerifyLog's error.
func TestVerifyLogReportsStraysFirst(t *testing.T) {
	t.Parallel()
	m := memoryLog(t, 600) // more than one read's worth of events
	data := append([]byte(nil), m.Records[0].Data...)
	data[len(data)/2] ^= 1
	m.Records[0].Data = data
	stray := audit.StrayEvent{Position: 0, Stream: events.StreamFor("stray"), Revision: 3}

	rep, err := audit.VerifyLog(context.Background(), "memory", strayLog{Log: m, strays: []audit.StrayEvent{stray}},
		&fixture.Seals{}, audit.Options{PublicKey: sealPub(), AllowUnsealed: true})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(rep.Findings), 2, "%+v", rep.Findings)
	assert.Equal(t, audit.CheckOutsideLog, rep.Findings[0].Check)
	assert.Equal(t, "stray", rep.Findings[0].Ticket)
	hash := rep.Of(audit.CheckEventHash)
	require.Len(t, hash, 1, "%+v", rep.Findings)
	assert.Equal(t, uint64(1), hash[0].Position)

	failed := errors.New("table unreadable")
	_, err = audit.VerifyLog(context.Background(), "memory", strayLog{Log: m, err: failed}, &fixture.Seals{}, audit.Options{AllowUnsealed: true})
	require.ErrorIs(t, err, failed)
}

// Each stray row's finding says where the row is: at a position outside
// the log, at no position (NULL), or in the log with a column of another
// storage class.
func TestStrayFindingsSayWhereTheRowIs(t *testing.T) {
	t.Parallel()
	stream := events.StreamFor("stray")
	cases := []struct {
		name    string
		stray   audit.StrayEvent
		check   audit.Check
		message string
	}{
		{"below the log", audit.StrayEvent{Position: -4, Stream: stream, Revision: 3}, audit.CheckOutsideLog, "stored at position -4, outside the global log"},
		{"at position 0", audit.StrayEvent{Position: 0, Stream: stream, Revision: 3}, audit.CheckOutsideLog, "stored at position 0, outside the global log"},
		{"at no position", audit.StrayEvent{NoPosition: true, Stream: stream, Revision: 3}, audit.CheckOutsideLog, "stored at no position (NULL), outside the global log"},
		{"storage class", audit.StrayEvent{Position: 7, Stream: stream, Revision: 3, StorageClass: "stream blob"}, audit.CheckColumnMismatch, "(stream blob)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rep, err := audit.VerifyLog(context.Background(), "memory", strayLog{Log: memoryLog(t, 3), strays: []audit.StrayEvent{c.stray}},
				&fixture.Seals{}, audit.Options{PublicKey: sealPub(), AllowUnsealed: true})
			require.NoError(t, err)
			found := rep.Of(c.check)
			require.Len(t, found, 1, "%+v", rep.Findings)
			f := found[0]
			assert.Equal(t, "stray", f.Ticket)
			assert.Contains(t, f.Message, c.message)
		})
	}
}
