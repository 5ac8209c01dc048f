package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections/views"
)

// encodeView returns v as the answer's encoder writes it and as
// encoding/json does, without HTML escaping and without the newline.
func encodeView(t *testing.T, v views.TicketView) (got, want string, gotErr, wantErr error) {
	t.Helper()
	rb := responseBuffers.Get().(*responseBuffer)
	defer rb.release()
	rb.buf.Reset()
	gotErr = rb.ticketView(v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	wantErr = enc.Encode(v)
	return rb.buf.String(), string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), gotErr, wantErr
}

// TestTicketViewEncodesAsEncodingJSON: the view of every state the seed
// disputes and 300 generated ones pass through (after each event, and as
// of each event's time plus a week, when deadlines are overdue) is written
// byte for byte as encoding/json writes it.
func TestTicketViewEncodesAsEncodingJSON(t *testing.T) {
	t.Parallel()
	pol := policy.Default()
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	states := 0
	for _, sc := range append(scenarios.Seeds(start), scenarios.Generate(7, 300, start, pol)...) {
		envs, err := scenarios.Play(sc, pol, func() uuid.UUID { return uuid.Must(uuid.NewV7()) })
		require.NoError(t, err, sc.Name)
		var tk domain.Ticket
		for _, env := range envs {
			tk = tk.Apply(env)
			for _, v := range []views.TicketView{views.Ticket(tk), views.TicketAt(tk, env.OccurredAt.Add(7*24*time.Hour))} {
				got, want, gotErr, wantErr := encodeView(t, v)
				require.NoError(t, wantErr)
				require.NoError(t, gotErr)
				require.Equal(t, want, got, "%s at revision %d", sc.Name, env.Revision)
				states++
			}
		}
	}
	t.Logf("%d views", states)
}

// TestTicketViewEncoderWritesEveryMember fills every member of TicketView,
// nested ones included, with a value that is not its zero (text that
// needs escaping for strings), and then empties each in turn: a member
// added to TicketView and not to the encoder, or written with another
// name, order or omitempty, makes the bytes differ.
func TestTicketViewEncoderWritesEveryMember(t *testing.T) {
	t.Parallel()
	var full views.TicketView
	fill(reflect.ValueOf(&full).Elem())
	got, want, gotErr, wantErr := encodeView(t, full)
	require.NoError(t, wantErr)
	require.NoError(t, gotErr)
	require.Equal(t, want, got, "every member set")
	typ := reflect.TypeOf(full)
	for i := range typ.NumField() {
		v := full
		reflect.ValueOf(&v).Elem().Field(i).SetZero()
		got, want, gotErr, wantErr := encodeView(t, v)
		require.NoError(t, wantErr)
		require.NoError(t, gotErr)
		assert.Equal(t, want, got, "%s empty", typ.Field(i).Name)
	}
	v := full
	v.Deadlines, v.Evidence = []events.ScheduledDeadline{}, []views.EvidenceView{} // empty, not nil
	got, want, _, _ = encodeView(t, v)
	assert.Equal(t, want, got, "empty lists")
}

// TestTicketViewEncoderRefusesWhatEncodingJSONRefuses: a time RFC 3339
// cannot hold is an error for both, wherever it is.
func TestTicketViewEncoderRefusesWhatEncodingJSONRefuses(t *testing.T) {
	t.Parallel()
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, v := range map[string]views.TicketView{
		"opened_at":      {OpenedAt: far},
		"closed_at":      {ClosedAt: &far},
		"open_deadlines": {Deadlines: []events.ScheduledDeadline{{Kind: events.DeadlineMerchantResponse, DueAt: far}}},
	} {
		_, _, gotErr, wantErr := encodeView(t, v)
		assert.Error(t, wantErr, name)
		assert.Error(t, gotErr, name)
	}
}

// fill sets v, and everything it holds, to values that are not zero.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x <&> \u2028 \"é\" \\ \xff")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(-7)
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		v.SetUint(7)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range v.Len() {
			fill(v.Index(i))
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 3, 8, 0, 0, 120000000, time.FixedZone("", 8*3600))))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	}
}
