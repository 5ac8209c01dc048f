package projections

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// appendSnapshotJSON appends what json.Marshal(s) returns: the fields in
// declaration order under their Go names (domain.Snapshot has no tags),
// times as time.Time.MarshalJSON writes them, a nil pointer or map as
// null, the map's keys sorted, strings escaped as encoding/json escapes
// them (HTML characters included). A field added to domain.Snapshot makes
// the two differ until it is written here too (TestSnapshotJSONIsMarshals).
func appendSnapshotJSON(b []byte, s *domain.Snapshot) ([]byte, error) {
	var err error
	b = append(b, `{"ID":`...)
	b = appendJSONString(b, s.ID)
	b = append(b, `,"OrderID":`...)
	b = appendJSONString(b, s.OrderID)
	b = append(b, `,"BuyerID":`...)
	b = appendJSONString(b, s.BuyerID)
	b = append(b, `,"MerchantID":`...)
	b = appendJSONString(b, s.MerchantID)
	b = append(b, `,"Kind":`...)
	b = appendJSONString(b, string(s.Kind))
	b = append(b, `,"Reason":`...)
	b = appendJSONString(b, string(s.Reason))
	b = append(b, `,"Currency":`...)
	b = appendJSONString(b, s.Currency)
	b = append(b, `,"AmountPaid":`...)
	b = strconv.AppendInt(b, s.AmountPaid, 10)
	b = append(b, `,"Requested":`...)
	b = strconv.AppendInt(b, s.Requested, 10)
	b = append(b, `,"Refunded":`...)
	b = strconv.AppendInt(b, s.Refunded, 10)
	b = append(b, `,"Compensation":`...)
	b = strconv.AppendInt(b, s.Compensation, 10)
	b = append(b, `,"OrderShipped":`...)
	b = strconv.AppendBool(b, s.OrderShipped)
	b = append(b, `,"Status":`...)
	b = appendJSONString(b, string(s.Status))
	b = append(b, `,"Resolution":`...)
	b = appendJSONString(b, string(s.Resolution))
	b = append(b, `,"Liability":`...)
	b = appendJSONString(b, string(s.Liability))
	b = append(b, `,"Locked":`...)
	b = strconv.AppendBool(b, s.Locked)
	b = append(b, `,"ReturnStatus":`...)
	b = appendJSONString(b, string(s.ReturnStatus))
	b = append(b, `,"Deadlines":`...)
	if b, err = appendDeadlinesJSON(b, s.Deadlines); err != nil {
		return nil, err
	}
	b = append(b, `,"Ruled":`...)
	b = strconv.AppendBool(b, s.Ruled)
	b = append(b, `,"AppealedBy":`...)
	b = appendJSONString(b, string(s.AppealedBy))
	b = append(b, `,"AppealDecision":`...)
	b = appendJSONString(b, string(s.AppealDecision))
	b = append(b, `,"SLABreached":`...)
	b = strconv.AppendBool(b, s.SLABreached)
	b = append(b, `,"InterventionBy":`...)
	b = appendJSONString(b, string(s.InterventionBy))
	b = append(b, `,"InterventionAt":`...)
	if b, err = appendJSONTimePtr(b, s.InterventionAt); err != nil {
		return nil, err
	}
	b = append(b, `,"OpenedAt":`...)
	if b, err = appendJSONTime(b, s.OpenedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"UpdatedAt":`...)
	if b, err = appendJSONTime(b, s.UpdatedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"ClosedAt":`...)
	if b, err = appendJSONTimePtr(b, s.ClosedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"FirstResponseAt":`...)
	if b, err = appendJSONTimePtr(b, s.FirstResponseAt); err != nil {
		return nil, err
	}
	b = append(b, `,"Messages":`...)
	b = strconv.AppendInt(b, int64(s.Messages), 10)
	b = append(b, `,"VagueMessages":`...)
	b = strconv.AppendInt(b, int64(s.VagueMessages), 10)
	b = append(b, `,"Effect":{"CommandID":`...)
	b = appendJSONString(b, s.Effect.CommandID)
	b = append(b, `,"RecordedAt":`...)
	if b, err = appendJSONTime(b, s.Effect.RecordedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"DueAt":`...)
	if b, err = appendJSONTime(b, s.Effect.DueAt); err != nil {
		return nil, err
	}
	b = append(b, `},"Revision":`...)
	b = strconv.AppendUint(b, s.Revision, 10)
	b = append(b, `,"Events":`...)
	b = strconv.AppendInt(b, int64(s.Events), 10)
	return append(b, '}'), nil
}

// appendDeadlinesJSON appends the map as json.Marshal does: null when nil,
// else an object with its keys in order.
func appendDeadlinesJSON(b []byte, ds map[events.DeadlineKind]time.Time) ([]byte, error) {
	if ds == nil {
		return append(b, "null"...), nil
	}
	var buf [8]events.DeadlineKind // a ticket has a few open deadlines
	kinds := buf[:0]
	for k := range ds {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	b = append(b, '{')
	for i, k := range kinds {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, string(k))
		b = append(b, ':')
		var err error
		if b, err = appendJSONTime(b, ds[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendJSONTime appends t as time.Time.MarshalJSON writes it (its
// MarshalText between quotes), failing where that fails (a year outside
// 0–9999).
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return nil, err
	}
	return append(b, '"'), nil
}

func appendJSONTimePtr(b []byte, t *time.Time) ([]byte, error) {
	if t == nil {
		return append(b, "null"...), nil
	}
	return appendJSONTime(b, *t)
}

// appendJSONString appends s quoted as encoding/json quotes it. Printable
// ASCII other than the quote, the backslash and the HTML characters
// encoding/json escapes (<, >, &) goes as it is; any other string is
// json.Marshal's, which are rare in a snapshot (identifiers, kinds).
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			raw, _ := json.Marshal(s) // a string always marshals
			return append(b, raw...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
